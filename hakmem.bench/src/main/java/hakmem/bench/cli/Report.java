package hakmem.bench.cli;

import hakmem.bench.Allocators;
import hakmem.bench.Measurement;
import hakmem.bench.Workload;

import java.util.List;
import java.util.Locale;

/**
 * The tables: one per workload scenario, a row per thread count and allocator, with the best of the
 * repeated runs. Ratios are speed ratios whatever the metric (ops/s divided, or ns/op inverted), so
 * above 1 is faster than glibc, or than the fastest baseline at that thread count (every allocator
 * that is neither hakmem nor the floor counts as a baseline).
 */
public final class Report {

    private Report() {
    }

    /** Speed of {@code m} relative to {@code base} (both may be null: NaN). */
    public static double ratio(Workload.Metric metric, Measurement m, Measurement base) {
        if (m == null || base == null) {
            return Double.NaN;
        }
        return Results.speed(metric, m) / Results.speed(metric, base);
    }

    /** The fastest baseline measured for this scenario and thread count, or null. */
    public static Measurement bestBaseline(Results r, String scenario, int threads) {
        Measurement best = null;
        for (String a : r.allocators()) {
            if (!isBaseline(a)) {
                continue;
            }
            Measurement m = r.best(scenario, a, threads);
            if (m != null && (best == null || Results.speed(r.workload().metric(), m) > Results.speed(r.workload().metric(), best))) {
                best = m;
            }
        }
        return best;
    }

    static boolean isBaseline(String allocator) {
        try {
            return Allocators.spec(allocator).group().baseline();
        } catch (IllegalArgumentException unknown) {
            // A results file from a build that knew other allocators: hakmem's are named hakmem-*.
            return !allocator.startsWith("hakmem");
        }
    }

    public static String table(Results r, String scenario) {
        Workload.Metric metric = r.workload().metric();
        boolean latency = r.entries().stream().anyMatch(e -> e.m().scenario().equals(scenario) && !Double.isNaN(e.m().p99Ns()));
        StringBuilder sb = new StringBuilder();
        String head = metric == Workload.Metric.THROUGHPUT ? "M ops/s" : "ns/op";
        sb.append(String.format(Locale.ROOT, "| %-14s | %7s | %10s | %8s | %9s |", "allocator", "threads", head, "vs glibc", "vs best b."));
        if (latency) {
            sb.append(String.format(Locale.ROOT, " %9s | %9s |", "p50 ns", "p99 ns"));
        }
        sb.append(String.format(Locale.ROOT, " %9s | %19s |%n", "peak RSS", "reserved / live MiB"));
        sb.append("|----------------|---------|------------|----------|------------|");
        if (latency) {
            sb.append("-----------|-----------|");
        }
        sb.append("-----------|---------------------|\n");
        for (int t : r.threads()) {
            Measurement glibc = r.best(scenario, "glibc", t);
            Measurement base = bestBaseline(r, scenario, t);
            for (String a : r.allocators()) {
                Measurement m = r.best(scenario, a, t);
                if (m == null) {
                    continue;
                }
                double value = metric == Workload.Metric.THROUGHPUT ? m.opsPerSecond() / 1e6 : m.nsPerOp();
                sb.append(String.format(Locale.ROOT, "| %-14s | %7d | %10s | %8s | %10s |", a, t, number(value),
                        times(ratio(metric, m, glibc)), times(ratio(metric, m, base))));
                if (latency) {
                    sb.append(String.format(Locale.ROOT, " %9s | %9s |", number(m.p50Ns()), number(m.p99Ns())));
                }
                sb.append(String.format(Locale.ROOT, " %5s MiB | %19s |%n",
                        m.peakRssKiB() < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", m.peakRssKiB() / 1024.0),
                        m.reservedBytes() < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f / %s", m.reservedBytes() / 1048576.0,
                                m.liveBytes() < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", m.liveBytes() / 1048576.0))));
            }
        }
        return sb.toString();
    }

    /** Every scenario's table, then the skipped and failed allocators. */
    public static String full(Results r) {
        StringBuilder sb = new StringBuilder();
        List<String> scenarios = r.scenarios();
        for (String s : scenarios) {
            if (scenarios.size() > 1 || !s.equals(r.workload().id())) {
                sb.append(r.workload().id()).append(" / ").append(s).append(":\n");
            }
            sb.append(table(r, s)).append('\n');
        }
        r.skipped().forEach((a, why) -> sb.append("skipped ").append(a).append(": ").append(why).append('\n'));
        r.failed().forEach((a, why) -> sb.append("FAILED ").append(a).append(": ").append(why).append('\n'));
        return sb.toString();
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static String times(double ratio) {
        return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, ratio >= 100 ? "%.0fx" : ratio >= 0.1 ? "%.2fx" : "%.4fx", ratio);
    }
}
