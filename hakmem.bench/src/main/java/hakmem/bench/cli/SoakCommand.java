package hakmem.bench.cli;

import hakmem.bench.Allocators;
import hakmem.bench.Backend;
import hakmem.bench.Soak;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code soak}: a long verifying run ({@link Soak}) per allocator and thread count, each in a fresh child
 * JVM (hidden subcommand {@code soak-run}) as every measurement is, so the resident memory sampled is the
 * soak's alone. The parent prints a table and a verdict per soak, writes {@code soak.json} and
 * {@code soak.csv}, and charts resident and reserved memory over time. Exit code 1 when any block was
 * corrupted, a thread failed, or blocks were left allocated.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = {"Soak: T threads allocate and free blocks of every tier's sizes (" + Soak.MIX + "),",
                "for a long time, each block filled with a pattern of its address and a tag and checked before it is freed;",
                "1 in " + Soak.Params.DEFAULT_HAND_OFF + " blocks is freed by another thread. Samples VmRSS and the allocator's reserved bytes every second and",
                "says whether resident memory stayed within ±5 % after warm-up (the first 20 % of the run).",
                "Default: hakmem-tls, 4 threads, 600 s; --quick: 60 s. Exit code 1 on any corruption."})
final class SoakCommand implements Callable<Integer> {

    static final double DEFAULT_SECONDS = 600;
    static final double QUICK_SECONDS = 60;
    /** The soaking JVM's heap: slots and inboxes are off the heap's hot path; samples and the result are small. */
    static final String HEAP = "128m";

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "60 s, as CI's SoakTest runs.")
    boolean quick;

    @Option(names = "--seconds", paramLabel = "S", description = "How long each soak runs (default 600).")
    Double seconds;

    @Option(names = "--threads", split = ",", defaultValue = "4", paramLabel = "N", description = "Thread counts, one soak each (default ${DEFAULT-VALUE}).")
    List<Integer> threads;

    @Option(names = "--allocators", defaultValue = "hakmem-tls", paramLabel = "LIST",
            description = "hakmem variants or native allocators, or the groups hakmem, native (default: ${DEFAULT-VALUE}).")
    String allocators;

    @Option(names = "--window", defaultValue = "1000", paramLabel = "N", description = "Slots (live blocks at most) per thread (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--sample", defaultValue = "1", paramLabel = "S", description = "Seconds between memory samples (default ${DEFAULT-VALUE}).")
    double sample;

    @Option(names = "--seed", defaultValue = "4141", paramLabel = "X", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "target/bench", paramLabel = "DIR", description = "Where JSON, CSV and the chart go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--no-chart", description = "Do not draw the chart.")
    boolean noChart;

    @Option(names = "--machine", paramLabel = "LABEL", description = "Machine named beside every figure (default: CPU model and cores).")
    String machine;

    /** What to soak: settings for every child, and the allocators. */
    record Plan(Map<String, String> settings, List<Integer> threads, List<Allocators.Spec> allocators) {
        double seconds() {
            return Double.parseDouble(settings.get("seconds"));
        }
    }

    Plan plan() {
        double s = seconds != null ? seconds : quick ? QUICK_SECONDS : DEFAULT_SECONDS;
        if (!(s > 0) || !(sample > 0) || window < 1) {
            throw new ParameterException(spec.commandLine(), "--seconds and --sample must be > 0, --window >= 1");
        }
        if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1)) {
            throw new ParameterException(spec.commandLine(), "--threads needs counts >= 1: " + threads);
        }
        List<Allocators.Spec> specs;
        try {
            specs = Allocators.select(allocators);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        for (Allocators.Spec a : specs) {
            Allocators.Group g = a.group();
            if (g != Allocators.Group.HAKMEM && g != Allocators.Group.NATIVE) {
                // The floor hands every caller one shared block (any check fails by design); the arena runs 1 s at
                // most; Netty's buffers sit behind a handle table whose own heap growth would blur the RSS figure.
                throw new ParameterException(spec.commandLine(), "soak takes hakmem's variants and the native allocators, not "
                        + a.name() + " (" + a.what() + ")");
            }
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("seconds", Double.toString(s));
        settings.put("window", Integer.toString(window));
        settings.put("seed", Long.toString(seed));
        settings.put("sample", Double.toString(sample));
        return new Plan(settings, threads.stream().distinct().toList(), specs);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Plan plan = plan();
        PrintStream o = System.out;
        String label = machine != null ? machine : Machine.describe();
        Path dir = out.toAbsolutePath().normalize();
        o.printf(Locale.ROOT, "soak on %s: seconds %s, window %s, seed %s, a sample every %s s; threads %s; allocators %s;"
                        + " each soak in a fresh JVM%n", label, plan.settings().get("seconds"), window, seed, sample, plan.threads(),
                String.join(",", plan.allocators().stream().map(Allocators.Spec::name).toList()));
        o.println("  op = one malloc or one free; " + Soak.MIX + "; every block checked before its free");
        SoakResults results = new SoakResults(plan.settings(), label, java.time.Instant.now().toString());
        int total = plan.threads().size() * plan.allocators().size();
        int done = 0;
        for (int t : plan.threads()) {
            for (Allocators.Spec a : plan.allocators()) {
                done++;
                if (results.skipped.containsKey(a.name())) {
                    continue;
                }
                o.printf(Locale.ROOT, "  [%d/%d] soak: %s, %d %s, %.0f s%n", done, total, a.name(), t,
                        t == 1 ? "thread" : "threads", plan.seconds());
                o.flush();
                fork(plan, a, t, results, o);
                results.write(dir);
            }
        }
        Path json = results.write(dir);
        o.println();
        o.print(results.table());
        o.println();
        o.print(results.verdicts());
        o.println("JSON: " + json);
        o.println("CSV:  " + dir.resolve("soak.csv") + " (one row per memory sample)");
        if (!noChart && !results.results.isEmpty()) {
            if (Charts.available()) {
                o.println("chart: " + Charts.soak(results.results, label, dir.resolve("soak-memory.png")));
            } else {
                o.println("chart: not drawn (this runtime has no java.desktop)");
            }
        }
        boolean ok = results.ok();
        o.println(ok ? "soak: no corruption, every block freed" : "soak: FAILED (see above)");
        return ok ? 0 : 1;
    }

    private static void fork(Plan plan, Allocators.Spec a, int threads, SoakResults results, PrintStream o)
            throws IOException, InterruptedException {
        List<String> cmd = Runner.java(a);
        // The Java heap fixed and resident from the start: heap pages first touched mid-run would otherwise
        // show as resident memory growing, which is the JVM's and not the allocator's.
        cmd.addAll(1, List.of("-Xms" + HEAP, "-Xmx" + HEAP, "-XX:+AlwaysPreTouch"));
        cmd.addAll(List.of("soak-run", "--allocator", a.name(), "--threads", Integer.toString(threads)));
        plan.settings().forEach((k, v) -> cmd.addAll(List.of("--set", k + "=" + v)));
        List<Soak.Result> got = new ArrayList<>();
        String[] skip = {null};
        List<String> other = new ArrayList<>();
        int code = Runner.exec(cmd, a.env(), plan.seconds() + 180, line -> {
            if (line.startsWith(Runner.RESULT)) {
                got.add(SoakResults.result((Map<?, ?>) Json.parse(line.substring(Runner.RESULT.length()))));
            } else if (line.startsWith(Runner.SKIP)) {
                skip[0] = line.substring(Runner.SKIP.length());
            } else {
                other.add(line);
                o.println("    | " + line);
            }
        });
        if (skip[0] != null && code == 0) {
            results.skipped.put(a.name(), skip[0]);
            o.println("    skipped: " + skip[0]);
        } else if (code != 0 || got.isEmpty()) {
            String why = "exit code " + code + " with " + threads + " thread(s): " + (other.isEmpty() ? "(no output)" : other.getLast());
            results.failed.put(a.name() + " x" + threads, why);
            o.println("    FAILED: " + why);
        } else {
            results.results.addAll(got);
        }
    }

    /** One soak in this JVM: progress lines, then a RESULT line (JSON), or SKIP with the reason. */
    @Command(name = "soak-run", hidden = true)
    static final class Run implements Callable<Integer> {
        @Option(names = "--allocator", required = true)
        String allocator;
        @Option(names = "--threads", defaultValue = "4")
        int threads;
        @Option(names = "--set")
        Map<String, String> settings = new LinkedHashMap<>();

        @Override
        public Integer call() throws InterruptedException {
            Soak.Params p = new Soak.Params(Double.parseDouble(settings.getOrDefault("seconds", "60")), threads,
                    Integer.parseInt(settings.getOrDefault("window", Integer.toString(Soak.Params.DEFAULT_WINDOW))),
                    Long.parseLong(settings.getOrDefault("seed", "4141")),
                    Double.parseDouble(settings.getOrDefault("sample", "1")), Soak.Params.DEFAULT_HAND_OFF);
            Backend b;
            try {
                b = Allocators.open(allocator);
            } catch (Allocators.Unavailable e) {
                System.out.println(Runner.SKIP + e.getMessage());
                return 0;
            }
            Soak.Result r;
            try (b) {
                r = new Soak(p, b, System.out::println).run();
            }
            System.out.println(Runner.RESULT + Json.write(SoakResults.json(r)));
            return 0;
        }
    }
}
