package hakmem.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the build put each module's classes, for tests that build layers and child JVMs. */
final class Modules {

    static final List<String> TIERS = List.of("tiny", "l2", "l25");

    private Modules() {
    }

    static Path root() {
        String root = System.getProperty("hakmem.test.root");
        if (root == null) {
            throw new IllegalStateException("system property hakmem.test.root is not set (set by the hakmem.bench pom)");
        }
        return Path.of(root).toAbsolutePath().normalize();
    }

    /** The compiled classes of module {@code hakmem.<name>}. */
    static Path classes(String name) {
        Path p = root().resolve("hakmem." + name).resolve("target/classes");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("not built: " + p);
        }
        return p;
    }

    /** The packaged jar of module {@code hakmem.<name>}, which exists after the package phase. */
    static Path jar(String name) {
        return root().resolve("hakmem." + name).resolve("target/hakmem." + name + "-" + System.getProperty("hakmem.test.version") + ".jar");
    }

    static String java() {
        return ProcessHandle.current().info().command().orElseThrow();
    }
}
