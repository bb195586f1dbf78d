package example.app;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the application in a child JVM on the module path, as a person does (the build runs the packaged
 * jars again at verify): the module path is this module and the modules it depends on, wherever the test
 * JVM found them (its module path or class path).
 */
class ExampleAppTest {

    private static final Set<String> MODULES = Set.of("example.app", "hakmem.api", "hakmem.tiny", "hakmem.l2",
            "hakmem.l25", "example.fixedtier");

    /** Module name to location, for the application's modules found in this JVM's paths. */
    private static Map<String, Path> modules() {
        Map<String, Path> found = new LinkedHashMap<>();
        for (String property : List.of("jdk.module.path", "java.class.path")) {
            String value = System.getProperty(property, "");
            for (String entry : value.split(File.pathSeparator)) {
                if (entry.isBlank()) {
                    continue;
                }
                try {
                    for (ModuleReference m : ModuleFinder.of(Path.of(entry)).findAll()) {
                        if (MODULES.contains(m.descriptor().name())) {
                            found.putIfAbsent(m.descriptor().name(), Path.of(entry));
                        }
                    }
                } catch (FindException e) {
                    // a test library that is no module: not ours
                }
            }
        }
        assertEquals(MODULES, found.keySet(), "the application's modules in this JVM's paths");
        return found;
    }

    private static String run(Stream<Path> modulePath, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=hakmem.api",
                "--module-path", String.join(File.pathSeparator, modulePath.map(Path::toString).toList()),
                "-m", "example.app/example.app.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), () -> cmd + " failed:\n" + out);
        assertFalse(out.contains("WARNING"), out);
        return out;
    }

    @Test
    void theExampleTierIsFoundOnTheModulePathAndServesTheHotSizes() throws Exception {
        String out = run(modules().values().stream().distinct());
        System.out.println(out);
        assertTrue(out.contains("[module example.fixedtier]"), out);
        assertTrue(out.contains("chosen: fixed64, tiny, l2, l25"), out);
        Optional<String> row = out.lines().filter(l -> l.startsWith("fixed64 ")).findFirst();
        assertTrue(row.isPresent(), "a row of the example tier in the stats:\n" + out);
        assertTrue(out.contains("fixed64 classes"), "its class table:\n" + out);
        assertTrue(out.contains("example app: 20000 messages"), out);
    }

    @Test
    void withoutTheExampleTierTheSameApplicationRunsOnHakmemsTiers() throws Exception {
        Map<String, Path> modules = modules();
        Path tier = modules.remove("example.fixedtier");
        String out = run(modules.values().stream().distinct().filter(p -> !p.equals(tier)), "tiny,l2,l25");
        assertFalse(out.contains("fixed64"), out);
        assertTrue(out.contains("chosen: tiny, l2, l25"), out);
        assertTrue(out.contains("example app: 20000 messages"), out);
    }
}
