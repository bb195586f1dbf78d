package hakmem.bench.cli;

import hakmem.bench.Measurement;
import hakmem.bench.Workload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The table's ratios (to glibc, to the best baseline), best-of-runs, and the charts drawn from results. */
class BenchReportTest {

    private static Measurement tput(String allocator, int threads, double mops) {
        return new Measurement("larson", "larson", allocator, threads, (long) (mops * 1e6), 1.0, 1e3 / mops, Double.NaN,
                Double.NaN, 100 * 1024, allocator.startsWith("hakmem") ? 8L << 20 : -1, allocator.startsWith("hakmem") ? 4L << 20 : -1);
    }

    private static Results larson() {
        Results r = new Results(Workload.LARSON, Map.of(), "test box", "now");
        r.add(1, tput("hakmem-locked", 1, 30));
        r.add(1, tput("glibc", 1, 10));
        r.add(1, tput("mimalloc", 1, 20));
        r.add(1, tput("arena", 1, 0.05));
        r.add(2, tput("mimalloc", 1, 15));
        r.add(2, tput("hakmem-locked", 1, 24));
        r.add(1, tput("hakmem-locked", 2, 5));
        r.add(1, tput("glibc", 2, 20));
        r.add(1, tput("tcmalloc", 2, 40));
        return r;
    }

    @Test
    void throughputRatiosAreAgainstGlibcAndTheFastestBaselineAtTheSameThreads() {
        Results r = larson();
        Workload.Metric m = Workload.Metric.THROUGHPUT;
        Measurement h1 = r.best("larson", "hakmem-locked", 1);
        assertEquals(30e6, h1.opsPerSecond(), 1, "best of the two runs");
        assertEquals(3.0, Report.ratio(m, h1, r.best("larson", "glibc", 1)), 1e-9);
        assertEquals("mimalloc", Report.bestBaseline(r, "larson", 1).allocator());
        assertEquals(1.5, Report.ratio(m, h1, Report.bestBaseline(r, "larson", 1)), 1e-9);
        Measurement h2 = r.best("larson", "hakmem-locked", 2);
        assertEquals(0.25, Report.ratio(m, h2, r.best("larson", "glibc", 2)), 1e-9);
        assertEquals("tcmalloc", Report.bestBaseline(r, "larson", 2).allocator());
        assertEquals(0.125, Report.ratio(m, h2, Report.bestBaseline(r, "larson", 2)), 1e-9);
        assertTrue(Double.isNaN(Report.ratio(m, h2, r.best("larson", "jemalloc", 2))), "no jemalloc measured: n/a");
    }

    @Test
    void latencyRatiosAreInvertedSoAboveOneIsFaster() {
        Measurement glibc = new Measurement("scenarios", "json", "glibc", 1, 1000, 1, 200, 190, 400, 1, -1, -1);
        Measurement hak = new Measurement("scenarios", "json", "hakmem-locked", 1, 1000, 1, 50, 45, 90, 1, -1, -1);
        assertEquals(4.0, Report.ratio(Workload.Metric.LATENCY, hak, glibc), 1e-9);
        assertEquals(0.25, Report.ratio(Workload.Metric.LATENCY, glibc, hak), 1e-9);
    }

    @Test
    void theTablePrintsTheFiguresAndRatios() {
        String t = Report.full(larson());
        List<String> rows = t.lines().filter(l -> l.startsWith("| hakmem-locked")).toList();
        assertEquals(2, rows.size(), t);
        assertTrue(rows.get(0).matches("\\|\\s*hakmem-locked\\s*\\|\\s*1\\s*\\|\\s*30\\.00\\s*\\|\\s*3\\.00x\\s*\\|\\s*1\\.50x\\s*\\|.*"), rows.get(0));
        assertTrue(rows.get(0).contains("100 MiB") && rows.get(0).contains("8.0 / 4.0"), rows.get(0));
        assertTrue(rows.get(1).contains("0.25x") && rows.get(1).contains("0.13x"), rows.get(1));
        assertTrue(t.lines().anyMatch(l -> l.startsWith("| glibc") && l.contains("n/a")), "glibc reserves n/a");
        assertTrue(t.lines().anyMatch(l -> l.startsWith("| arena") && l.contains("0.0050x")), t);
    }

    @Test
    void skippedAndFailedAllocatorsAreListedWithTheirReasons() {
        Results r = larson();
        r.skipped().put("hakmem-tls", "concurrency TLS is not available yet");
        r.failed().put("jemalloc", "exit code 134");
        String t = Report.full(r);
        assertTrue(t.contains("skipped hakmem-tls: concurrency TLS is not available yet"), t);
        assertTrue(t.contains("FAILED jemalloc: exit code 134"), t);
    }

    @Test
    void chartsAreDrawnAsPngFiles(@TempDir Path dir) throws Exception {
        assertTrue(Charts.available(), "the bench module reads java.desktop");
        List<Path> files = Charts.draw(larson(), dir);
        assertEquals(List.of(dir.resolve("larson-bars.png"), dir.resolve("larson-threads.png")), files);
        for (Path f : files) {
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(f), 8);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head, f.toString());
        }
        Results s = BenchResultsTest.sample();
        assertEquals(List.of(dir.resolve("scenarios-json-bars.png"), dir.resolve("scenarios-vm-bars.png"),
                dir.resolve("scenarios-t1.png")), Charts.draw(s, dir));
    }
}
