package hakmem.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The workloads, as run inside one measuring JVM: given an open backend, a thread count and the
 * settings, each returns its measurements. Settings are strings (they travel on a child JVM's
 * command line); {@link #scenarios(Map)} says which separate measurements a workload splits into.
 */
public enum Workload {
    LARSON("larson", Metric.THROUGHPUT, "op = one malloc or one free (mimalloc-bench larson, Java port)"),
    SCENARIOS("scenarios", Metric.LATENCY, "op = one block's life: malloc, one write per 4 KiB page, free"),
    APPMIX("appmix", Metric.THROUGHPUT, "op = one malloc or one free; sizes 80 % 16-256 B, 15 % 257-2048 B, 5 % 2049-32768 B"),
    REMOTE("remote", Metric.THROUGHPUT, "op = one malloc or one free; threads = producer/consumer pairs, R = share freed by the consumer"),
    PHASE("phase", Metric.LATENCY, "op = a block's life (json, mir, vm, mixed phases) or one malloc or free (app phase); one JVM runs every phase in turn");

    /** Whether the headline figure is a rate (higher is better) or a time per operation (lower is better). */
    public enum Metric { THROUGHPUT, LATENCY }

    private final String id;
    private final Metric metric;
    private final String op;

    Workload(String id, Metric metric, String op) {
        this.id = id;
        this.metric = metric;
        this.op = op;
    }

    public String id() {
        return id;
    }

    public Metric metric() {
        return metric;
    }

    /** What one operation is. */
    public String op() {
        return op;
    }

    public static Workload of(String id) {
        for (Workload w : values()) {
            if (w.id.equals(id)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + id + "'");
    }

    /**
     * The scenarios measured separately (each in its own JVM). For {@code phase} a single entry: its
     * phases run one after another in one JVM, which is the point of it.
     */
    public List<String> scenarios(Map<String, String> s) {
        return switch (this) {
            case LARSON -> List.of("larson");
            case APPMIX -> List.of("appmix");
            case SCENARIOS -> List.of(get(s, "scenarios", "json,mir,vm,mixed").split(","));
            case REMOTE -> {
                List<String> out = new ArrayList<>();
                for (String r : get(s, "remote", "0,50,90").split(",")) {
                    out.add("R=" + Integer.parseInt(r.trim().replace("%", "")) + "%");
                }
                yield out;
            }
            case PHASE -> List.of(get(s, "phases", "json,vm,app"));
        };
    }

    /** Runs {@code scenario} of this workload on {@code b}. */
    public List<Measurement> run(Backend b, String scenario, int threads, Map<String, String> s) throws InterruptedException {
        double seconds = Double.parseDouble(get(s, "seconds", "1"));
        double warmup = Double.parseDouble(get(s, "warmup", "0.5"));
        long seed = Long.parseLong(get(s, "seed", "4141"));
        int window = Integer.parseInt(get(s, "window", Integer.toString(AppMix.DEFAULT_WINDOW)));
        return switch (this) {
            case LARSON -> List.of(larson(b, threads, s, seconds));
            case SCENARIOS -> {
                Scenario sc = Scenario.of(scenario);
                Driver.Phase p = new Driver.Phase(sc.id(), seconds, threads, w -> sc.loop(b, seed + w));
                yield measurements(b.name(), threads, new Driver(b, warmup, List.of(p)).run());
            }
            case APPMIX -> {
                Driver.Phase p = new Driver.Phase("appmix", seconds, threads, w -> AppMix.loop(b, window, seed + w));
                yield measurements(b.name(), threads, new Driver(b, warmup, List.of(p)).run());
            }
            case REMOTE -> {
                int r = Integer.parseInt(scenario.replace("R=", "").replace("%", "").trim());
                // A producer waiting on a full ring gives up once the driver has aborted: the loops need the driver.
                Driver[] holder = new Driver[1];
                Driver.Phase p = new Driver.Phase(scenario, seconds, 2 * threads,
                        RemoteFree.loops(b, threads, r, seed, () -> holder[0].aborted()));
                holder[0] = new Driver(b, warmup, List.of(p));
                yield measurements(b.name(), threads, holder[0].run());
            }
            case PHASE -> {
                List<Driver.Phase> phases = new ArrayList<>();
                String[] ids = scenario.split(",");
                for (int i = 0; i < ids.length; i++) {
                    String id = ids[i].trim().toLowerCase(Locale.ROOT);
                    String name = (i + 1) + ":" + id;
                    if (id.equals("app") || id.equals("appmix")) {
                        phases.add(new Driver.Phase(name, seconds, threads, w -> AppMix.loop(b, window, seed + w)));
                    } else {
                        Scenario sc = Scenario.of(id);
                        phases.add(new Driver.Phase(name, seconds, threads, w -> sc.loop(b, seed + w)));
                    }
                }
                yield measurements(b.name(), threads, new Driver(b, warmup, phases).run());
            }
        };
    }

    private Measurement larson(Backend b, int threads, Map<String, String> s, double seconds) throws InterruptedException {
        Larson.Params d = Larson.Params.defaults(threads);
        Larson.Params p = new Larson.Params(seconds,
                Integer.parseInt(get(s, "min", Integer.toString(d.minSize()))),
                Integer.parseInt(get(s, "max", Integer.toString(d.maxSize()))),
                Integer.parseInt(get(s, "blocks", Integer.toString(d.blocks()))),
                Integer.parseInt(get(s, "rounds", Integer.toString(d.rounds()))),
                Long.parseLong(get(s, "seed", Long.toString(d.seed()))),
                threads);
        Larson.Result r = new Larson(p, b).run();
        long ops = r.allocations() + r.frees();
        return new Measurement(id, "larson", b.name(), threads, ops, r.seconds(), threads * r.seconds() * 1e9 / ops,
                Double.NaN, Double.NaN, Memory.peakRssKiB(), r.reservedBytes(), r.liveBytes());
    }

    private List<Measurement> measurements(String allocator, int threads, List<Driver.Result> results) {
        List<Measurement> out = new ArrayList<>();
        for (Driver.Result r : results) {
            out.add(new Measurement(id, r.name(), allocator, threads, r.ops(), r.seconds(), r.nsPerOp(),
                    r.percentileNs(50), r.percentileNs(99), r.peakRssKiB(), r.reservedBytes(), r.liveBytes()));
        }
        return out;
    }

    private static String get(Map<String, String> s, String key, String dflt) {
        String v = s.get(key);
        return v == null || v.isBlank() ? dflt : v;
    }
}
