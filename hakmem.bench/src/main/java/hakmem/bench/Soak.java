package hakmem.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * A soak: T threads allocate and free blocks of every tier's sizes for a long time, verifying every
 * block's contents, while the process's resident memory and the allocator's reserved bytes are
 * sampled, to show that nothing is corrupted and that memory does not creep.
 *
 * <p>Each thread holds a window of slots. A step picks a random slot; a block there is checked against
 * its pattern ({@link BlockPattern}) and freed, or, one time in {@link Params#handOffOneIn}, handed
 * unchecked to another thread's inbox; then a block of a size drawn from the slot's {@link #band} is
 * allocated into the slot and filled with the pattern of a fresh tag. Each thread empties its inbox (check, free)
 * before every batch of {@link #STEPS} steps, so blocks are freed by threads that did not allocate them.
 * At the end each thread checks and frees its window, the calling thread empties the inboxes, and the
 * allocator must hold no block.
 *
 * <p>A corruption is a block whose contents differ from its pattern when it is checked. Resident memory
 * is called flat when, after the warm-up (the first {@link #WARMUP_FRACTION} of the run, while windows
 * fill and caches and the JIT settle), every sample is within {@link #FLAT_TOLERANCE} of the first sample
 * taken after it. Steady-state work allocates nothing on the Java heap (slots and inboxes are arrays of
 * longs), so the heap does not blur the figure.
 */
public final class Soak {

    /** Steps between two looks at the stop flag and the inbox. */
    static final int STEPS = 256;
    /** Share of the run counted as warm-up. */
    public static final double WARMUP_FRACTION = 0.2;
    /** How far from the reference a sample after warm-up may be for memory to count as flat. */
    public static final double FLAT_TOLERANCE = 0.05;
    /** Blocks an inbox holds; a thread whose hand-off finds it full frees the block itself. */
    static final int INBOX = 256;
    /** Corruptions described in the result; all are counted. */
    static final int DESCRIBED = 20;

    public static final String MIX = "slots 90 % 1 B-1 KiB (tiny), 8 % 1-32 KiB (l2), 1.8 % 32 KiB-1 MiB (l25),"
            + " 0.2 % 1-4 MiB (big blocks)";

    /**
     * @param seconds        how long to run
     * @param threads        worker threads
     * @param window         slots (live blocks at most) per thread
     * @param seed           seeds every thread's generator
     * @param sampleSeconds  time between two memory samples
     * @param handOffOneIn   one block in this many is handed to another thread instead of being freed
     */
    public record Params(double seconds, int threads, int window, long seed, double sampleSeconds, int handOffOneIn) {
        public static final int DEFAULT_WINDOW = 1000;
        public static final int DEFAULT_HAND_OFF = 32;

        public Params {
            if (!(seconds > 0) || threads < 1 || window < 1 || !(sampleSeconds > 0) || handOffOneIn < 1) {
                throw new IllegalArgumentException("bad soak parameters: " + this);
            }
        }

        public static Params of(double seconds, int threads, long seed) {
            return new Params(seconds, threads, DEFAULT_WINDOW, seed, 1, DEFAULT_HAND_OFF);
        }
    }

    /** Memory at one moment: the process's VmRSS, the allocator's reserved and live bytes, operations so far. */
    public record Sample(double seconds, long rssKiB, long reservedBytes, long liveBytes, long ops) {
    }

    /**
     * Whether one figure stayed flat after warm-up.
     *
     * @param reference    the first sample at or after the warm-up
     * @param maxDeviation largest |sample / reference - 1| after the warm-up (NaN: no sample there)
     * @param drift        last / reference - 1
     */
    public record Flatness(double warmupSeconds, long reference, long min, long max, long last, double maxDeviation,
                           double drift) {

        public boolean flat() {
            return maxDeviation <= FLAT_TOLERANCE;
        }

        public static Flatness of(List<Sample> samples, double warmupSeconds, ToLongFunction<Sample> figure) {
            long ref = -1, min = Long.MAX_VALUE, max = Long.MIN_VALUE, last = -1;
            for (Sample s : samples) {
                long v = figure.applyAsLong(s);
                if (s.seconds() < warmupSeconds || v < 0) {
                    continue;
                }
                if (ref < 0) {
                    ref = v;
                }
                min = Math.min(min, v);
                max = Math.max(max, v);
                last = v;
            }
            if (ref <= 0) {
                return new Flatness(warmupSeconds, ref, -1, -1, -1, Double.NaN, Double.NaN);
            }
            double dev = Math.max((double) max / ref - 1, 1 - (double) min / ref);
            return new Flatness(warmupSeconds, ref, min, max, last, dev, (double) last / ref - 1);
        }
    }

    /**
     * What a soak did.
     *
     * @param handedOver         blocks handed to another thread, which checked and freed them
     * @param verified           blocks checked against their pattern (intact or not)
     * @param corruptions        checked blocks whose contents differed
     * @param corruptionSamples  the first {@value #DESCRIBED} corruptions, described
     * @param failures           exceptions that stopped a thread (none in a good run)
     * @param liveBlocksAtEnd    blocks the allocator still counted live after everything was freed (-1 unknown)
     * @param reservedAtEnd      reserved bytes after everything was freed, before {@code trim()} (-1 unknown)
     * @param reservedAfterTrim  reserved bytes after {@code trim()} (-1 unknown)
     */
    public record Result(String allocator, int threads, double seconds, long allocations, long frees, long handedOver,
                         long verified, long corruptions, List<String> corruptionSamples, List<String> failures,
                         List<Sample> samples, double warmupSeconds, long liveBlocksAtEnd, long reservedAtEnd,
                         long reservedAfterTrim, long rssAfterTrimKiB, long peakRssKiB) {

        public long ops() {
            return allocations + frees;
        }

        public Flatness rss() {
            return Flatness.of(samples, warmupSeconds, Sample::rssKiB);
        }

        public Flatness reserved() {
            return Flatness.of(samples, warmupSeconds, Sample::reservedBytes);
        }

        /** No corruption, no failure, nothing left allocated. */
        public boolean ok() {
            return corruptions == 0 && failures.isEmpty() && liveBlocksAtEnd <= 0 && allocations == frees;
        }
    }

    /**
     * The size band of a slot, fixed for the run: of every 1000 slots 900 hold tiny blocks, 80 l2, 18 l25
     * and 2 big ones (a window under 500 slots has no big-block slot). Were each step to draw its band,
     * the few live big and l25 blocks would swing the live bytes, and with them resident memory, far more
     * than any allocator's drift; with the count per band fixed only the sizes within a band vary.
     */
    static int band(int slot, int window) {
        long permille = (long) slot * 1000 / window;
        return permille < 900 ? 0 : permille < 980 ? 1 : permille < 998 ? 2 : 3;
    }

    /** A request size within a band: 1 B-1 KiB, 1-32 KiB, 32 KiB-1 MiB, 1-4 MiB. */
    static long size(int band, SplittableRandom r) {
        return switch (band) {
            case 0 -> 1 + r.nextInt(1024);
            case 1 -> 1025 + r.nextInt(32 * 1024 - 1024);
            case 2 -> 32 * 1024 + 1 + r.nextInt(1024 * 1024 - 32 * 1024);
            default -> 1024 * 1024 + 1 + r.nextInt(3 * 1024 * 1024);
        };
    }

    private final Params p;
    private final Backend backend;
    private final Consumer<String> progress;
    private final AtomicLong corruptions = new AtomicLong();
    private final List<String> described = Collections.synchronizedList(new ArrayList<>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stop;

    /** {@code progress} gets a line about every tenth of the run (null: none). */
    public Soak(Params p, Backend backend, Consumer<String> progress) {
        this.p = p;
        this.backend = backend;
        this.progress = progress;
    }

    public Result run() throws InterruptedException {
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < p.threads(); i++) {
            workers.add(new Worker(i, workers));
        }
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        samples.add(sample(0, workers));
        List<Thread> threads = new ArrayList<>();
        for (Worker w : workers) {
            threads.add(Thread.ofPlatform().name("soak-" + w.index).start(w));
        }
        long interval = (long) (p.sampleSeconds() * 1e9);
        long end = start + (long) (p.seconds() * 1e9);
        long reportEvery = Math.max(interval, (long) (p.seconds() * 1e8));
        long nextReport = start + reportEvery;
        try {
            for (long next = start + interval; !stop; next = Math.min(next + interval, end)) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                long now = System.nanoTime();
                Sample s = sample((now - start) / 1e9, workers);
                samples.add(s);
                if (progress != null && now >= nextReport) {
                    progress.accept(line(s, workers));
                    nextReport += reportEvery;
                }
                if (now >= end) {
                    stop = true;
                }
            }
        } finally {
            // Interrupted or failed while sampling: the workers must not run on.
            stop = true;
            for (Thread t : threads) {
                t.join();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = Memory.peakRssKiB();
        // Blocks handed over after their receiver emptied its inbox for the last time.
        for (Worker w : workers) {
            w.emptyInbox();
        }
        long live = backend.liveBlocks();
        long reservedAtEnd = backend.reservedBytes();
        backend.trim();
        long allocations = 0, frees = 0, handed = 0, verified = 0;
        for (Worker w : workers) {
            allocations += w.allocations;
            frees += w.frees;
            handed += w.handed;
            verified += w.verified;
        }
        return new Result(backend.name(), p.threads(), seconds, allocations, frees, handed, verified, corruptions.get(),
                List.copyOf(described), List.copyOf(failures), List.copyOf(samples), WARMUP_FRACTION * p.seconds(), live,
                reservedAtEnd, backend.reservedBytes(), Memory.rssKiB(), peak);
    }

    private Sample sample(double seconds, List<Worker> workers) {
        long ops = 0;
        for (Worker w : workers) {
            ops += w.opsSoFar;
        }
        return new Sample(seconds, Memory.rssKiB(), backend.reservedBytes(), backend.liveBytes(), ops);
    }

    private String line(Sample s, List<Worker> workers) {
        long verified = 0;
        for (Worker w : workers) {
            verified += w.verifiedSoFar;
        }
        return String.format(Locale.ROOT, "%6.1f s: %.1f M ops, %.1f M blocks verified, %d corruptions, RSS %.0f MiB, reserved %.0f MiB",
                s.seconds(), s.ops() / 1e6, verified / 1e6, corruptions.get(), s.rssKiB() / 1024.0, s.reservedBytes() / 1048576.0);
    }

    private void corruption(int thread, long address, long size, long tag, long offset) {
        long n = corruptions.incrementAndGet();
        if (n <= DESCRIBED) {
            described.add(String.format(Locale.ROOT, "block 0x%x of %d B, tag 0x%x, checked by thread %d: %s", address, size,
                    tag, thread, BlockPattern.describe(address, size, tag, offset)));
        }
    }

    /**
     * Blocks handed to one thread. Any thread offers, the owner empties it; hand-offs are rare, so one
     * lock is enough, and the arrays are made once so a hand-off allocates nothing.
     */
    static final class Inbox {
        private final long[] handles = new long[INBOX];
        private final long[] sizes = new long[INBOX];
        private final long[] tags = new long[INBOX];
        private int count; // guarded by this

        synchronized boolean offer(long handle, long size, long tag) {
            if (count == INBOX) {
                return false;
            }
            handles[count] = handle;
            sizes[count] = size;
            tags[count] = tag;
            count++;
            return true;
        }

        /** Moves every block into the given arrays ({@value #INBOX} long each); returns how many. */
        synchronized int takeAll(long[] h, long[] s, long[] t) {
            int n = count;
            System.arraycopy(handles, 0, h, 0, n);
            System.arraycopy(sizes, 0, s, 0, n);
            System.arraycopy(tags, 0, t, 0, n);
            count = 0;
            return n;
        }
    }

    private final class Worker implements Runnable {
        final int index;
        final List<Worker> all;
        final Inbox inbox = new Inbox();
        final long[] handles = new long[p.window()];
        final long[] sizes = new long[p.window()];
        final long[] tags = new long[p.window()];
        final byte[] bands = new byte[p.window()];
        final long[] takenHandles = new long[INBOX];
        final long[] takenSizes = new long[INBOX];
        final long[] takenTags = new long[INBOX];
        final SplittableRandom random;
        long nextTag;
        long allocations, frees, handed, verified;
        /** Published once per batch for the sampler; plain counters above are read after join. */
        volatile long opsSoFar, verifiedSoFar;

        Worker(int index, List<Worker> all) {
            this.index = index;
            this.all = all;
            this.random = new SplittableRandom(p.seed() + index);
            this.nextTag = (long) (index + 1) << 40;
            for (int v = 0; v < bands.length; v++) {
                bands[v] = (byte) band(v, bands.length);
            }
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    emptyInbox();
                    for (int s = 0; s < STEPS; s++) {
                        step();
                    }
                    opsSoFar = allocations + frees;
                    verifiedSoFar = verified;
                }
                for (int v = 0; v < handles.length; v++) {
                    if (handles[v] != 0) {
                        release(handles[v], sizes[v], tags[v]);
                        handles[v] = 0;
                    }
                }
                emptyInbox();
            } catch (Throwable t) {
                failures.add("thread " + index + ": " + t);
                stop = true;
            }
        }

        private void step() {
            int v = random.nextInt(handles.length);
            long h = handles[v];
            if (h != 0) {
                if (all.size() > 1 && random.nextInt(p.handOffOneIn()) == 0 && other().inbox.offer(h, sizes[v], tags[v])) {
                    handed++;
                } else {
                    release(h, sizes[v], tags[v]);
                }
            }
            long size = size(bands[v], random);
            long tag = nextTag++;
            h = backend.malloc(size);
            allocations++;
            BlockPattern.fill(backend.address(h), size, tag);
            handles[v] = h;
            sizes[v] = size;
            tags[v] = tag;
        }

        private Worker other() {
            return all.get((index + 1 + random.nextInt(all.size() - 1)) % all.size());
        }

        /** Checks and frees every block handed to this thread. */
        void emptyInbox() {
            int n = inbox.takeAll(takenHandles, takenSizes, takenTags);
            for (int i = 0; i < n; i++) {
                release(takenHandles[i], takenSizes[i], takenTags[i]);
            }
        }

        private void release(long handle, long size, long tag) {
            long address = backend.address(handle);
            long off = BlockPattern.firstMismatch(address, size, tag);
            verified++;
            if (off >= 0) {
                corruption(index, address, size, tag, off);
            }
            backend.free(handle);
            frees++;
        }
    }
}
