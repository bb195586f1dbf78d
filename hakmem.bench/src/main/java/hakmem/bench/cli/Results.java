package hakmem.bench.cli;

import hakmem.bench.Measurement;
import hakmem.bench.Workload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything one workload's run measured: each measurement (every run, not only the best), the
 * allocators skipped and why, the settings and the machine. Written as JSON and CSV, read back from
 * either to print the table and draw the charts elsewhere ({@code chart --from}).
 */
public final class Results {

    public static final String FORMAT = "hakmem.bench/1";

    /** One measurement and which of the repeated runs it came from (1-based). */
    public record Entry(int run, Measurement m) {
    }

    private final Workload workload;
    private final Map<String, String> settings;
    private final String machine;
    private final String created;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> skipped = new LinkedHashMap<>();
    private final Map<String, String> failed = new LinkedHashMap<>();

    public Results(Workload workload, Map<String, String> settings, String machine, String created) {
        this.workload = workload;
        this.settings = new LinkedHashMap<>(settings);
        this.machine = machine;
        this.created = created;
    }

    public Workload workload() {
        return workload;
    }

    public String machine() {
        return machine;
    }

    public Map<String, String> settings() {
        return settings;
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Allocators that could not be opened, with the reason. */
    public Map<String, String> skipped() {
        return skipped;
    }

    /** Measurements that failed (the child JVM crashed or threw), with what it said last. */
    public Map<String, String> failed() {
        return failed;
    }

    public void add(int run, Measurement m) {
        entries.add(new Entry(run, m));
    }

    public List<String> scenarios() {
        LinkedHashSet<String> s = new LinkedHashSet<>();
        entries.forEach(e -> s.add(e.m().scenario()));
        return List.copyOf(s);
    }

    public List<Integer> threads() {
        return entries.stream().map(e -> e.m().threads()).distinct().sorted().toList();
    }

    public List<String> allocators() {
        LinkedHashSet<String> s = new LinkedHashSet<>();
        entries.forEach(e -> s.add(e.m().allocator()));
        return List.copyOf(s);
    }

    /** How fast a measurement is, higher is better whatever the metric: ops/s, or 1/(ns per op). */
    public static double speed(Workload.Metric metric, Measurement m) {
        return metric == Workload.Metric.THROUGHPUT ? m.opsPerSecond() : 1.0 / m.nsPerOp();
    }

    /** The best of the repeated runs of one scenario, allocator and thread count, or null. */
    public Measurement best(String scenario, String allocator, int threads) {
        Measurement best = null;
        for (Entry e : entries) {
            Measurement m = e.m();
            if (m.scenario().equals(scenario) && m.allocator().equals(allocator) && m.threads() == threads
                    && m.ops() > 0 && (best == null || speed(workload.metric(), m) > speed(workload.metric(), best))) {
                best = m;
            }
        }
        return best;
    }

    // ---- JSON ----

    public Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("workload", workload.id());
        root.put("metric", workload.metric().name().toLowerCase(Locale.ROOT));
        root.put("op", workload.op());
        root.put("created", created);
        root.put("machine", machine);
        root.put("settings", new LinkedHashMap<>(settings));
        List<Object> ms = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> o = measurementJson(e.m());
            o.put("run", e.run());
            ms.add(o);
        }
        root.put("measurements", ms);
        root.put("skipped", reasons(skipped));
        root.put("failed", reasons(failed));
        return root;
    }

    private static List<Object> reasons(Map<String, String> m) {
        List<Object> out = new ArrayList<>();
        m.forEach((a, why) -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("allocator", a);
            o.put("reason", why);
            out.add(o);
        });
        return out;
    }

    static Map<String, Object> measurementJson(Measurement m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("workload", m.workload());
        o.put("scenario", m.scenario());
        o.put("allocator", m.allocator());
        o.put("threads", m.threads());
        o.put("ops", m.ops());
        o.put("seconds", m.seconds());
        o.put("opsPerSecond", m.opsPerSecond());
        o.put("nsPerOp", m.nsPerOp());
        o.put("p50Ns", m.p50Ns());
        o.put("p99Ns", m.p99Ns());
        o.put("peakRssKiB", m.peakRssKiB());
        o.put("reservedBytes", m.reservedBytes());
        o.put("liveBytes", m.liveBytes());
        return o;
    }

    static Measurement measurement(Map<?, ?> o) {
        return new Measurement(str(o, "workload"), str(o, "scenario"), str(o, "allocator"), (int) num(o, "threads"),
                (long) num(o, "ops"), num(o, "seconds"), num(o, "nsPerOp"), num(o, "p50Ns"), num(o, "p99Ns"),
                (long) num(o, "peakRssKiB"), (long) num(o, "reservedBytes"), (long) num(o, "liveBytes"));
    }

    private static String str(Map<?, ?> o, String k) {
        Object v = o.get(k);
        if (v == null) {
            throw new IllegalArgumentException("missing '" + k + "' in " + o);
        }
        return v.toString();
    }

    /** A number member; null (how NaN is written) reads back as NaN. */
    private static double num(Map<?, ?> o, String k) {
        if (!o.containsKey(k)) {
            throw new IllegalArgumentException("missing '" + k + "' in " + o);
        }
        Object v = o.get(k);
        return v == null ? Double.NaN : ((Number) v).doubleValue();
    }

    public static Results fromJson(Map<?, ?> root) {
        if (!FORMAT.equals(root.get("format"))) {
            throw new IllegalArgumentException("not a " + FORMAT + " results file (format: " + root.get("format") + ")");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        if (root.get("settings") instanceof Map<?, ?> s) {
            s.forEach((k, v) -> settings.put(k.toString(), String.valueOf(v)));
        }
        Results r = new Results(Workload.of(str(root, "workload")), settings, String.valueOf(root.get("machine")),
                String.valueOf(root.get("created")));
        for (Object o : (List<?>) root.get("measurements")) {
            Map<?, ?> m = (Map<?, ?>) o;
            r.add((int) num(m, "run"), measurement(m));
        }
        readReasons(root.get("skipped"), r.skipped);
        readReasons(root.get("failed"), r.failed);
        return r;
    }

    private static void readReasons(Object list, Map<String, String> into) {
        if (list instanceof List<?> l) {
            for (Object o : l) {
                Map<?, ?> m = (Map<?, ?>) o;
                into.put(str(m, "allocator"), str(m, "reason"));
            }
        }
    }

    // ---- CSV ----

    static final String CSV_HEADER = "workload,scenario,allocator,threads,run,ops,seconds,ops_per_s,ns_per_op,p50_ns,p99_ns,"
            + "peak_rss_kib,reserved_bytes,live_bytes,machine,skipped";

    public String toCsv() {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (Entry e : entries) {
            Measurement m = e.m();
            sb.append(String.join(",", m.workload(), csv(m.scenario()), m.allocator(), Integer.toString(m.threads()),
                    Integer.toString(e.run()), Long.toString(m.ops()), Double.toString(m.seconds()),
                    Double.toString(m.opsPerSecond()), Double.toString(m.nsPerOp()), Double.toString(m.p50Ns()),
                    Double.toString(m.p99Ns()), Long.toString(m.peakRssKiB()), Long.toString(m.reservedBytes()),
                    Long.toString(m.liveBytes()), csv(machine), "")).append('\n');
        }
        skipped.forEach((a, why) -> sb.append(workload.id()).append(",,").append(a).append(",,,,,,,,,,,,")
                .append(csv(machine)).append(',').append(csv(why)).append('\n'));
        failed.forEach((a, why) -> sb.append(workload.id()).append(",,").append(a).append(",,,,,,,,,,,,")
                .append(csv(machine)).append(',').append(csv("failed: " + why)).append('\n'));
        return sb.toString();
    }

    private static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    static List<String> csvFields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(f.toString());
                f.setLength(0);
            } else {
                f.append(c);
            }
        }
        out.add(f.toString());
        return out;
    }

    public static Results fromCsv(List<String> lines) {
        if (lines.isEmpty() || !lines.get(0).equals(CSV_HEADER)) {
            throw new IllegalArgumentException("not a hakmem.bench results CSV (first line must be: " + CSV_HEADER + ")");
        }
        Results r = null;
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> f = csvFields(line);
            if (r == null) {
                r = new Results(Workload.of(f.get(0)), Map.of(), f.get(14), "");
            }
            if (!f.get(15).isEmpty()) {
                if (f.get(15).startsWith("failed: ")) {
                    r.failed.put(f.get(2), f.get(15).substring("failed: ".length()));
                } else {
                    r.skipped.put(f.get(2), f.get(15));
                }
                continue;
            }
            r.add(Integer.parseInt(f.get(4)), new Measurement(f.get(0), f.get(1), f.get(2), Integer.parseInt(f.get(3)),
                    Long.parseLong(f.get(5)), Double.parseDouble(f.get(6)), Double.parseDouble(f.get(8)),
                    Double.parseDouble(f.get(9)), Double.parseDouble(f.get(10)), Long.parseLong(f.get(11)),
                    Long.parseLong(f.get(12)), Long.parseLong(f.get(13))));
        }
        if (r == null) {
            throw new IllegalArgumentException("the CSV has no rows");
        }
        return r;
    }

    // ---- files ----

    /** Writes {@code <dir>/<workload>.json} and {@code .csv}; returns the JSON file. */
    public Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve(workload.id() + ".json");
        Path tmp = dir.resolve(workload.id() + ".json.tmp");
        Files.writeString(tmp, Json.pretty(toJson()), StandardCharsets.UTF_8);
        Files.move(tmp, json, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(dir.resolve(workload.id() + ".csv"), toCsv(), StandardCharsets.UTF_8);
        return json;
    }

    /** Reads a results file written by {@link #write}, JSON or CSV (by its name). */
    public static Results read(Path file) throws IOException {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")) {
            return fromCsv(Files.readAllLines(file, StandardCharsets.UTF_8));
        }
        Object root = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        if (!(root instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(file + " holds no JSON object");
        }
        return fromJson(m);
    }
}
