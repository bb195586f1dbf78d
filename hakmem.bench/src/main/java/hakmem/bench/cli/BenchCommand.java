package hakmem.bench.cli;

import hakmem.bench.Allocators;
import hakmem.bench.Backend;
import hakmem.bench.Measurement;
import hakmem.bench.Workload;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
 * The bench CLI: one entry point, a subcommand per workload. Each measurement runs in a fresh child JVM
 * (hidden subcommand {@code measure}); the parent prints the tables, writes JSON and CSV, and draws the
 * charts.
 */
@Command(name = "hakmem-bench", mixinStandardHelpOptions = true, version = "hakmem.bench 0.1.0",
        description = {"Compares hakmem with glibc, jemalloc, mimalloc, tcmalloc, one Arena per block and Netty's",
                "pooled allocators, side by side in one run; every measurement in a fresh JVM."},
        subcommands = {BenchCommand.Larson.class, BenchCommand.Scenarios.class, BenchCommand.AppMix.class,
                BenchCommand.Remote.class, BenchCommand.Phase.class, SoakCommand.class, LearnCommand.class, BenchCommand.All.class, BenchCommand.Chart.class,
                BenchCommand.ListAllocators.class, BenchCommand.Measure.class, SoakCommand.Run.class, LearnCommand.Run.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    /** Runs the CLI; returns the exit code. */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        return new CommandLine(new BenchCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options every workload takes. */
    public static final class RunOptions {
        @Option(names = "--quick", description = "Short measurements: about a minute for the whole subcommand.")
        boolean quick;

        @Option(names = "--seconds", paramLabel = "S", description = "Measured seconds per measurement (per phase for 'phase').")
        Double seconds;

        @Option(names = "--warmup", paramLabel = "S", description = "Warm-up seconds before measuring (not for larson, which has none).")
        Double warmup;

        @Option(names = "--threads", split = ",", paramLabel = "N", description = "Thread counts, e.g. 1,2,4,8,16 (for remote: producer/consumer pairs).")
        List<Integer> threads;

        @Option(names = "--allocators", paramLabel = "LIST",
                description = "Allocators and groups, comma-separated: names from 'list', or all, hakmem, native, baselines, jdk, netty (default: all).")
        String allocators;

        @Option(names = "--runs", defaultValue = "1", paramLabel = "K", description = "Repeat everything K times, interleaved; tables show the best run.")
        int runs;

        @Option(names = "--seed", paramLabel = "X", description = "Random seed (default 4141).")
        Long seed;

        @Option(names = "--out", defaultValue = "target/bench", paramLabel = "DIR", description = "Where JSON, CSV and charts go (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--no-chart", description = "Do not draw charts (a runtime without java.desktop skips them anyway).")
        boolean noChart;

        @Option(names = "--machine", paramLabel = "LABEL", description = "Machine named beside every figure (default: CPU model and cores).")
        String machine;
    }

    /** Per-workload defaults: seconds and warm-up, full and quick, and thread counts. */
    record Defaults(double seconds, double quickSeconds, double warmup, double quickWarmup, List<Integer> threads) {
    }

    /** A workload subcommand: builds the plan, runs it, reports. */
    abstract static class WorkloadCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        RunOptions options = new RunOptions();

        abstract Workload workload();

        abstract Defaults defaults();

        /** Workload-specific settings for the children. */
        Map<String, String> extra() {
            return Map.of();
        }

        String defaultAllocators() {
            return "all";
        }

        @Override
        public Integer call() throws Exception {
            Runner.Plan plan = plan();
            return runAndReport(plan, options, System.out);
        }

        Runner.Plan plan() {
            Defaults d = defaults();
            RunOptions o = options;
            double seconds = o.seconds != null ? o.seconds : o.quick ? d.quickSeconds() : d.seconds();
            double warmup = o.warmup != null ? o.warmup : o.quick ? d.quickWarmup() : d.warmup();
            List<Integer> threads = o.threads != null ? List.copyOf(o.threads) : d.threads();
            if (!(seconds > 0) || warmup < 0) {
                throw new ParameterException(spec.commandLine(), "--seconds must be > 0 and --warmup >= 0");
            }
            if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1)) {
                throw new ParameterException(spec.commandLine(), "--threads needs counts >= 1: " + threads);
            }
            if (o.runs < 1) {
                throw new ParameterException(spec.commandLine(), "--runs must be >= 1");
            }
            List<Allocators.Spec> allocators;
            try {
                allocators = Allocators.select(o.allocators != null ? o.allocators : defaultAllocators());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("seconds", Double.toString(seconds));
            if (workload() != Workload.LARSON) {
                settings.put("warmup", Double.toString(warmup));
            }
            if (o.seed != null) {
                settings.put("seed", Long.toString(o.seed));
            }
            settings.putAll(extra());
            List<String> scenarios;
            try {
                scenarios = workload().scenarios(settings);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            return new Runner.Plan(workload(), scenarios, threads.stream().distinct().toList(), allocators, o.runs, settings);
        }
    }

    static int runAndReport(Runner.Plan plan, RunOptions o, PrintStream out) throws IOException, InterruptedException {
        String machine = o.machine != null ? o.machine : Machine.describe();
        Path dir = o.out.toAbsolutePath().normalize();
        Workload w = plan.workload();
        out.printf(Locale.ROOT, "%s on %s: %s; threads %s; %d measurement(s), each in a fresh JVM%n", w.id(), machine,
                describe(plan), plan.threads(), plan.measurements());
        out.println("  " + w.op());
        Results r = new Runner(out).run(plan, dir, machine);
        Path json = r.write(dir);
        out.println();
        out.print(Report.full(r));
        out.println("ratios are speed ratios (above 1 = faster); best baseline = fastest allocator at that thread count that is neither hakmem nor the floor");
        if (plan.allocators().stream().anyMatch(a -> a.maxSeconds() < Double.parseDouble(plan.settings().get("seconds")))) {
            out.println("arena runs at most 1 s per measurement (it is ~1000x slower)");
        }
        out.println("JSON: " + json);
        out.println("CSV:  " + dir.resolve(w.id() + ".csv"));
        chart(r, dir, o.noChart, out);
        return r.failed().isEmpty() ? 0 : 1;
    }

    static void chart(Results r, Path dir, boolean noChart, PrintStream out) throws IOException {
        if (noChart) {
            return;
        }
        if (!Charts.available()) {
            out.println("charts: not drawn (this runtime has no java.desktop); draw them elsewhere with: chart --from "
                    + dir.resolve(r.workload().id() + ".json"));
            return;
        }
        if (r.entries().isEmpty()) {
            out.println("charts: nothing measured");
            return;
        }
        for (Path p : Charts.draw(r, dir)) {
            out.println("chart: " + p);
        }
    }

    private static String describe(Runner.Plan p) {
        StringBuilder sb = new StringBuilder();
        p.settings().forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
        sb.append("; allocators ").append(String.join(",", p.allocators().stream().map(Allocators.Spec::name).toList()));
        if (p.runs() > 1) {
            sb.append("; best of ").append(p.runs()).append(" runs");
        }
        return sb.toString();
    }

    static List<Integer> oneAndCores() {
        int cores = Runtime.getRuntime().availableProcessors();
        return cores > 1 ? List.of(1, cores) : List.of(1);
    }

    @Command(name = "larson", mixinStandardHelpOptions = true,
            description = {"mimalloc-bench's larson server simulation (Java port): T threads each own N blocks; each step frees",
                    "a random slot and allocates a random size into it; after R x N steps a thread hands its blocks to a fresh",
                    "thread. Defaults are mimalloc-bench's: 5 s, 8-1000 B, 5000 blocks, 100 rounds, seed 4141; --quick: 2 s."})
    static final class Larson extends WorkloadCommand {
        @Option(names = "--min", defaultValue = "8", description = "Smallest size, bytes (default ${DEFAULT-VALUE}).")
        int min;
        @Option(names = "--max", defaultValue = "1000", description = "Sizes are below this, bytes (default ${DEFAULT-VALUE}).")
        int max;
        @Option(names = "--blocks", defaultValue = "5000", description = "Blocks per thread (default ${DEFAULT-VALUE}).")
        int blocks;
        @Option(names = "--rounds", defaultValue = "100", description = "Rounds before a thread hands over (default ${DEFAULT-VALUE}).")
        int rounds;

        @Override
        Workload workload() {
            return Workload.LARSON;
        }

        @Override
        Defaults defaults() {
            return new Defaults(5, 2, 0, 0, List.of(1, 2));
        }

        @Override
        Map<String, String> extra() {
            try {
                new hakmem.bench.Larson.Params(1, min, max, blocks, rounds, 1, 1);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            Map<String, String> m = new LinkedHashMap<>();
            m.put("min", Integer.toString(min));
            m.put("max", Integer.toString(max));
            m.put("blocks", Integer.toString(blocks));
            m.put("rounds", Integer.toString(rounds));
            if (options.seed == null) {
                m.put("seed", "4141");
            }
            return m;
        }
    }

    @Command(name = "scenarios", mixinStandardHelpOptions = true,
            description = {"hakmem's scenarios: a round allocates blocks, writes every 4 KiB page of each, frees them all.",
                    "json = 64 KiB x1000, mir = 256 KiB x100, vm = 2 MiB x10, mixed = the three interleaved, freed out of order.",
                    "Reports ns per block (malloc + use + free) and p50/p99 over rounds. Default 2 s + 1 s warm-up; --quick 0.5 s + 0.2 s."})
    static final class Scenarios extends WorkloadCommand {
        @Option(names = "--scenarios", defaultValue = "json,mir,vm,mixed", description = "Which (default ${DEFAULT-VALUE}).")
        String scenarios;

        @Override
        Workload workload() {
            return Workload.SCENARIOS;
        }

        @Override
        Defaults defaults() {
            return new Defaults(2, 0.5, 1, 0.2, List.of(1));
        }

        @Override
        Map<String, String> extra() {
            for (String s : scenarios.split(",")) {
                try {
                    hakmem.bench.Scenario.of(s);
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), e.getMessage());
                }
            }
            return Map.of("scenarios", scenarios);
        }
    }

    @Command(name = "appmix", mixinStandardHelpOptions = true,
            description = {"Application-like mix: 80 % 16-256 B, 15 % 257-2048 B, 5 % 2049-32768 B; each thread keeps a window",
                    "of live blocks and replaces a random one per step. Default threads 1 and the core count; 3 s + 1 s warm-up;",
                    "--quick 1 s + 0.3 s."})
    static final class AppMix extends WorkloadCommand {
        @Option(names = "--window", defaultValue = "1000", description = "Live blocks per thread (default ${DEFAULT-VALUE}).")
        int window;

        @Override
        Workload workload() {
            return Workload.APPMIX;
        }

        @Override
        Defaults defaults() {
            return new Defaults(3, 1, 1, 0.3, oneAndCores());
        }

        @Override
        Map<String, String> extra() {
            if (window < 1) {
                throw new ParameterException(spec.commandLine(), "--window must be >= 1");
            }
            return Map.of("window", Integer.toString(window));
        }
    }

    @Command(name = "remote", mixinStandardHelpOptions = true,
            description = {"Remote frees: producer/consumer pairs through a 1024-slot ring; a share R of the producer's blocks is",
                    "freed by the consumer thread. Sizes 16-2048 B. --threads counts pairs. Default 3 s + 1 s warm-up; --quick 0.7 s + 0.2 s."})
    static final class Remote extends WorkloadCommand {
        @Option(names = "--remote", defaultValue = "0,50,90", description = "Shares R in percent (default ${DEFAULT-VALUE}).")
        String remote;

        @Override
        Workload workload() {
            return Workload.REMOTE;
        }

        @Override
        Defaults defaults() {
            return new Defaults(3, 0.7, 1, 0.2, List.of(1));
        }

        @Override
        Map<String, String> extra() {
            for (String r : remote.split(",")) {
                int v;
                try {
                    v = Integer.parseInt(r.trim().replace("%", ""));
                } catch (NumberFormatException e) {
                    throw new ParameterException(spec.commandLine(), "--remote takes percentages 0..100: " + remote);
                }
                if (v < 0 || v > 100) {
                    throw new ParameterException(spec.commandLine(), "--remote takes percentages 0..100: " + remote);
                }
            }
            return Map.of("remote", remote);
        }
    }

    @Command(name = "phase", mixinStandardHelpOptions = true,
            description = {"Phase shift: one JVM runs phases one after another (default json -> vm -> app mix), each reported",
                    "on its own, to show what adapting to a changing mix buys. --seconds is per phase (default 2; --quick 0.5)."})
    static final class Phase extends WorkloadCommand {
        @Option(names = "--phases", defaultValue = "json,vm,app", description = "Phases: json, mir, vm, mixed, app (default ${DEFAULT-VALUE}).")
        String phases;

        @Option(names = "--window", defaultValue = "1000", description = "Live blocks per thread in app phases (default ${DEFAULT-VALUE}).")
        int window;

        @Override
        Workload workload() {
            return Workload.PHASE;
        }

        @Override
        Defaults defaults() {
            return new Defaults(2, 0.5, 1, 0.2, List.of(1));
        }

        @Override
        Map<String, String> extra() {
            for (String p : phases.split(",")) {
                String id = p.trim().toLowerCase(Locale.ROOT);
                if (!id.equals("app") && !id.equals("appmix")) {
                    try {
                        hakmem.bench.Scenario.of(id);
                    } catch (IllegalArgumentException e) {
                        throw new ParameterException(spec.commandLine(), e.getMessage() + ", app");
                    }
                }
            }
            Map<String, String> m = new LinkedHashMap<>();
            m.put("phases", phases);
            m.put("window", Integer.toString(window));
            return m;
        }
    }

    @Command(name = "all", mixinStandardHelpOptions = true,
            description = "Every workload in turn (larson, scenarios, appmix, remote, phase), each with its own defaults; common options apply to all.")
    static final class All implements Callable<Integer> {
        @Mixin
        RunOptions options = new RunOptions();

        @Override
        public Integer call() throws Exception {
            int code = 0;
            List<WorkloadCommand> cmds = List.of(new Larson(), new Scenarios(), new AppMix(), new Remote(), new Phase());
            for (WorkloadCommand c : cmds) {
                // Each subcommand's own options at their defaults, the shared ones from this command line.
                CommandLine sub = new CommandLine(c);
                sub.parseArgs();
                c.options = options;
                code |= runAndReport(c.plan(), options, System.out);
                System.out.println();
            }
            return code;
        }
    }

    @Command(name = "chart", mixinStandardHelpOptions = true,
            description = "Prints the tables and draws the charts of results files written by a run (JSON or CSV, e.g. from the 16-core sweep).")
    static final class Chart implements Callable<Integer> {
        @Option(names = "--from", required = true, split = ",", paramLabel = "FILE", description = "Results files (.json or .csv).")
        List<Path> from;

        @Option(names = "--out", paramLabel = "DIR", description = "Where charts go (default: beside each file).")
        Path out;

        @Option(names = "--no-chart", description = "Only print the tables.")
        boolean noChart;

        @Override
        public Integer call() throws IOException {
            for (Path f : from) {
                if (!Files.isRegularFile(f)) {
                    throw new ParameterException(new CommandLine(this), "no such results file: " + f);
                }
                Results r = Results.read(f);
                System.out.println(r.workload().id() + " on " + r.machine() + " (" + f + "):");
                System.out.println("  " + r.workload().op());
                System.out.print(Report.full(r));
                Path dir = out != null ? out : f.toAbsolutePath().getParent();
                chart(r, dir.toAbsolutePath().normalize(), noChart, System.out);
                System.out.println();
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the allocators, groups and workloads.")
    static final class ListAllocators implements Runnable {
        @Override
        public void run() {
            System.out.println("allocators:");
            for (Allocators.Spec s : Allocators.ALL) {
                System.out.printf(Locale.ROOT, "  %-15s %-7s %s%n", s.name(), s.group().name().toLowerCase(Locale.ROOT), s.what());
            }
            System.out.println("groups:");
            Allocators.GROUPS.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> System.out.printf(Locale.ROOT, "  %-15s %s%n", e.getKey(), e.getValue()));
            System.out.println("workloads:");
            for (Workload w : Workload.values()) {
                System.out.printf(Locale.ROOT, "  %-15s %s%n", w.id(), w.op());
            }
        }
    }

    /** One measurement in this JVM: prints a RESULT line per measurement (JSON), or SKIP with the reason. */
    @Command(name = "measure", hidden = true)
    static final class Measure implements Callable<Integer> {
        @Option(names = "--workload", required = true)
        String workload;
        @Option(names = "--scenario", required = true)
        String scenario;
        @Option(names = "--allocator", required = true)
        String allocator;
        @Option(names = "--threads", defaultValue = "1")
        int threads;
        @Option(names = "--set")
        Map<String, String> settings = new LinkedHashMap<>();

        @Override
        public Integer call() throws Exception {
            Workload w = Workload.of(workload);
            Backend b;
            try {
                b = Allocators.open(allocator);
            } catch (Allocators.Unavailable e) {
                System.out.println(Runner.SKIP + e.getMessage());
                return 0;
            }
            List<Measurement> ms;
            try (b) {
                ms = w.run(b, scenario, threads, settings);
                String counters = b.counterReport();
                if (counters != null) {
                    System.out.println(counters); // echoed by the parent beside the measurement
                }
                long live = b.liveBlocks();
                if (live > 0) {
                    throw new IllegalStateException(allocator + " still holds " + live + " blocks after " + w.id()
                            + " freed everything");
                }
            }
            List<String> lines = new ArrayList<>();
            for (Measurement m : ms) {
                lines.add(Runner.RESULT + Json.write(Results.measurementJson(m)));
            }
            lines.forEach(System.out::println);
            return 0;
        }
    }
}
