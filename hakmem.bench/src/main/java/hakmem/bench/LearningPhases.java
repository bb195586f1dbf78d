package hakmem.bench;

import hakmem.api.Allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The workload that shows whether learning pays: phases where no one fixed policy is best, run back to
 * back on one allocator by T threads.
 * <ol>
 *   <li>{@code steady}: each thread replaces random blocks among {@value #SMALL_SLOTS} small ones
 *       (16..1024 B): the policy's knobs do not touch it, so it shows what learning costs.</li>
 *   <li>{@code burst}: each thread keeps {@value #BIG_SLOTS} big blocks (2..8 MiB, touched page by page)
 *       and replaces the oldest: the default big-block cache (16 blocks, 64 MiB) is too small for them,
 *       so freed mappings go back to the OS and come again with every page faulted anew.</li>
 *   <li>{@code idle}: after the burst the threads free everything and wait: nothing runs, and what the
 *       allocator keeps for reuse is all that counts.</li>
 * </ol>
 * A phase's figures are taken over its second half, after the warm-up a learner needs: operations per
 * second for the busy phases, bytes reserved for every phase (the idle one is judged by them).
 */
public final class LearningPhases {

    /** The phases in the order they run. */
    public static final List<String> PHASES = List.of("steady", "burst", "idle");
    static final int SMALL_SLOTS = 2000;
    static final int BIG_SLOTS = 10;
    static final long BIG_MIN = 2L << 20;
    static final long BIG_MAX = 8L << 20;

    /** The run's settings. */
    public record Params(double phaseSeconds, int threads, long seed, double sampleSeconds) {
        public Params {
            if (!(phaseSeconds > 0) || threads < 1 || !(sampleSeconds > 0)) {
                throw new IllegalArgumentException("phase seconds and sample seconds must be > 0, threads >= 1: "
                        + phaseSeconds + ", " + threads + ", " + sampleSeconds);
            }
        }
    }

    /** One sample of the run: when, the phase, operations per second since the last, memory, the learner's line. */
    public record Sample(double seconds, String phase, double opsPerSecond, long reservedBytes, long rssKiB, String learner) {
    }

    /** A phase's figures over its second half: mean operations per second, mean and peak reserved bytes, mean RSS. */
    public record Phase(String name, double opsPerSecond, double meanReservedBytes, long peakReservedBytes, double meanRssKiB) {
    }

    /** What a run measured. */
    public record Result(List<Phase> phases, List<Sample> samples, long peakRssKiB, String finalLearner) {
    }

    private final Params params;
    private final Allocator allocator;
    private final Consumer<String> progress;
    /** Per thread, at {@code thread * 16}, operations done; read racily by the sampler. */
    private final long[] ops;
    private volatile String phase = PHASES.getFirst();
    private volatile boolean stop;

    public LearningPhases(Params params, Allocator allocator, Consumer<String> progress) {
        this.params = params;
        this.allocator = allocator;
        this.progress = progress;
        this.ops = new long[params.threads() * 16];
    }

    public Result run() throws InterruptedException {
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        Thread[] workers = new Thread[params.threads()];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < workers.length; t++) {
            int id = t;
            workers[t] = Thread.ofPlatform().name("phases-" + t).start(() -> {
                try {
                    work(id, start);
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                    stop = true;
                }
            });
        }
        long total = 0;
        long last = System.nanoTime();
        double end = params.phaseSeconds() * PHASES.size();
        while (!stop) {
            LockSupport.parkNanos((long) (params.sampleSeconds() * 1e9));
            long now = System.nanoTime();
            double at = (now - start) / 1e9;
            long sum = 0;
            for (int t = 0; t < params.threads(); t++) {
                sum += ops[t * 16];
            }
            String learner = allocator.stats().learner().lines().findFirst().orElse("");
            samples.add(new Sample(at, phase, (sum - total) / ((now - last) / 1e9), allocator.stats().reservedBytes(),
                    Memory.rssKiB(), learner));
            total = sum;
            last = now;
            if (at >= end) {
                stop = true;
            }
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("a worker failed", failure[0]);
        }
        List<Phase> phases = new ArrayList<>();
        for (int i = 0; i < PHASES.size(); i++) {
            double from = params.phaseSeconds() * (i + 0.5);
            double to = params.phaseSeconds() * (i + 1);
            List<Sample> in = samples.stream().filter(s -> s.seconds() > from && s.seconds() <= to).toList();
            phases.add(new Phase(PHASES.get(i),
                    in.stream().mapToDouble(Sample::opsPerSecond).average().orElse(0),
                    in.stream().mapToLong(Sample::reservedBytes).average().orElse(0),
                    in.stream().mapToLong(Sample::reservedBytes).max().orElse(0),
                    in.stream().mapToLong(Sample::rssKiB).average().orElse(0)));
        }
        return new Result(phases, samples, Memory.peakRssKiB(), allocator.stats().learner());
    }

    private void work(int id, long start) {
        SplittableRandom random = new SplittableRandom(params.seed() * 31 + id);
        long[] small = new long[SMALL_SLOTS];
        long[] big = new long[BIG_SLOTS];
        long[] bigSize = new long[BIG_SLOTS];
        int oldest = 0;
        int at = id * 16;
        while (!stop) {
            double t = (System.nanoTime() - start) / 1e9;
            int p = (int) (t / params.phaseSeconds());
            if (p >= PHASES.size()) {
                break;
            }
            if (id == 0 && !PHASES.get(p).equals(phase)) {
                phase = PHASES.get(p);
                progress.accept(String.format(Locale.ROOT, "%.1f s: phase %s", t, phase));
            }
            switch (PHASES.get(p)) {
                case "steady" -> {
                    for (int i = 0; i < 1000; i++) {
                        int s = random.nextInt(SMALL_SLOTS);
                        allocator.free(small[s]);
                        long size = 16 + random.nextInt(1009);
                        small[s] = allocator.malloc(size);
                        Memory.touchEnds(small[s], size);
                    }
                    ops[at] += 1000;
                }
                case "burst" -> {
                    freeAll(small);
                    allocator.free(big[oldest]);
                    long size = BIG_MIN + (random.nextLong(BIG_MAX - BIG_MIN) & -(64L << 10));
                    big[oldest] = allocator.malloc(size);
                    bigSize[oldest] = size;
                    Memory.touchPages(big[oldest], size);
                    oldest = (oldest + 1) % BIG_SLOTS;
                    ops[at]++;
                }
                default -> {
                    freeAll(small);
                    freeAll(big);
                    LockSupport.parkNanos(20_000_000L);
                }
            }
        }
        freeAll(small);
        freeAll(big);
    }

    private void freeAll(long[] blocks) {
        for (int i = 0; i < blocks.length; i++) {
            if (blocks[i] != 0) {
                allocator.free(blocks[i]);
                blocks[i] = 0;
            }
        }
    }
}
