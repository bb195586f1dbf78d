package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Hakmem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LOCKED, SHARDED and TLS: several threads allocate blocks of every tier's sizes, fill them with a pattern of (thread, sequence),
 * hand them to the next thread through a queue; the receiver verifies every byte and frees. Zero
 * mismatches, and everything freed at the end.
 */
class ThreadsTest {

    private static final int THREADS = 4;
    private static final long END = -1;

    record Handed(long address, long size, long tag) {
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void blocksHandedBetweenThreadsKeepTheirContents() throws Exception {
        try (Allocator a = Hakmem.builder().concurrency(hakmem.api.Concurrency.LOCKED).learning(false).build()) {
            run(a, 20_000);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shardedToo() throws Exception {
        try (Allocator a = Hakmem.builder().concurrency(hakmem.api.Concurrency.SHARDED).shards(3).learning(false).build()) {
            run(a, 20_000);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void threadCachesToo() throws Exception {
        try (Allocator a = Hakmem.builder().concurrency(hakmem.api.Concurrency.TLS).shards(2).learning(false).build()) {
            run(a, 20_000);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theBigBlockPathAloneIsThreadSafeToo() throws Exception {
        try (Allocator a = Hakmem.builder().tiers().learning(false).build()) {
            run(a, 3_000);
        }
    }

    private static void run(Allocator a, int blocksPerThread) throws Exception {
        List<BlockingQueue<Handed>> inbox = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            inbox.add(new ArrayBlockingQueue<>(256));
        }
        AtomicLong mismatches = new AtomicLong();
        AtomicLong verified = new AtomicLong();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int me = t;
            Thread th = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(4141 + me);
                BlockingQueue<Handed> out = inbox.get((me + 1) % THREADS);
                BlockingQueue<Handed> in = inbox.get(me);
                try {
                    int ended = 0;
                    for (int i = 0; i < blocksPerThread; i++) {
                        long size = size(rnd);
                        long p = a.malloc(size);
                        long tag = ((long) me << 32) | i;
                        MemorySegment s = MemorySegment.ofAddress(p).reinterpret(size);
                        fill(s, tag);
                        // Offer, and drain our own inbox while the receiver is busy, so no one waits forever.
                        while (!out.offer(new Handed(p, size, tag), 1, TimeUnit.MILLISECONDS)) {
                            ended += drain(a, in, mismatches, verified);
                        }
                        ended += drain(a, in, mismatches, verified);
                    }
                    out.put(new Handed(END, 0, 0));
                    while (ended == 0) {
                        Handed h = in.poll(10, TimeUnit.MILLISECONDS);
                        if (h != null) {
                            ended += consume(a, h, mismatches, verified);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "worker-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertTrue(failures.isEmpty(), () -> "thread failures: " + failures);
        assertEquals(0, mismatches.get(), "blocks whose contents changed between threads");
        assertEquals((long) THREADS * blocksPerThread, verified.get());
        assertEquals(0, a.stats().liveBlocks());
        assertEquals((long) THREADS * blocksPerThread, a.stats().frees());
    }

    private static long size(SplittableRandom rnd) {
        int r = rnd.nextInt(100);
        if (r < 70) {
            return 1 + rnd.nextInt(1024);
        } else if (r < 90) {
            return 1025 + rnd.nextInt(31 * 1024);
        } else if (r < 99) {
            return (32 << 10) + 1 + rnd.nextInt(992 << 10);
        }
        return (1 << 20) + 1 + rnd.nextInt(1 << 20);
    }

    private static int drain(Allocator a, BlockingQueue<Handed> in, AtomicLong mismatches, AtomicLong verified) {
        int ended = 0;
        Handed h;
        while ((h = in.poll()) != null) {
            ended += consume(a, h, mismatches, verified);
        }
        return ended;
    }

    private static int consume(Allocator a, Handed h, AtomicLong mismatches, AtomicLong verified) {
        if (h.address() == END) {
            return 1;
        }
        MemorySegment s = MemorySegment.ofAddress(h.address()).reinterpret(h.size());
        if (!holds(s, h.tag())) {
            mismatches.incrementAndGet();
        }
        a.free(h.address());
        verified.incrementAndGet();
        return 0;
    }

    /** The tag in every 8-byte word, then its low byte in the tail. */
    private static void fill(MemorySegment s, long tag) {
        long n = s.byteSize();
        for (long i = 0; i + 8 <= n; i += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, tag ^ i);
        }
        for (long i = n & ~7L; i < n; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) tag);
        }
    }

    private static boolean holds(MemorySegment s, long tag) {
        long n = s.byteSize();
        for (long i = 0; i + 8 <= n; i += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != (tag ^ i)) {
                return false;
            }
        }
        for (long i = n & ~7L; i < n; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != (byte) tag) {
                return false;
            }
        }
        return true;
    }
}
