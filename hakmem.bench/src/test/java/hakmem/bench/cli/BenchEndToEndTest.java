package hakmem.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI as a user runs it: a tiny larson (0.2 s, 100 blocks) forks one child JVM per allocator, prints
 * the table and writes JSON and CSV that parse back; a variant that is not built yet is skipped with its
 * reason; {@code chart --from} reads the file back.
 */
class BenchEndToEndTest {

    @Test
    void aTinyLarsonRunWritesResultsAndSkipsWhatCannotRun(@TempDir Path dir) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        // hakmem.* properties reach the measuring JVMs: there, mimalloc cannot load.
        System.setProperty("hakmem.bench.lib.mimalloc", "/nonexistent/libmimalloc.so.2");
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = BenchCommand.execute("larson", "--seconds", "0.2", "--threads", "1", "--allocators", "glibc,mimalloc",
                    "--blocks", "100", "--rounds", "1", "--out", dir.toString(), "--no-chart", "--machine", "test box");
        } finally {
            System.setOut(saved);
            System.clearProperty("hakmem.bench.lib.mimalloc");
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertEquals(0, code, out);
        assertTrue(out.contains("[1/2") && out.contains("[2/2"), "progress per measurement: " + out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("| glibc") && l.contains("1.00x")), out);
        assertTrue(out.contains("skipped mimalloc: /nonexistent/libmimalloc.so.2 cannot be loaded"), out);
        Path json = dir.resolve("larson.json");
        assertTrue(out.contains("JSON: " + json), out);
        Map<?, ?> root = (Map<?, ?>) Json.parse(Files.readString(json));
        List<?> ms = (List<?>) root.get("measurements");
        assertEquals(1, ms.size());
        Map<?, ?> m = (Map<?, ?>) ms.get(0);
        assertEquals("glibc", m.get("allocator"));
        assertTrue(((Number) m.get("opsPerSecond")).doubleValue() > 0);
        assertTrue(((Number) m.get("peakRssKiB")).doubleValue() > 0, "VmHWM of the child");
        assertEquals("test box", root.get("machine"));
        assertTrue(Files.readString(dir.resolve("larson.csv")).contains("mimalloc"));

        buf.reset();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = BenchCommand.execute("chart", "--from", json.toString(), "--out", dir.resolve("charts").toString());
        } finally {
            System.setOut(saved);
        }
        out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("larson on test box") && out.lines().anyMatch(l -> l.startsWith("| glibc")), out);
        assertTrue(Files.isRegularFile(dir.resolve("charts/larson-bars.png")), out);
    }
}
