package hakmem.bench.cli;

import hakmem.bench.Measurement;
import hakmem.bench.Workload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Results files: JSON and CSV written, parsed back, and equal to what was measured. */
class BenchResultsTest {

    static Results sample() {
        Results r = new Results(Workload.SCENARIOS, Map.of("seconds", "0.5", "warmup", "0.2"), "test box, 2 cores", "2026-01-01T00:00:00Z");
        r.add(1, new Measurement("scenarios", "json", "glibc", 1, 1000, 0.5, 500.0, 480.5, 900.25, 120_000, -1, -1));
        r.add(1, new Measurement("scenarios", "json", "hakmem-locked", 1, 4000, 0.5, 125.0, 120.0, 300.0, 130_000, 64L << 20, 60L << 20));
        r.add(1, new Measurement("scenarios", "vm", "glibc", 1, 10, 0.5, 5e7, Double.NaN, Double.NaN, 140_000, -1, -1));
        r.skipped().put("jemalloc", "libjemalloc.so.2 cannot be loaded (no such file), install \"libjemalloc2\"");
        r.failed().put("arena", "exit code 1 in json with 1 thread(s): boom");
        return r;
    }

    @Test
    void jsonRoundTripKeepsEveryMeasurementSkipAndFailure(@TempDir Path dir) throws Exception {
        Results r = sample();
        Path file = r.write(dir);
        assertEquals(dir.resolve("scenarios.json"), file);
        Object parsed = Json.parse(Files.readString(file));
        Map<?, ?> root = (Map<?, ?>) parsed;
        assertEquals(Results.FORMAT, root.get("format"));
        assertEquals("latency", root.get("metric"));
        assertEquals(3, ((List<?>) root.get("measurements")).size());
        Results back = Results.read(file);
        assertSame(r, back);
        assertTrue(Double.isNaN(back.best("vm", "glibc", 1).p99Ns()), "NaN is written as null and read back as NaN");
    }

    @Test
    void csvRoundTripKeepsMeasurementsAndReasonsWithCommasAndQuotes(@TempDir Path dir) throws Exception {
        Results r = sample();
        r.write(dir);
        List<String> lines = Files.readAllLines(dir.resolve("scenarios.csv"));
        assertEquals(Results.CSV_HEADER, lines.get(0));
        for (String line : lines) {
            assertEquals(16, Results.csvFields(line).size(), line);
        }
        Results back = Results.read(dir.resolve("scenarios.csv"));
        assertEquals(r.entries(), back.entries());
        assertEquals(r.skipped(), back.skipped());
        assertEquals(r.failed(), back.failed());
    }

    @Test
    void jsonParserReadsWhatItWritesAndRejectsGarbage() {
        Map<String, Object> v = new java.util.LinkedHashMap<>();
        v.put("s", "a \"quoted\"\n\ttext \\ \u0001");
        v.put("n", List.of(1, -2.5, 1e-7, 123456789012L));
        v.put("b", List.of(true, false));
        v.put("nothing", null);
        v.put("nan", Double.NaN);
        Object back = Json.parse(Json.pretty(v));
        Map<?, ?> m = (Map<?, ?>) back;
        assertEquals(v.get("s"), m.get("s"));
        assertEquals(List.of(1.0, -2.5, 1e-7, 123456789012.0), m.get("n"));
        assertEquals(List.of(true, false), m.get("b"));
        assertTrue(m.containsKey("nothing") && m.get("nothing") == null);
        assertTrue(m.get("nan") == null);
        assertEquals(back, Json.parse(Json.write(v)));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1,}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1 2]"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1} x"));
    }

    @Test
    void aFileOfAnotherFormatIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("other.json");
        Files.writeString(f, "{\"format\": \"jmh\", \"measurements\": []}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Results.read(f));
        assertTrue(e.getMessage().contains(Results.FORMAT), e.getMessage());
    }

    private static void assertSame(Results a, Results b) {
        assertEquals(a.workload(), b.workload());
        assertEquals(a.machine(), b.machine());
        assertEquals(a.settings(), b.settings());
        assertEquals(a.skipped(), b.skipped());
        assertEquals(a.failed(), b.failed());
        assertEquals(a.entries().size(), b.entries().size());
        for (int i = 0; i < a.entries().size(); i++) {
            Measurement x = a.entries().get(i).m();
            Measurement y = b.entries().get(i).m();
            assertEquals(a.entries().get(i).run(), b.entries().get(i).run());
            assertEquals(x.scenario(), y.scenario());
            assertEquals(x.allocator(), y.allocator());
            assertEquals(x.threads(), y.threads());
            assertEquals(x.ops(), y.ops());
            assertEquals(x.seconds(), y.seconds(), 1e-12);
            assertEquals(x.nsPerOp(), y.nsPerOp(), 1e-9);
            assertEquals(x.p50Ns(), y.p50Ns(), 1e-9);
            assertEquals(x.peakRssKiB(), y.peakRssKiB());
            assertEquals(x.reservedBytes(), y.reservedBytes());
            assertEquals(x.liveBytes(), y.liveBytes());
        }
    }
}
