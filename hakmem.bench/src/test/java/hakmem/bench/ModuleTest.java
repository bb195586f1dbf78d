package hakmem.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Module descriptors (what is exported, provided, opened) and discovery in real JVMs: on the module
 * path, on the class path, with a provider's services file missing, with a broken provider; and no JDK
 * warning when native access is granted the documented way.
 */
class ModuleTest {

    private static final String SERVICE = "hakmem.api.spi.TierProvider";

    private static ModuleDescriptor descriptor(String name) {
        return ModuleFinder.of(Modules.classes(name)).find("hakmem." + name).orElseThrow().descriptor();
    }

    @Test
    void apiExportsOnlyItsTwoPackagesAndOpensNothing() {
        ModuleDescriptor d = descriptor("api");
        assertFalse(d.isOpen());
        assertEquals(Set.of("hakmem.api", "hakmem.api.spi"),
                d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
        assertTrue(d.opens().isEmpty());
        assertEquals(Set.of(SERVICE, "hakmem.api.spi.LearnerProvider"), d.uses());
        assertEquals(Set.of("java.base", "java.management", "jdk.jfr"), d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()),
                "the runtime depends on the JDK alone");
    }

    @Test
    void tierModulesExportNothingAndProvideATierOnBothPaths() throws IOException {
        for (String tier : Modules.TIERS) {
            ModuleDescriptor d = descriptor(tier);
            assertTrue(d.exports().isEmpty(), tier + " exports nothing");
            assertTrue(d.opens().isEmpty() && !d.isOpen(), tier + " opens nothing");
            assertEquals(Set.of("java.base", "hakmem.api"),
                    d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
            assertEquals(1, d.provides().size(), tier);
            ModuleDescriptor.Provides p = d.provides().iterator().next();
            assertEquals(SERVICE, p.service());
            Path services = Modules.classes(tier).resolve("META-INF/services/" + SERVICE);
            assertTrue(Files.exists(services), "class path needs " + services);
            List<String> listed = Files.readAllLines(services).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
            assertEquals(p.providers(), listed, tier + ": services file and module-info agree");
        }
    }

    @Test
    void learnModuleExportsNothing() {
        ModuleDescriptor d = descriptor("learn");
        assertTrue(d.exports().isEmpty() && d.opens().isEmpty());
    }

    @Test
    void modulePathFindsEveryTierWithoutWarnings() throws Exception {
        String out = run(List.of("--enable-native-access=hakmem.api", "--module-path", modulePath(), "-m", "hakmem.api/hakmem.api.Hakmem"));
        for (String tier : Modules.TIERS) {
            assertTrue(out.contains("[module hakmem." + tier + "]"), out);
        }
        assertTrue(out.contains("self-check: malloc/free"), out);
        assertFalse(out.contains("WARNING"), out);
    }

    @Test
    void withoutNativeAccessTheJdkWarns() throws Exception {
        // Proves the no-warning checks can fail: the JDK does warn when access is not granted.
        String out = run(List.of("--module-path", modulePath(), "-m", "hakmem.api/hakmem.api.Hakmem"));
        assertTrue(out.contains("WARNING") && out.contains("hakmem.api"), out);
    }

    @Test
    void classPathFindsEveryTierThroughServicesFiles() throws Exception {
        String out = run(List.of("--enable-native-access=ALL-UNNAMED", "-cp", modulePath(), "hakmem.api.Hakmem"));
        for (String tier : Modules.TIERS) {
            assertTrue(out.contains("class path") && out.contains("hakmem." + tier + "."), out);
        }
        assertTrue(out.contains("self-check: malloc/free"), out);
        assertFalse(out.contains("WARNING"), out);
    }

    @Test
    void classPathWithoutTheServicesFileFindsNoProvider(@TempDir Path tmp) throws Exception {
        Path copy = tmp.resolve("tiny-without-services");
        copyTree(Modules.classes("tiny"), copy);
        Files.delete(copy.resolve("META-INF/services/" + SERVICE));
        String out = run(List.of("--enable-native-access=ALL-UNNAMED", "-cp",
                Modules.classes("api") + java.io.File.pathSeparator + copy, "hakmem.api.Hakmem"));
        assertTrue(out.contains("none: every size is served by the big-block path"), out);
    }

    @Test
    void aBrokenProviderIsReportedAndSkipped(@TempDir Path tmp) throws Exception {
        Path services = tmp.resolve("META-INF/services/" + SERVICE);
        Files.createDirectories(services.getParent());
        Files.writeString(services, "hakmem.nowhere.MissingTier\n", StandardCharsets.UTF_8);
        String out = run(List.of("--enable-native-access=ALL-UNNAMED", "-cp",
                modulePath() + java.io.File.pathSeparator + tmp, "hakmem.api.Hakmem"));
        assertTrue(out.contains("skipped") && out.contains("hakmem.nowhere.MissingTier"), out);
        assertTrue(out.contains("hakmem.tiny."), "the other providers still load: " + out);
        assertTrue(out.contains("self-check: malloc/free"), out);
    }

    @Test
    void theApiJarManifestGrantsNativeAccessOnTheClassPath() throws Exception {
        Path jar = Modules.jar("api");
        assumeTrue(Files.exists(jar), "the jar exists after the package phase (mvn verify): " + jar);
        String out = run(List.of("-jar", jar.toString()));
        assertTrue(out.contains("self-check: malloc/free"), out);
        assertFalse(out.contains("WARNING"), out);
    }

    private static String modulePath() {
        List<String> parts = new ArrayList<>();
        parts.add(Modules.classes("api").toString());
        for (String tier : Modules.TIERS) {
            parts.add(Modules.classes(tier).toString());
        }
        return String.join(java.io.File.pathSeparator, parts);
    }

    static String run(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Modules.java());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out: " + cmd);
        assertEquals(0, p.exitValue(), () -> cmd + " failed:\n" + out);
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path src : walk.toList()) {
                Path dst = to.resolve(from.relativize(src).toString());
                if (Files.isDirectory(src)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(src, dst);
                }
            }
        }
    }
}
