package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded races over the unlocked steps (in the spirit of jcstress, which cannot be had here): many short
 * trials that start two threads on the same step at once, with random skew, and check every outcome
 * against the allowed set.
 */
class InterleavingTest {

    private static final int TRIALS = Integer.getInteger("hakmem.interleavings", 1_500);

    /**
     * Two threads free the same block at the same moment. Allowed: exactly one succeeds and the other
     * gets an InvalidAddressException. Forbidden: both succeed (the block would enter two caches), both
     * fail, any other exception. Afterwards the allocator balances and gives everything back.
     */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void racingFreesOfOneBlockLetExactlyOneWin(Concurrency variant) throws Exception {
        try (Allocator a = Hakmem.builder().concurrency(variant).shards(2).learning(false).build()) {
            CyclicBarrier start = new CyclicBarrier(3);
            CyclicBarrier end = new CyclicBarrier(3);
            AtomicReference<Long> block = new AtomicReference<>();
            AtomicInteger wins = new AtomicInteger();
            AtomicInteger rejected = new AtomicInteger();
            List<Throwable> forbidden = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> racers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                long seed = 99 + r;
                racers.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    try {
                        for (int trial = 0; trial < TRIALS; trial++) {
                            start.await();
                            for (int spin = rnd.nextInt(64); spin > 0; spin--) {
                                Thread.onSpinWait();
                            }
                            try {
                                a.free(block.get());
                                wins.incrementAndGet();
                            } catch (InvalidAddressException e) {
                                rejected.incrementAndGet();
                            } catch (Throwable e) {
                                forbidden.add(e);
                            }
                            end.await();
                        }
                    } catch (Exception e) {
                        forbidden.add(e);
                    }
                }));
            }
            SplittableRandom rnd = new SplittableRandom(4141);
            for (int trial = 0; trial < TRIALS; trial++) {
                long size = switch (rnd.nextInt(10)) {
                    case 0 -> 1025 + rnd.nextInt(31 << 10);
                    case 1 -> (32 << 10) + 1 + rnd.nextInt(992 << 10);
                    default -> 1 + rnd.nextInt(1024);
                };
                block.set(a.malloc(size));
                int winsBefore = wins.get();
                int rejectedBefore = rejected.get();
                start.await();
                end.await();
                assertEquals(1, wins.get() - winsBefore, "trial " + trial + ", size " + size + ": exactly one free wins");
                assertEquals(1, rejected.get() - rejectedBefore, "trial " + trial + ": the other is rejected");
            }
            for (Thread t : racers) {
                t.join();
            }
            assertTrue(forbidden.isEmpty(), () -> "forbidden outcomes: " + forbidden);
            AllocatorStats s = a.stats();
            assertEquals(TRIALS, s.allocations());
            assertEquals(TRIALS, s.frees());
            assertEquals(0, s.liveBlocks());
            assertEquals(0, s.caches().refused());
            a.trim();
            assertEquals(0, a.stats().reservedBytes());
        }
    }

    /**
     * Two live threads whose ids share a slot of the thread-cache table: each lookup sees the other's
     * cache half the time and must fall back by the owner check, never use it. Both keep block contents
     * and both get a cache of their own.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void threadsSharingATableSlotKeepTheirOwnCaches() throws Exception {
        try (Allocator a = Hakmem.builder().concurrency(Concurrency.TLS).shards(2).learning(false).build()) {
            CyclicBarrier go = new CyclicBarrier(2);
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            Runnable work = () -> {
                try {
                    go.await();
                    long id = Thread.currentThread().threadId();
                    SplittableRandom rnd = new SplittableRandom(id);
                    long[] held = new long[64];
                    for (int i = 0; i < 100_000; i++) {
                        int slot = rnd.nextInt(held.length);
                        if (held[slot] != 0) {
                            MemorySegment s = MemorySegment.ofAddress(held[slot]).reinterpret(8);
                            if (s.get(ValueLayout.JAVA_LONG, 0) != (id ^ held[slot])) {
                                throw new AssertionError("block contents changed");
                            }
                            a.free(held[slot]);
                        }
                        long p = a.malloc(8 + rnd.nextInt(1000));
                        MemorySegment.ofAddress(p).reinterpret(8).set(ValueLayout.JAVA_LONG, 0, id ^ p);
                        held[slot] = p;
                    }
                    for (long p : held) {
                        a.free(p);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            };
            Thread first = new Thread(work);
            Thread second = new Thread(work);
            // Thread ids are handed out in order: make threads until one lands on first's slot (1024 apart).
            while (((second.threadId() - first.threadId()) & 1023) != 0) {
                second = new Thread(work);
            }
            assertNotEquals(first.threadId(), second.threadId());
            first.start();
            second.start();
            first.join();
            second.join();
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            AllocatorStats s = a.stats();
            assertEquals(0, s.liveBlocks());
            assertEquals(2, s.caches().reclaimed(), "each thread had a cache of its own: " + s.caches());
        }
    }
}
