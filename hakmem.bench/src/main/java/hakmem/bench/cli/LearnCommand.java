package hakmem.bench.cli;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.spi.Policy;
import hakmem.bench.Allocators;
import hakmem.bench.LearningPhases;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code learn}: whether learning pays. {@link LearningPhases} on hakmem's TLS variant, once with the
 * learner and once with each fixed policy (the default, and the two the learner may pick: lean and
 * roomy), each in a fresh child JVM (hidden subcommand {@code learn-run}). Prints per phase the learned
 * figure against the default and the best fixed one, writes {@code learn.json} and {@code learn.csv},
 * and charts throughput and memory over time with the learned run's strategy.
 */
@Command(name = "learn", mixinStandardHelpOptions = true,
        description = {"Learning against fixed policies on a phase-shift workload: steady small blocks, a burst of big",
                "blocks (2..8 MiB, touched) that the default big-block cache thrashes on, then idle after the burst.",
                "Figures per phase over its second half (after the learner's warm-up): operations per second and bytes reserved."})
public final class LearnCommand implements Callable<Integer> {

    /** The configurations, learned first. */
    static final List<String> CONFIGS = List.of("learned", "default", "lean", "roomy");

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "3 s per phase (CI's smoke test).")
    boolean quick;

    @Option(names = "--seconds", paramLabel = "S", description = "Seconds per phase (default 20).")
    Double seconds;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "N", description = "Threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--mode", defaultValue = "FAST", paramLabel = "MODE", description = "The learner's mode (default ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--seed", defaultValue = "4141", paramLabel = "X", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "target/bench", paramLabel = "DIR", description = "Where JSON, CSV and the chart go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--no-chart", description = "Do not draw the chart.")
    boolean noChart;

    @Option(names = "--machine", paramLabel = "LABEL", description = "Machine named beside every figure (default: CPU model and cores).")
    String machine;

    @Override
    public Integer call() throws IOException, InterruptedException {
        double s = seconds != null ? seconds : quick ? 3 : 20;
        if (!(s > 0) || threads < 1) {
            throw new ParameterException(spec.commandLine(), "--seconds must be > 0 and --threads >= 1");
        }
        PrintStream o = System.out;
        String label = machine != null ? machine : Machine.describe();
        Path dir = out.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        o.printf(Locale.ROOT, "learn on %s: %s s per phase (%s), %d threads, seed %d, learner mode %s; each run in a fresh JVM%n",
                label, s, String.join(", ", LearningPhases.PHASES), threads, seed, mode);
        Map<String, LearningPhases.Result> results = new LinkedHashMap<>();
        Allocators.Spec tls = Allocators.select("hakmem-tls").getFirst();
        for (String config : CONFIGS) {
            o.printf(Locale.ROOT, "  %s: %.0f s%n", config, s * LearningPhases.PHASES.size());
            o.flush();
            List<String> cmd = Runner.java(tls);
            cmd.addAll(List.of("learn-run", "--config", config, "--seconds", Double.toString(s), "--threads",
                    Integer.toString(threads), "--mode", mode, "--seed", Long.toString(seed)));
            LearningPhases.Result[] got = {null};
            List<String> other = new ArrayList<>();
            int code = Runner.exec(cmd, tls.env(), s * LearningPhases.PHASES.size() + 120, line -> {
                if (line.startsWith(Runner.RESULT)) {
                    got[0] = fromJson((Map<?, ?>) Json.parse(line.substring(Runner.RESULT.length())));
                } else {
                    other.add(line);
                }
            });
            if (code != 0 || got[0] == null) {
                o.println("    FAILED: exit code " + code + ": " + String.join("\n    | ", other));
                return 1;
            }
            results.put(config, got[0]);
        }
        o.println();
        o.print(table(results));
        Path json = dir.resolve("learn.json");
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("machine", label);
        all.put("secondsPerPhase", s);
        all.put("threads", threads);
        all.put("mode", mode);
        all.put("seed", seed);
        Map<String, Object> runs = new LinkedHashMap<>();
        results.forEach((k, v) -> runs.put(k, toJson(v)));
        all.put("runs", runs);
        Files.writeString(json, Json.write(all));
        Path csv = dir.resolve("learn.csv");
        StringBuilder sb = new StringBuilder("config,seconds,phase,ops_per_second,reserved_bytes,rss_kib,learner\n");
        results.forEach((k, v) -> v.samples().forEach(x -> sb.append(String.format(Locale.ROOT, "%s,%.2f,%s,%.0f,%d,%d,\"%s\"%n",
                k, x.seconds(), x.phase(), x.opsPerSecond(), x.reservedBytes(), x.rssKiB(), x.learner().replace("\"", "'")))));
        Files.writeString(csv, sb);
        o.println("JSON: " + json);
        o.println("CSV:  " + csv);
        o.println();
        o.println("learner at the end of the learned run:");
        o.println(results.get("learned").finalLearner().indent(2));
        if (!noChart) {
            if (Charts.available()) {
                o.println("chart: " + Charts.learning(results, label, dir.resolve("learn.png")));
            } else {
                o.println("chart: not drawn (this runtime has no java.desktop)");
            }
        }
        return 0;
    }

    /** Per phase: each configuration's figure, the learned one against the default and the best fixed one. */
    static String table(Map<String, LearningPhases.Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-8s %-22s", "phase", "figure (second half)"));
        for (String c : results.keySet()) {
            sb.append(String.format(Locale.ROOT, " %12s", c));
        }
        sb.append(String.format(Locale.ROOT, " %14s %14s%n", "learned/default", "learned/best"));
        for (int i = 0; i < LearningPhases.PHASES.size(); i++) {
            int p = i;
            boolean idle = LearningPhases.PHASES.get(i).equals("idle");
            // Busy phases are judged by throughput (higher is better), idle by memory held (lower is better).
            sb.append(String.format(Locale.ROOT, "%-8s %-22s", LearningPhases.PHASES.get(i), idle ? "MiB reserved" : "ops/s"));
            double best = idle ? Double.MAX_VALUE : 0;
            for (var e : results.entrySet()) {
                double v = figure(e.getValue().phases().get(p), idle);
                sb.append(String.format(Locale.ROOT, " %12s", idle ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v)));
                if (!e.getKey().equals("learned")) {
                    best = idle ? Math.min(best, v) : Math.max(best, v);
                }
            }
            double learned = figure(results.get("learned").phases().get(p), idle);
            double def = figure(results.get("default").phases().get(p), idle);
            sb.append(String.format(Locale.ROOT, " %13.2fx %13.2fx%n", learned / def, learned / best));
            sb.append(String.format(Locale.ROOT, "%-8s %-22s", "", idle ? "ops/s" : "MiB reserved"));
            for (var e : results.entrySet()) {
                double v = figure(e.getValue().phases().get(p), !idle);
                sb.append(String.format(Locale.ROOT, " %12s", !idle ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v)));
            }
            sb.append('\n');
        }
        sb.append("(x: learned over default, and over the best fixed policy of the phase; for MiB lower is better)\n");
        return sb.toString();
    }

    private static double figure(LearningPhases.Phase p, boolean memory) {
        return memory ? p.meanReservedBytes() / 1048576.0 : p.opsPerSecond();
    }

    static Map<String, Object> toJson(LearningPhases.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> phases = new ArrayList<>();
        for (LearningPhases.Phase p : r.phases()) {
            phases.add(Map.of("name", p.name(), "opsPerSecond", p.opsPerSecond(), "meanReservedBytes", p.meanReservedBytes(),
                    "peakReservedBytes", p.peakReservedBytes(), "meanRssKiB", p.meanRssKiB()));
        }
        m.put("phases", phases);
        List<Object> samples = new ArrayList<>();
        for (LearningPhases.Sample s : r.samples()) {
            samples.add(Map.of("seconds", s.seconds(), "phase", s.phase(), "opsPerSecond", s.opsPerSecond(),
                    "reservedBytes", s.reservedBytes(), "rssKiB", s.rssKiB(), "learner", s.learner()));
        }
        m.put("samples", samples);
        m.put("peakRssKiB", r.peakRssKiB());
        m.put("finalLearner", r.finalLearner());
        return m;
    }

    static LearningPhases.Result fromJson(Map<?, ?> m) {
        List<LearningPhases.Phase> phases = new ArrayList<>();
        for (Object o : (List<?>) m.get("phases")) {
            Map<?, ?> p = (Map<?, ?>) o;
            phases.add(new LearningPhases.Phase((String) p.get("name"), num(p, "opsPerSecond"), num(p, "meanReservedBytes"),
                    (long) num(p, "peakReservedBytes"), num(p, "meanRssKiB")));
        }
        List<LearningPhases.Sample> samples = new ArrayList<>();
        for (Object o : (List<?>) m.get("samples")) {
            Map<?, ?> s = (Map<?, ?>) o;
            samples.add(new LearningPhases.Sample(num(s, "seconds"), (String) s.get("phase"), num(s, "opsPerSecond"),
                    (long) num(s, "reservedBytes"), (long) num(s, "rssKiB"), (String) s.get("learner")));
        }
        return new LearningPhases.Result(phases, samples, (long) num(m, "peakRssKiB"), (String) m.get("finalLearner"));
    }

    private static double num(Map<?, ?> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    /** One configuration in this JVM: a RESULT line (JSON). */
    @Command(name = "learn-run", hidden = true)
    static final class Run implements Callable<Integer> {
        @Option(names = "--config", required = true)
        String config;
        @Option(names = "--seconds", defaultValue = "20")
        double seconds;
        @Option(names = "--threads", defaultValue = "2")
        int threads;
        @Option(names = "--mode", defaultValue = "FAST")
        String mode;
        @Option(names = "--seed", defaultValue = "4141")
        long seed;

        @Override
        public Integer call() throws InterruptedException {
            Hakmem.Builder b = Hakmem.builder().concurrency(Concurrency.TLS);
            switch (config) {
                case "learned" -> b.learning(true).learningMode(mode);
                case "default" -> b.learning(false);
                case "lean" -> b.learning(false).policy(Policy.LEAN);
                case "roomy" -> b.learning(false).policy(Policy.ROOMY);
                default -> throw new IllegalArgumentException("unknown config: " + config + "; accepted: " + CONFIGS);
            }
            LearningPhases.Result r;
            try (Allocator a = b.build()) {
                r = new LearningPhases(new LearningPhases.Params(seconds, threads, seed, 0.5), a, line -> { }).run();
            }
            System.out.println(Runner.RESULT + Json.write(toJson(r)));
            return 0;
        }
    }
}
