package hakmem.bench.cli;

import hakmem.bench.Soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a soak run found, for every allocator and thread count soaked: written as {@code soak.json}
 * (everything, samples included), {@code soak.csv} (the memory samples, one row each) and printed as a
 * table with a sentence per soak on whether resident memory stayed flat.
 */
final class SoakResults {

    static final String FORMAT = "hakmem.bench.soak/1";
    static final String CSV_HEADER = "allocator,threads,seconds,rss_kib,reserved_bytes,live_bytes,ops,machine";

    final Map<String, String> settings;
    final String machine;
    final String created;
    final List<Soak.Result> results = new ArrayList<>();
    final Map<String, String> skipped = new LinkedHashMap<>();
    final Map<String, String> failed = new LinkedHashMap<>();

    SoakResults(Map<String, String> settings, String machine, String created) {
        this.settings = new LinkedHashMap<>(settings);
        this.machine = machine;
        this.created = created;
    }

    /** Every soak ran to its end and found nothing wrong. */
    boolean ok() {
        return failed.isEmpty() && results.stream().allMatch(Soak.Result::ok);
    }

    // ---- JSON ----

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("workload", "soak");
        root.put("op", "one malloc or one free; " + Soak.MIX);
        root.put("created", created);
        root.put("machine", machine);
        root.put("settings", new LinkedHashMap<>(settings));
        root.put("warmupFraction", Soak.WARMUP_FRACTION);
        root.put("flatTolerance", Soak.FLAT_TOLERANCE);
        root.put("soaks", results.stream().map(SoakResults::json).toList());
        root.put("skipped", reasons(skipped));
        root.put("failed", reasons(failed));
        return root;
    }

    private static List<Object> reasons(Map<String, String> m) {
        List<Object> out = new ArrayList<>();
        m.forEach((a, why) -> out.add(new LinkedHashMap<>(Map.of("allocator", a, "reason", why))));
        return out;
    }

    static Map<String, Object> json(Soak.Result r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("allocator", r.allocator());
        o.put("threads", r.threads());
        o.put("seconds", r.seconds());
        o.put("ops", r.ops());
        o.put("allocations", r.allocations());
        o.put("frees", r.frees());
        o.put("handedOver", r.handedOver());
        o.put("verified", r.verified());
        o.put("corruptions", r.corruptions());
        o.put("corruptionSamples", r.corruptionSamples());
        o.put("failures", r.failures());
        o.put("liveBlocksAtEnd", r.liveBlocksAtEnd());
        o.put("reservedAtEnd", r.reservedAtEnd());
        o.put("reservedAfterTrim", r.reservedAfterTrim());
        o.put("rssAfterTrimKiB", r.rssAfterTrimKiB());
        o.put("peakRssKiB", r.peakRssKiB());
        o.put("warmupSeconds", r.warmupSeconds());
        o.put("rss", json(r.rss()));
        o.put("reserved", json(r.reserved()));
        List<Object> samples = new ArrayList<>();
        for (Soak.Sample s : r.samples()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seconds", s.seconds());
            m.put("rssKiB", s.rssKiB());
            m.put("reservedBytes", s.reservedBytes());
            m.put("liveBytes", s.liveBytes());
            m.put("ops", s.ops());
            samples.add(m);
        }
        o.put("samples", samples);
        return o;
    }

    /** The flatness figures, for readers of the file (recomputed from the samples when read back). */
    private static Map<String, Object> json(Soak.Flatness f) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("flat", f.flat());
        o.put("maxDeviation", f.maxDeviation());
        o.put("drift", f.drift());
        o.put("reference", f.reference());
        o.put("min", f.min());
        o.put("max", f.max());
        o.put("last", f.last());
        return o;
    }

    static Soak.Result result(Map<?, ?> o) {
        List<Soak.Sample> samples = new ArrayList<>();
        for (Object x : (List<?>) o.get("samples")) {
            Map<?, ?> m = (Map<?, ?>) x;
            samples.add(new Soak.Sample(num(m, "seconds"), (long) num(m, "rssKiB"), (long) num(m, "reservedBytes"),
                    (long) num(m, "liveBytes"), (long) num(m, "ops")));
        }
        return new Soak.Result(String.valueOf(o.get("allocator")), (int) num(o, "threads"), num(o, "seconds"),
                (long) num(o, "allocations"), (long) num(o, "frees"), (long) num(o, "handedOver"), (long) num(o, "verified"),
                (long) num(o, "corruptions"), strings(o.get("corruptionSamples")), strings(o.get("failures")), samples,
                num(o, "warmupSeconds"), (long) num(o, "liveBlocksAtEnd"), (long) num(o, "reservedAtEnd"),
                (long) num(o, "reservedAfterTrim"), (long) num(o, "rssAfterTrimKiB"), (long) num(o, "peakRssKiB"));
    }

    private static List<String> strings(Object list) {
        return list instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    }

    private static double num(Map<?, ?> o, String k) {
        Object v = o.get(k);
        if (!o.containsKey(k)) {
            throw new IllegalArgumentException("missing '" + k + "' in a soak result");
        }
        return v == null ? Double.NaN : ((Number) v).doubleValue();
    }

    // ---- CSV ----

    String toCsv() {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        String m = machine.indexOf(',') < 0 && machine.indexOf('"') < 0 ? machine : '"' + machine.replace("\"", "\"\"") + '"';
        for (Soak.Result r : results) {
            for (Soak.Sample s : r.samples()) {
                sb.append(String.format(Locale.ROOT, "%s,%d,%.3f,%d,%d,%d,%d,%s%n", r.allocator(), r.threads(), s.seconds(),
                        s.rssKiB(), s.reservedBytes(), s.liveBytes(), s.ops(), m));
            }
        }
        return sb.toString();
    }

    /** Writes {@code <dir>/soak.json} and {@code soak.csv}; returns the JSON file. */
    Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve("soak.json");
        Path tmp = dir.resolve("soak.json.tmp");
        Files.writeString(tmp, Json.pretty(toJson()), StandardCharsets.UTF_8);
        Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(dir.resolve("soak.csv"), toCsv(), StandardCharsets.UTF_8);
        return json;
    }

    // ---- table ----

    String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| %-14s | %7s | %7s | %9s | %11s | %11s | %7s | %-23s | %8s | %-23s | %10s |%n",
                "allocator", "threads", "seconds", "M ops", "M verified", "corruptions", "live", "RSS MiB ref/min/max/end",
                "RSS dev", "reserved MiB ref/max/end", "after trim"));
        sb.append("|----------------|---------|---------|-----------|-------------|-------------|---------|-------------------------|----------|-------------------------|------------|\n");
        for (Soak.Result r : results) {
            Soak.Flatness rss = r.rss();
            Soak.Flatness res = r.reserved();
            sb.append(String.format(Locale.ROOT, "| %-14s | %7d | %7.0f | %9.1f | %11.2f | %11d | %7d | %-23s | %8s | %-23s | %10s |%n",
                    r.allocator(), r.threads(), r.seconds(), r.ops() / 1e6, r.verified() / 1e6, r.corruptions(),
                    r.liveBlocksAtEnd(),
                    mib(rss.reference() * 1024) + "/" + mib(rss.min() * 1024) + "/" + mib(rss.max() * 1024) + "/" + mib(rss.last() * 1024),
                    percent(rss.maxDeviation()),
                    mib(res.reference()) + "/" + mib(res.max()) + "/" + mib(res.last()),
                    mib(r.reservedAfterTrim())));
        }
        return sb.toString();
    }

    /** A sentence per soak: corruptions, what was left, and whether memory stayed flat, with the figures. */
    String verdicts() {
        StringBuilder sb = new StringBuilder();
        for (Soak.Result r : results) {
            Soak.Flatness rss = r.rss();
            Soak.Flatness res = r.reserved();
            sb.append(String.format(Locale.ROOT, "%s, %d threads: %d corruptions in %d blocks verified (%d handed to another thread);"
                            + " %d blocks live at the end; reserved %s MiB after the last free, %s MiB after trim()%n",
                    r.allocator(), r.threads(), r.corruptions(), r.verified(), r.handedOver(), r.liveBlocksAtEnd(),
                    mib(r.reservedAtEnd()), mib(r.reservedAfterTrim())));
            sb.append(String.format(Locale.ROOT, "  resident memory after warm-up (the first %.0f %% of the run, %.0f s) %s: largest"
                            + " deviation %s from %s MiB (the first sample after warm-up), end %s MiB (drift %s)%n",
                    100 * Soak.WARMUP_FRACTION, r.warmupSeconds(),
                    Double.isNaN(rss.maxDeviation()) ? "not measured (no sample after warm-up)"
                            : rss.flat() ? "stayed flat within ±" + percent(Soak.FLAT_TOLERANCE)
                            : "did NOT stay within ±" + percent(Soak.FLAT_TOLERANCE),
                    percent(rss.maxDeviation()), mib(rss.reference() * 1024), mib(rss.last() * 1024), signed(rss.drift())));
            sb.append(String.format(Locale.ROOT, "  reserved bytes after warm-up: largest deviation %s from %s MiB, end %s MiB (drift %s)%n",
                    percent(res.maxDeviation()), mib(res.reference()), mib(res.last()), signed(res.drift())));
            r.corruptionSamples().forEach(c -> sb.append("  CORRUPTION ").append(c).append('\n'));
            r.failures().forEach(f -> sb.append("  FAILED ").append(f).append('\n'));
        }
        skipped.forEach((a, why) -> sb.append("skipped ").append(a).append(": ").append(why).append('\n'));
        failed.forEach((a, why) -> sb.append("FAILED ").append(a).append(": ").append(why).append('\n'));
        return sb.toString();
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, bytes >= 100 << 20 ? "%.0f" : "%.1f", bytes / 1048576.0);
    }

    private static String percent(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }

    private static String signed(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%+.1f %%", 100 * v);
    }
}
