package hakmem.bench;

import hakmem.api.Concurrency;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The bench CLI.
 *
 * <pre>
 * larson [--quick] [--seconds S] [--threads 1,2] [--allocators hakmem-locked,glibc,...]
 *        [--min 8] [--max 1000] [--blocks 5000] [--rounds 100] [--seed 4141] [--runs 1]
 * </pre>
 *
 * Every measurement runs in a fresh JVM (like a JMH fork), so one allocator's JIT profile cannot
 * slow another's, and allocators are interleaved per thread count so drift on a shared machine hits
 * all of them alike. Allocators: {@code hakmem-locked}, {@code glibc}, {@code jemalloc},
 * {@code mimalloc}, {@code tcmalloc} (each native one where its library is installed).
 */
public final class Main {

    static final List<String> ALL = List.of("hakmem-locked", "hakmem-sharded", "hakmem-tls", "glibc", "jemalloc", "mimalloc", "tcmalloc");
    static final List<String> NATIVE = List.of("glibc", "jemalloc", "mimalloc", "tcmalloc");
    private static final String RESULT = "RESULT ";
    private static final String SKIP = "SKIP ";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            usage();
            return;
        }
        Map<String, String> opts = options(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "larson" -> larson(opts);
            case "larson-one" -> larsonOne(opts);
            default -> {
                System.err.println("unknown command: " + args[0]);
                usage();
                System.exit(2);
            }
        }
    }

    private static void usage() {
        System.out.println("""
                usage: hakmem-bench larson [--quick] [--seconds S] [--threads 1,2] [--allocators a,b]
                                           [--min B] [--max B] [--blocks N] [--rounds R] [--seed X] [--runs K]
                  defaults: mimalloc-bench's larson (5 s, 8-1000 B, 5000 blocks, 100 rounds, seed 4141), threads 1,2,
                  allocators %s; --quick runs 2 s each.""".formatted(String.join(",", ALL)));
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("expected an --option, got: " + a);
            }
            String key = a.substring(2);
            if (key.equals("quick")) {
                out.put(key, "true");
            } else {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option --" + key + " needs a value");
                }
                out.put(key, args[++i]);
            }
        }
        return out;
    }

    private static Larson.Params params(Map<String, String> o, int threads) {
        Larson.Params d = Larson.Params.defaults(threads);
        double seconds = Double.parseDouble(o.getOrDefault("seconds", o.containsKey("quick") ? "2" : Double.toString(d.seconds())));
        return new Larson.Params(seconds,
                Integer.parseInt(o.getOrDefault("min", Integer.toString(d.minSize()))),
                Integer.parseInt(o.getOrDefault("max", Integer.toString(d.maxSize()))),
                Integer.parseInt(o.getOrDefault("blocks", Integer.toString(d.blocks()))),
                Integer.parseInt(o.getOrDefault("rounds", Integer.toString(d.rounds()))),
                Long.parseLong(o.getOrDefault("seed", Long.toString(d.seed()))),
                threads);
    }

    static Backend backend(String name) {
        return switch (name) {
            case "hakmem-locked" -> new HakmemBackend(name, Concurrency.LOCKED);
            case "hakmem-sharded" -> new HakmemBackend(name, Concurrency.SHARDED);
            case "hakmem-tls" -> new HakmemBackend(name, Concurrency.TLS);
            case "glibc" -> NativeBackend.load(NativeBackend.GLIBC);
            case "jemalloc" -> NativeBackend.load(NativeBackend.JEMALLOC);
            case "mimalloc" -> NativeBackend.load(NativeBackend.MIMALLOC);
            case "tcmalloc" -> NativeBackend.load(NativeBackend.TCMALLOC);
            default -> throw new IllegalArgumentException("unknown allocator '" + name + "'; known: " + ALL);
        };
    }

    /** One measurement, in this JVM: prints one RESULT line (or SKIP with the reason). */
    private static void larsonOne(Map<String, String> o) throws Exception {
        String name = o.get("allocator");
        Larson.Params p = params(o, Integer.parseInt(o.getOrDefault("threads", "1")));
        Backend b;
        try {
            b = backend(name);
        } catch (IllegalStateException e) {
            System.out.println(SKIP + e.getMessage());
            return;
        }
        try (b) {
            Larson.Result r = new Larson(p, b).run();
            long live = b.liveBlocks();
            if (live > 0) {
                throw new IllegalStateException(name + " still holds " + live + " blocks after larson freed everything");
            }
            System.out.printf(Locale.ROOT, "%sops=%.0f allocs=%d frees=%d seconds=%.3f threadsStarted=%d rssKiB=%d reserved=%d live=%d%n",
                    RESULT, r.opsPerSecond(), r.allocations(), r.frees(), r.seconds(), r.threadsStarted(),
                    peakRssKiB(), r.reservedBytes(), r.liveBytes());
        }
    }

    static long peakRssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static void larson(Map<String, String> o) throws Exception {
        List<Integer> threads = Arrays.stream(o.getOrDefault("threads", "1,2").split(",")).map(String::trim).map(Integer::parseInt).toList();
        List<String> allocators = Arrays.stream(o.getOrDefault("allocators", String.join(",", ALL)).split(",")).map(String::trim).toList();
        for (String a : allocators) {
            if (!ALL.contains(a)) {
                throw new IllegalArgumentException("unknown allocator '" + a + "'; known: " + ALL);
            }
        }
        int runs = Integer.parseInt(o.getOrDefault("runs", "1"));
        Larson.Params p = params(o, 1);
        System.out.printf(Locale.ROOT, "larson: %.1f s per run, sizes %d-%d B, %d blocks per thread, %d rounds, seed %d;"
                        + " ops = allocations + frees per second; best of %d run(s), each in a fresh JVM%n",
                p.seconds(), p.minSize(), p.maxSize(), p.blocks(), p.rounds(), p.seed(), runs);
        Map<String, Map<Integer, String>> skipped = new LinkedHashMap<>();
        Map<String, Map<Integer, double[]>> best = new LinkedHashMap<>();
        int total = threads.size() * allocators.size() * runs;
        int done = 0;
        long t0 = System.nanoTime();
        for (int run = 0; run < runs; run++) {
            for (int t : threads) {
                for (String a : allocators) {
                    if (skipped.containsKey(a)) {
                        done++;
                        continue;
                    }
                    System.out.printf(Locale.ROOT, "  [%d/%d, %.0f s] %s, %d thread(s)%n", ++done, total,
                            (System.nanoTime() - t0) / 1e9, a, t);
                    String line = fork(a, t, o);
                    if (line.startsWith(SKIP)) {
                        skipped.computeIfAbsent(a, k -> new LinkedHashMap<>()).put(t, line.substring(SKIP.length()));
                        continue;
                    }
                    Map<String, String> r = new LinkedHashMap<>();
                    for (String kv : line.substring(RESULT.length()).split(" ")) {
                        String[] pair = kv.split("=", 2);
                        r.put(pair[0], pair[1]);
                    }
                    double ops = Double.parseDouble(r.get("ops"));
                    double[] prev = best.computeIfAbsent(a, k -> new LinkedHashMap<>()).get(t);
                    if (prev == null || ops > prev[0]) {
                        best.get(a).put(t, new double[] {ops, Double.parseDouble(r.get("rssKiB")) / 1024.0,
                                Double.parseDouble(r.get("reserved")) / (1 << 20), Double.parseDouble(r.get("live")) / (1 << 20)});
                    }
                }
            }
        }
        System.out.println();
        System.out.println(table(best, threads));
        skipped.forEach((a, why) -> System.out.println("skipped " + a + ": " + why.values().iterator().next()));
    }

    static String table(Map<String, Map<Integer, double[]>> best, List<Integer> threads) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| %-14s | %7s | %9s | %8s | %12s | %12s | %17s |%n",
                "allocator", "threads", "M ops/s", "vs glibc", "vs best nat.", "peak RSS MiB", "mapped / live MiB"));
        sb.append("|----------------|---------|-----------|----------|--------------|--------------|-------------------|\n");
        for (int t : threads) {
            double glibc = best.getOrDefault("glibc", Map.of()).getOrDefault(t, new double[] {Double.NaN})[0];
            double bestNative = Double.NaN;
            for (String n : NATIVE) {
                double[] v = best.getOrDefault(n, Map.of()).get(t);
                if (v != null && !(v[0] <= bestNative)) {
                    bestNative = v[0];
                }
            }
            for (var e : best.entrySet()) {
                double[] v = e.getValue().get(t);
                if (v == null) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "| %-14s | %7d | %9.1f | %7.2fx | %11.2fx | %12.0f | %17s |%n",
                        e.getKey(), t, v[0] / 1e6, v[0] / glibc, v[0] / bestNative, v[1],
                        v[2] < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f / %.1f", v[2], v[3])));
            }
        }
        return sb.toString();
    }

    /** Runs one measurement in a child JVM and returns its RESULT or SKIP line. */
    private static String fork(String allocator, int threads, Map<String, String> o) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=hakmem.api,hakmem.bench");
        cmd.add("-Xss1m");
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null) {
            cmd.addAll(List.of("--module-path", modulePath, "-m", "hakmem.bench/hakmem.bench.Main"));
        } else {
            cmd.set(1, "--enable-native-access=ALL-UNNAMED");
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        }
        cmd.add("larson-one");
        for (var e : o.entrySet()) {
            if (!e.getKey().equals("threads") && !e.getKey().equals("allocators") && !e.getKey().equals("runs")) {
                cmd.add("--" + e.getKey());
                if (!e.getKey().equals("quick")) {
                    cmd.add(e.getValue());
                }
            }
        }
        cmd.addAll(List.of("--allocator", allocator, "--threads", Integer.toString(threads)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (allocator.equals("jemalloc")) {
            // Debian's libjemalloc.so.2 uses static TLS: dlopen fails without room reserved for it.
            pb.environment().put("GLIBC_TUNABLES", "glibc.rtld.optional_static_tls=16384");
        }
        Process proc = pb.start();
        String found = null;
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                if (line.startsWith(RESULT) || line.startsWith(SKIP)) {
                    found = line;
                }
            }
        }
        if (!proc.waitFor(10, TimeUnit.MINUTES) || proc.exitValue() != 0 || found == null) {
            throw new IllegalStateException("measurement of " + allocator + " failed:\n" + all);
        }
        return found;
    }
}
