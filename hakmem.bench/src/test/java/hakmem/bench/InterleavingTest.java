package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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

    private static final int TRIALS = Integer.getInteger("hakmem.test.interleavings", 1_500);
    /** Blocks each racer allocates after a race, to find a second copy of the raced block. */
    private static final int AFTER = 4;

    /**
     * Two threads free the same block at the same moment. Allowed: exactly one succeeds and the other
     * gets an InvalidAddressException; with plain marks (TLS by default) also both succeed (the block
     * then sits in two caches). Forbidden: both fail, any other exception, and a block that reaches two
     * callers at once. After each race both threads allocate blocks of the raced size (the second copy
     * of a block freed twice sits on top of a magazine) and the test looks for an address in both sets.
     * Afterwards the allocator balances and gives everything back.
     */
    @ParameterizedTest(name = "{0}, strict frees {1}")
    @CsvSource({"LOCKED,false", "SHARDED,false", "TLS,false", "TLS,true"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void racingFreesOfOneBlockNeverHandItToTwoCallers(Concurrency variant, boolean strict) throws Exception {
        try (Allocator a = Hakmem.builder().concurrency(variant).shards(2).strictFrees(strict).learning(false).build()) {
            CyclicBarrier start = new CyclicBarrier(3);
            CyclicBarrier end = new CyclicBarrier(3);
            CyclicBarrier freed = new CyclicBarrier(2); // both frees done before either allocates again
            AtomicReference<Long> block = new AtomicReference<>();
            AtomicLong size = new AtomicLong();
            AtomicInteger wins = new AtomicInteger();
            AtomicInteger rejected = new AtomicInteger();
            long[][] taken = new long[2][AFTER];
            List<Throwable> forbidden = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> racers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                long seed = 99 + r;
                long[] mine = taken[r];
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
                            freed.await();
                            for (int i = 0; i < AFTER; i++) {
                                mine[i] = a.malloc(size.get());
                            }
                            end.await(); // the main thread compares both sets
                            start.await();
                            for (long p : mine) {
                                try {
                                    a.free(p);
                                } catch (InvalidAddressException e) {
                                    // the second holder of a block two callers got: counted by the main thread
                                }
                            }
                            end.await();
                        }
                    } catch (Exception e) {
                        forbidden.add(e);
                    }
                }));
            }
            SplittableRandom rnd = new SplittableRandom(4141);
            int bothWon = 0;
            int twoCallers = 0;
            for (int trial = 0; trial < TRIALS; trial++) {
                size.set(switch (rnd.nextInt(10)) {
                    case 0 -> 1025 + rnd.nextInt(31 << 10);
                    case 1 -> (32 << 10) + 1 + rnd.nextInt(992 << 10);
                    default -> 1 + rnd.nextInt(1024);
                });
                block.set(a.malloc(size.get()));
                int winsBefore = wins.get();
                int rejectedBefore = rejected.get();
                start.await();
                end.await();
                int won = wins.get() - winsBefore;
                assertEquals(2, won + rejected.get() - rejectedBefore, "trial " + trial + ": each free returns or throws");
                assertTrue(won >= 1, "trial " + trial + ", size " + size + ": one free wins");
                if (won == 2) {
                    assertTrue(variant == Concurrency.TLS && !strict, "trial " + trial + ": only plain marks let both frees win");
                    bothWon++;
                }
                java.util.Set<Long> first = new java.util.HashSet<>();
                for (long p : taken[0]) {
                    first.add(p);
                }
                for (long p : taken[1]) {
                    if (first.contains(p)) {
                        twoCallers++;
                    }
                }
                start.await();
                end.await();
            }
            for (Thread t : racers) {
                t.join();
            }
            assertTrue(forbidden.isEmpty(), () -> "forbidden outcomes: " + forbidden);
            AllocatorStats s = a.stats();
            double per = 1e6 / TRIALS;
            System.out.printf("racing double frees, %s strict=%s, per 10^6: thrown at the free %.0f, both returned %.0f,"
                            + " caught at the pop %.0f, refused by a core %.0f, reached two callers %.0f (%d trials)%n",
                    variant, strict, (TRIALS - bothWon) * per, bothWon * per, s.caches().duplicates() * per,
                    s.caches().refused() * per, twoCallers * per, TRIALS);
            assertEquals(0, twoCallers, "blocks handed to two callers at once");
            long allocations = TRIALS * (1L + 2 * AFTER);
            assertEquals(allocations, s.allocations());
            assertEquals(allocations, s.frees());
            assertEquals(0, s.liveBlocks());
            if (bothWon == 0) {
                assertEquals(0, s.caches().duplicates());
                assertEquals(0, s.caches().refused());
            }
            a.trim();
            assertEquals(0, a.stats().reservedBytes());
            long p = a.malloc(100); // and it keeps serving
            a.free(p);
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
