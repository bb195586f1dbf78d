package hakmem.bench.cli;

import hakmem.bench.Allocators;
import hakmem.bench.Measurement;
import hakmem.bench.Workload;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a plan: every (run, scenario, thread count, allocator) in its own child JVM, so one allocator's
 * JIT profile and heap cannot affect another's. Allocators are interleaved innermost, so drift on a
 * shared machine hits all of them alike. An allocator that cannot be opened is asked once and then
 * skipped with its reason; a child that fails is reported and the rest goes on. The results file is
 * rewritten after every measurement, so a run cut short still leaves what it measured.
 */
final class Runner {

    static final String RESULT = "RESULT ";
    static final String SKIP = "SKIP ";

    /** What to run. {@code settings} go to every child (seconds are capped per allocator, see {@link Allocators.Spec#cap}). */
    record Plan(Workload workload, List<String> scenarios, List<Integer> threads, List<Allocators.Spec> allocators,
                int runs, Map<String, String> settings) {

        int measurements() {
            return runs * scenarios.size() * threads.size() * allocators.size();
        }

        /** Seconds one measurement of {@code spec} runs: warm-up plus every measured phase. */
        double seconds(Allocators.Spec spec) {
            double s = spec.cap(Double.parseDouble(settings.getOrDefault("seconds", "1")));
            double w = workload == Workload.LARSON ? 0 : Double.parseDouble(settings.getOrDefault("warmup", "0"));
            int phases = workload == Workload.PHASE ? scenarios.get(0).split(",").length : 1;
            return w + s * phases;
        }
    }

    private final PrintStream out;

    Runner(PrintStream out) {
        this.out = out;
    }

    Results run(Plan plan, Path dir, String machine) throws IOException, InterruptedException {
        Results results = new Results(plan.workload(), plan.settings(), machine, java.time.Instant.now().toString());
        int total = plan.measurements();
        int done = 0;
        long t0 = System.nanoTime();
        double planned = 0;
        for (Allocators.Spec a : plan.allocators()) {
            planned += plan.seconds(a) + 0.6;
        }
        planned *= (double) total / plan.allocators().size();
        double spent = 0;
        for (int run = 1; run <= plan.runs(); run++) {
            for (String scenario : plan.scenarios()) {
                for (int t : plan.threads()) {
                    for (Allocators.Spec a : plan.allocators()) {
                        done++;
                        if (results.skipped().containsKey(a.name()) || results.failed().containsKey(a.name())) {
                            planned -= plan.seconds(a) + 0.6;
                            continue;
                        }
                        double elapsed = (System.nanoTime() - t0) / 1e9;
                        double left = Math.max(0, planned - spent);
                        out.printf(Locale.ROOT, "  [%d/%d, %.0f s elapsed, ~%.0f s left] %s%s: %s, %d %s%s%n", done, total,
                                elapsed, left, plan.workload().id(),
                                scenario.equals(plan.workload().id()) ? "" : " " + scenario, a.name(), t,
                                plan.workload() == Workload.REMOTE ? (t == 1 ? "pair" : "pairs") : (t == 1 ? "thread" : "threads"),
                                plan.runs() > 1 ? ", run " + run + "/" + plan.runs() : "");
                        out.flush();
                        spent += plan.seconds(a) + 0.6;
                        Outcome o = fork(plan, a, scenario, t);
                        if (o.skip() != null) {
                            results.skipped().put(a.name(), o.skip());
                            out.println("    skipped: " + o.skip());
                        } else if (o.failure() != null) {
                            results.failed().put(a.name(), o.failure());
                            out.println("    FAILED: " + o.failure());
                        } else {
                            for (Measurement m : o.measurements()) {
                                results.add(run, m);
                            }
                        }
                        results.write(dir);
                    }
                }
            }
        }
        return results;
    }

    /** What a child JVM said: measurements, or why the allocator was skipped, or how it failed. */
    record Outcome(List<Measurement> measurements, String skip, String failure) {
    }

    /** The child JVM's command line for one measurement. */
    static List<String> command(Plan plan, Allocators.Spec a, String scenario, int threads) {
        List<String> cmd = java(a);
        cmd.addAll(List.of("measure", "--workload", plan.workload().id(), "--scenario", scenario,
                "--allocator", a.name(), "--threads", Integer.toString(threads)));
        Map<String, String> settings = new LinkedHashMap<>(plan.settings());
        if (settings.containsKey("seconds")) {
            settings.put("seconds", Double.toString(a.cap(Double.parseDouble(settings.get("seconds")))));
        }
        settings.forEach((k, v) -> cmd.addAll(List.of("--set", k + "=" + v)));
        return cmd;
    }

    /** A child JVM for {@code a} up to the bench's main class: the subcommand and its options follow. */
    static List<String> java(Allocators.Spec a) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xss1m");
        cmd.addAll(a.jvmArgs());
        // hakmem's own switches (hakmem.tiers, hakmem.learning...) given to this JVM go to the measuring one.
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("hakmem.")).sorted()
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && Runner.class.getModule().isNamed()) {
            cmd.add("--enable-native-access=hakmem.api,hakmem.bench");
            cmd.addAll(List.of("--module-path", modulePath, "-m", "hakmem.bench/hakmem.bench.Main"));
        } else {
            cmd.add("--enable-native-access=ALL-UNNAMED");
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "hakmem.bench.Main"));
        }
        return cmd;
    }

    private Outcome fork(Plan plan, Allocators.Spec a, String scenario, int threads) throws IOException, InterruptedException {
        List<Measurement> ms = new ArrayList<>();
        String[] skip = {null};
        List<String> other = new ArrayList<>();
        int code = exec(command(plan, a, scenario, threads), a.env(), plan.seconds(a) + 180, line -> {
            if (line.startsWith(RESULT)) {
                ms.add(Results.measurement((Map<?, ?>) Json.parse(line.substring(RESULT.length()))));
            } else if (line.startsWith(SKIP)) {
                skip[0] = line.substring(SKIP.length());
            } else {
                other.add(line);
                out.println("    | " + line);
            }
        });
        if (skip[0] != null && code == 0) {
            return new Outcome(List.of(), skip[0], null);
        }
        if (code != 0 || ms.isEmpty()) {
            String last = other.isEmpty() ? "(no output)" : other.get(other.size() - 1);
            return new Outcome(List.of(), null, "exit code " + code + " in " + scenario + " with " + threads
                    + " thread(s): " + last);
        }
        return new Outcome(ms, null, null);
    }

    /**
     * Runs a child JVM, handing each line it prints (stdout and stderr together) to {@code lines} as it
     * comes; kills it after {@code limitSeconds}, or when this JVM is stopped. Returns its exit code.
     */
    static int exec(List<String> cmd, Map<String, String> env, double limitSeconds, Consumer<String> lines)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process proc = pb.start();
        // Stopped (Ctrl-C, a time limit): take the measuring child down too.
        Thread reaper = new Thread(proc::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(reaper);
        Thread killer = Thread.ofPlatform().daemon().start(() -> {
            try {
                if (!proc.waitFor((long) limitSeconds, TimeUnit.SECONDS)) {
                    proc.destroyForcibly();
                }
            } catch (InterruptedException ignored) {
                // the run is over
            }
        });
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.accept(line);
            }
        }
        int code = proc.waitFor();
        killer.interrupt();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway; the child has ended
        }
        return code;
    }
}
