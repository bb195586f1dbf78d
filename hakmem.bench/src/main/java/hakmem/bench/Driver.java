package hakmem.bench;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Runs timed phases of per-thread loops (every workload but larson, which keeps its own faithful driver).
 *
 * <p>Protocol. The main thread owns {@code stage}: 0 = warm-up of phase 0, {@code k + 1} = phase k is
 * measured, {@code phases + 1} = stop. Worker i creates its loop for phase k on its own thread (so the
 * blocks it starts with are its own), then calls {@link Loop#batch()} until {@code stage} passes
 * {@code k + 1}; only batches begun while {@code stage == k + 1} count. Then it calls
 * {@link Loop#finish()} (which frees everything the loop holds) and goes on to phase k + 1. The main
 * thread ends a phase only once every timed worker has counted a batch in it, so an allocator slower
 * than the phase is long still gets a figure (over a longer window). Each worker
 * keeps its own counters and histogram (no sharing while measuring); the main thread reads them after
 * {@code join}. A worker that throws stops the run ({@link #aborted()}) and the error is rethrown.
 */
public final class Driver {

    /** One thread's work in one phase. */
    public interface Loop {
        /** Does a short batch of work (well under a millisecond) and returns the operations it did. */
        long batch();

        /** Frees every block the loop still holds. Runs on the loop's thread after its last batch. */
        void finish();

        /** Whether batch times go into the latency histogram (a consumer's waiting would only add noise). */
        default boolean timed() {
            return true;
        }
    }

    /**
     * One phase: its name, how long it is measured, how many worker threads it needs and each worker's
     * loop (created on that worker's thread).
     */
    public record Phase(String name, double seconds, int workers, IntFunction<Loop> loop) {
    }

    /**
     * What a phase measured.
     *
     * @param ops           operations counted in all workers
     * @param seconds       length of the measured window (main thread's clock)
     * @param nsPerOp       mean over workers of (worker's measured time / its operations)
     * @param histogram     batch latency per operation in picoseconds, all timed workers merged
     * @param peakRssKiB    VmHWM at the end of the phase
     * @param reservedBytes backend's reserved bytes near the end of the phase (-1 unknown)
     * @param liveBytes     backend's live requested bytes at that moment (-1 unknown)
     */
    public record Result(String name, long ops, double seconds, double nsPerOp, Histogram histogram,
                         long peakRssKiB, long reservedBytes, long liveBytes) {
        public double opsPerSecond() {
            return ops / seconds;
        }

        public double percentileNs(double p) {
            return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(p) / 1000.0;
        }
    }

    private final Backend backend;
    private final double warmupSeconds;
    private final List<Phase> phases;
    private volatile int stage;
    private volatile boolean aborted;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** Per phase: workers whose timed loop has not yet finished a measured batch. */
    private final AtomicIntegerArray pending;

    public Driver(Backend backend, double warmupSeconds, List<Phase> phases) {
        if (phases.isEmpty()) {
            throw new IllegalArgumentException("no phase");
        }
        int workers = phases.get(0).workers();
        for (Phase p : phases) {
            if (p.workers() != workers || p.seconds() <= 0) {
                throw new IllegalArgumentException("phases need the same worker count and a positive time: " + phases);
            }
        }
        this.backend = backend;
        this.warmupSeconds = Math.max(0, warmupSeconds);
        this.phases = List.copyOf(phases);
        this.pending = new AtomicIntegerArray(phases.size());
        for (int k = 0; k < phases.size(); k++) {
            pending.set(k, workers);
        }
    }

    /** True once a worker failed: loops that wait on one another give up. */
    public boolean aborted() {
        return aborted;
    }

    public List<Result> run() throws InterruptedException {
        int workers = phases.get(0).workers();
        int n = phases.size();
        long[][] ops = new long[n][workers];
        long[][] nanos = new long[n][workers];
        Histogram[][] hist = new Histogram[n][workers];
        CountDownLatch ready = new CountDownLatch(workers);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int id = w;
            Thread t = new Thread(() -> work(id, ready, ops, nanos, hist), "bench-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        ready.await();
        long[] reserved = new long[n];
        long[] live = new long[n];
        long[] rss = new long[n];
        double[] seconds = new double[n];
        sleep(warmupSeconds);
        for (int k = 0; k < n && !aborted; k++) {
            long start = System.nanoTime();
            stage = k + 1;
            double s = phases.get(k).seconds();
            sleep(s * 0.9);
            reserved[k] = backend.reservedBytes();
            live[k] = backend.liveBytes();
            long left = (long) (s * 1e9) - (System.nanoTime() - start);
            if (left > 0) {
                Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
            }
            // A batch longer than the phase (a slow allocator's round) still gets measured once.
            while (pending.get(k) > 0 && !aborted) {
                Thread.sleep(1);
            }
            seconds[k] = (System.nanoTime() - start) / 1e9;
            rss[k] = Memory.peakRssKiB();
        }
        stage = n + 1;
        for (Thread t : threads) {
            t.join();
        }
        Throwable f = failure.get();
        if (f != null) {
            throw new IllegalStateException("a worker failed: " + f, f);
        }
        List<Result> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            long total = 0;
            double perOp = 0;
            int counted = 0;
            Histogram merged = new Histogram(3);
            for (int w = 0; w < workers; w++) {
                total += ops[k][w];
                if (ops[k][w] > 0) {
                    perOp += (double) nanos[k][w] / ops[k][w];
                    counted++;
                }
                merged.add(hist[k][w]);
            }
            out.add(new Result(phases.get(k).name(), total, seconds[k], counted == 0 ? Double.NaN : perOp / counted,
                    merged, rss[k], reserved[k], live[k]));
        }
        return out;
    }

    private void work(int id, CountDownLatch ready, long[][] ops, long[][] nanos, Histogram[][] hist) {
        try {
            for (int k = 0; k < phases.size(); k++) {
                Loop loop = phases.get(k).loop().apply(id);
                Histogram h = new Histogram(3);
                hist[k][id] = h;
                if (k == 0) {
                    ready.countDown();
                }
                long count = 0;
                long begin = -1;
                long end = 0;
                boolean timed = loop.timed();
                if (!timed) {
                    pending.decrementAndGet(k);
                }
                while (!aborted) {
                    int s = stage;
                    if (s > k + 1) {
                        break;
                    }
                    boolean measuring = s == k + 1;
                    long a = System.nanoTime();
                    long done = loop.batch();
                    long z = System.nanoTime();
                    if (measuring && done > 0) {
                        if (begin < 0) {
                            begin = a;
                            if (timed) {
                                pending.decrementAndGet(k);
                            }
                        }
                        end = z;
                        count += done;
                        if (timed) {
                            h.recordValue((z - a) * 1000 / done);
                        }
                    }
                }
                loop.finish();
                ops[k][id] = count;
                nanos[k][id] = begin < 0 ? 0 : end - begin;
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            aborted = true;
            ready.countDown();
        }
    }

    private static void sleep(double seconds) throws InterruptedException {
        long ms = (long) (seconds * 1000);
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }
}
