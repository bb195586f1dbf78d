package hakmem.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A Java port of mimalloc-bench's larson (Larson and Krishnan's server simulation).
 *
 * <p>Each of T threads owns an array of N blocks. A step frees a random slot and allocates a random
 * size in {@code [min, max)} into it, touching the block as the C code does (write, read, write). After
 * {@code rounds x N} steps a thread hands its array to a fresh thread and ends, so blocks are freed by
 * threads other than the one that allocated them. The main thread sleeps for the run time, raises the
 * stop flag and waits. Random numbers come from larson's own {@code lran2} generator.
 *
 * <p>Throughput counts operations = allocations + frees, per second. At the end every block still held
 * is freed, so the run checks that everything allocated was freed.
 */
public final class Larson {

    /** mimalloc-bench's defaults: {@code larson 5 8 1000 5000 100 4141 T}. */
    public record Params(double seconds, int minSize, int maxSize, int blocks, int rounds, long seed, int threads) {
        public Params {
            if (seconds <= 0 || minSize < 1 || maxSize <= minSize || blocks < 1 || rounds < 1 || threads < 1) {
                throw new IllegalArgumentException("bad larson parameters: " + this);
            }
        }

        public static Params defaults(int threads) {
            return new Params(5, 8, 1000, 5000, 100, 4141, threads);
        }

        public Params withSeconds(double s) {
            return new Params(s, minSize, maxSize, blocks, rounds, seed, threads);
        }

        public Params withThreads(int t) {
            return new Params(seconds, minSize, maxSize, blocks, rounds, seed, t);
        }
    }

    /**
     * @param reservedBytes bytes the allocator had mapped at the end of the run, before the final frees (-1 if unknown)
     * @param liveBytes     bytes asked for by the blocks live at that moment (-1 if unknown)
     */
    public record Result(long allocations, long frees, double seconds, int threadsStarted, long reservedBytes, long liveBytes) {
        public double opsPerSecond() {
            return (allocations + frees) / seconds;
        }
    }

    /** Larson's lran2: a shuffled linear congruential generator, values in [0, 714025). */
    static final class Lran2 {
        private static final long MAX = 714025L;
        private static final long IA = 1366L;
        private static final long IC = 150889L;
        private final long[] v = new long[97];
        private long x;
        private long y;

        Lran2(long seed) {
            long x0 = (IC - seed) % MAX;
            if (x0 < 0) {
                x0 = -x0;
            }
            for (int j = 0; j < 97; j++) {
                x0 = (IA * x0 + IC) % MAX;
                v[j] = x0;
            }
            x = (IA * x0 + IC) % MAX;
            y = x;
        }

        long next() {
            int j = (int) (y % 97);
            y = v[j];
            x = (IA * x + IC) % MAX;
            v[j] = x;
            return y;
        }
    }

    /** One thread's share: its array of blocks and counters, handed from thread to thread. */
    private static final class Area {
        final long[] blocks;
        final Lran2 random;
        long allocations;
        long frees;
        /** Threads running on this area now (0 or 1, briefly 2 while one hands over). */
        int threads;
        int started;

        Area(int n, long seed) {
            blocks = new long[n];
            random = new Lran2(seed);
        }
    }

    private static final MemorySegment ALL = Memory.ALL;

    private final Params p;
    private final Backend backend;
    private volatile boolean stop;

    public Larson(Params p, Backend backend) {
        this.p = p;
        this.backend = backend;
    }

    public Result run() throws InterruptedException {
        Lran2 seeds = new Lran2(p.seed());
        List<Area> areas = new ArrayList<>();
        int range = p.maxSize() - p.minSize();
        for (int t = 0; t < p.threads(); t++) {
            Area a = new Area(p.blocks(), seeds.next());
            for (int i = 0; i < p.blocks(); i++) {
                a.blocks[i] = backend.malloc(p.minSize() + seeds.next() % range);
                a.allocations++;
            }
            areas.add(a);
        }
        long warmAllocations = areas.stream().mapToLong(a -> a.allocations).sum();
        long start = System.nanoTime();
        for (Area a : areas) {
            start(a);
        }
        Thread.sleep((long) (p.seconds() * 1000));
        stop = true;
        // A thread may have started its successor just before the flag: follow each chain to its end.
        for (int t = 0; t < p.threads(); t++) {
            Area a = areas.get(t);
            synchronized (a) {
                while (a.threads > 0) {
                    a.wait();
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long allocations = 0, frees = 0;
        int started = 0;
        for (Area a : areas) {
            allocations += a.allocations;
            frees += a.frees;
            started += a.started;
        }
        long reserved = backend.reservedBytes();
        long live = backend.liveBytes();
        for (Area a : areas) {
            for (long block : a.blocks) {
                backend.free(block);
            }
        }
        return new Result(allocations - warmAllocations, frees, seconds, started, reserved, live);
    }

    private void start(Area a) {
        synchronized (a) {
            a.threads++;
            a.started++;
        }
        new Thread(() -> exercise(a), "larson").start();
    }

    private void exercise(Area a) {
        long[] blocks = a.blocks;
        Lran2 random = a.random;
        int n = blocks.length;
        int min = p.minSize();
        int range = p.maxSize() - min;
        long steps = (long) p.rounds() * n;
        long allocations = 0, frees = 0;
        for (long s = 0; s < steps; s++) {
            int victim = (int) (random.next() % n);
            backend.free(blocks[victim]);
            frees++;
            long size = min + random.next() % range;
            long block = backend.malloc(size);
            blocks[victim] = block;
            long at = backend.address(block);
            ALL.set(ValueLayout.JAVA_BYTE, at, (byte) 'a');
            byte ch = ALL.get(ValueLayout.JAVA_BYTE, at);
            ALL.set(ValueLayout.JAVA_BYTE, at + 1, (byte) (ch + 1));
            allocations++;
            if (stop) {
                break;
            }
        }
        synchronized (a) {
            a.allocations += allocations;
            a.frees += frees;
        }
        if (!stop) {
            start(a);
        }
        synchronized (a) {
            a.threads--;
            a.notifyAll();
        }
    }
}
