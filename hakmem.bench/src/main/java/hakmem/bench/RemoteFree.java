package hakmem.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * Remote frees: T producer/consumer pairs (2T threads). A producer allocates blocks of 16–2048 B, writes
 * their first byte and keeps the last {@value #HELD} in a local FIFO; the block that leaves the FIFO is
 * freed by the producer itself or, for a share R of them, passed through a {@value #RING}-slot ring to
 * its consumer, which frees it on another thread. R = 0 measures the thread-local path, R = 90 % mostly
 * cross-thread frees. Which blocks go remote is drawn once from a seeded generator. One operation is one
 * malloc or one free, counted on the thread that does it; the latency histogram is the producer's (ns
 * per operation over batches of 256 steps, waiting on a full ring included).
 */
public final class RemoteFree {

    static final int RING = 1024;
    static final int HELD = 64;
    static final int STEPS = 256;
    private static final int TABLE = 1 << 16;

    private RemoteFree() {
    }

    /**
     * The ring between one producer and one consumer.
     *
     * <p>Protocol (single producer, single consumer). The producer writes {@code slots[tail & mask]}
     * with a plain store, then publishes it by {@code setRelease(tail + 1)}; the consumer reads
     * {@code tail} with {@code getAcquire}, so the slot's store is visible to it. The consumer reads the
     * slot, then hands the slot back by {@code setRelease(head + 1)}; the producer reads {@code head}
     * with {@code getAcquire} before it overwrites the slot. Each side caches the other's index and
     * re-reads it only when the ring looks full (empty). {@code closed} is set by the producer after its
     * last offer; the consumer drains until it sees it and an empty ring.
     */
    static final class Ring {
        private static final VarHandle HEAD;
        private static final VarHandle TAIL;
        private static final VarHandle CLOSED;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                HEAD = l.findVarHandle(Ring.class, "head", long.class);
                TAIL = l.findVarHandle(Ring.class, "tail", long.class);
                CLOSED = l.findVarHandle(Ring.class, "closed", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final long[] slots = new long[RING];
        // Padding keeps the consumer's head and the producer's tail on separate cache lines.
        long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;
        private long head;
        long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;
        private long tail;
        long r01, r02, r03, r04, r05, r06, r07, r08, r09, r10, r11, r12, r13, r14, r15, r16;
        private boolean closed;
        private long headSeen;
        private long tailSeen;

        /** Producer only: waits while the ring is full (giving up if {@code abort} says so). */
        boolean offer(long handle, BooleanSupplier abort) {
            long t = tail;
            int spins = 0;
            while (t - headSeen >= RING) {
                headSeen = (long) HEAD.getAcquire(this);
                if (t - headSeen < RING) {
                    break;
                }
                if (abort.getAsBoolean()) {
                    return false;
                }
                if (++spins < 64) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            slots[(int) (t & (RING - 1))] = handle;
            TAIL.setRelease(this, t + 1);
            return true;
        }

        /** Consumer only: the next handle, or 0 when the ring is empty. */
        long poll() {
            long h = head;
            if (h == tailSeen) {
                tailSeen = (long) TAIL.getAcquire(this);
                if (h == tailSeen) {
                    return 0;
                }
            }
            long v = slots[(int) (h & (RING - 1))];
            HEAD.setRelease(this, h + 1);
            return v;
        }

        void close() {
            CLOSED.setRelease(this, true);
        }

        boolean closed() {
            return (boolean) CLOSED.getAcquire(this);
        }
    }

    /** The loops of {@code pairs} producer/consumer pairs: workers 0..pairs-1 produce, the rest consume. */
    public static IntFunction<Driver.Loop> loops(Backend b, int pairs, int remotePercent, long seed,
                                               BooleanSupplier abort) {
        if (remotePercent < 0 || remotePercent > 100) {
            throw new IllegalArgumentException("remote share must be 0..100 %: " + remotePercent);
        }
        Ring[] rings = new Ring[pairs];
        for (int i = 0; i < pairs; i++) {
            rings[i] = new Ring();
        }
        return w -> w < pairs ? producer(b, rings[w], remotePercent, seed + w, abort) : consumer(b, rings[w - pairs], abort);
    }

    static Driver.Loop producer(Backend b, Ring ring, int remotePercent, long seed, BooleanSupplier abort) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] sizes = new int[TABLE];
        boolean[] remote = new boolean[TABLE];
        for (int i = 0; i < TABLE; i++) {
            sizes[i] = 16 + r.nextInt(2048 - 16 + 1);
            remote[i] = r.nextInt(100) < remotePercent;
        }
        long[] held = new long[HELD];
        return new Driver.Loop() {
            int k;

            @Override
            public long batch() {
                long ops = 0;
                int i = k;
                for (int s = 0; s < STEPS; s++, i++) {
                    int size = sizes[i & (TABLE - 1)];
                    long h = b.malloc(size);
                    Memory.touchFirst(b.address(h), size);
                    int at = i & (HELD - 1);
                    long old = held[at];
                    held[at] = h;
                    ops++;
                    if (old != 0) {
                        if (remote[i & (TABLE - 1)]) {
                            if (!ring.offer(old, abort)) {
                                b.free(old);
                            }
                        } else {
                            b.free(old);
                            ops++;
                        }
                    }
                }
                k = i;
                return ops;
            }

            @Override
            public void finish() {
                for (int i = 0; i < HELD; i++) {
                    if (held[i] != 0) {
                        b.free(held[i]);
                        held[i] = 0;
                    }
                }
                ring.close();
            }
        };
    }

    static Driver.Loop consumer(Backend b, Ring ring, BooleanSupplier abort) {
        return new Driver.Loop() {
            int idle;

            @Override
            public long batch() {
                long n = 0;
                for (int s = 0; s < STEPS; s++) {
                    long h = ring.poll();
                    if (h == 0) {
                        break;
                    }
                    b.free(h);
                    n++;
                }
                if (n == 0) {
                    rest();
                } else {
                    idle = 0;
                }
                return n;
            }

            private void rest() {
                if (++idle < 64) {
                    Thread.onSpinWait();
                } else if (idle < 128) {
                    Thread.yield();
                } else {
                    LockSupport.parkNanos(10_000);
                }
            }

            @Override
            public void finish() {
                while (true) {
                    boolean closed = ring.closed();
                    long h = ring.poll();
                    if (h != 0) {
                        b.free(h);
                    } else if (closed || abort.getAsBoolean()) {
                        return;
                    } else {
                        rest();
                    }
                }
            }

            @Override
            public boolean timed() {
                return false;
            }
        };
    }
}
