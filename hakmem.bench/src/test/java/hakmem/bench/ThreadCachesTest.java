package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.CacheStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TLS variant's thread caches: thread death, virtual threads, hit rate, checks on cached blocks. */
class ThreadCachesTest {

    private static Allocator tls() {
        return Hakmem.builder().concurrency(Concurrency.TLS).shards(2).learning(false).build();
    }

    /**
     * A thread of one shard frees blocks another shard's thread allocated: they go home in batches, not
     * into the freeing thread's magazine and depot (where they would mix two threads' blocks), and every
     * counter stays exact.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void blocksOfAnotherShardGoHomeWhenFreed() throws Exception {
        try (Allocator a = tls()) {
            long[] blocks = new long[1000];
            java.util.concurrent.CountDownLatch allocated = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch freed = new java.util.concurrent.CountDownLatch(1);
            // The owner stays alive while the other thread frees, so the two hold different shards.
            Thread owner = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < blocks.length; i++) {
                    blocks[i] = a.malloc(64);
                    MemorySegment.ofAddress(blocks[i]).reinterpret(64).fill((byte) i);
                }
                allocated.countDown();
                try {
                    freed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            AtomicLong mismatches = new AtomicLong();
            AtomicLong cachedAfter = new AtomicLong();
            Thread freer = Thread.ofPlatform().start(() -> {
                try {
                    allocated.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                a.free(a.malloc(64)); // takes the shard the owner does not use
                for (int i = 0; i < blocks.length; i++) {
                    MemorySegment s = MemorySegment.ofAddress(blocks[i]).reinterpret(64);
                    for (int j = 0; j < 64; j++) {
                        if (s.get(ValueLayout.JAVA_BYTE, j) != (byte) i) {
                            mismatches.incrementAndGet();
                        }
                    }
                    a.free(blocks[i]);
                }
                cachedAfter.set(a.stats().caches().cachedBlocks());
                freed.countDown();
            });
            freer.join();
            owner.join();
            assertEquals(0, mismatches.get());
            // Both caches together hold the owner's and the freer's magazines (at most a few batches of
            // 64-byte blocks) and the freer's away buffer; had the 1000 blocks stayed with the freer, over 1000.
            assertTrue(cachedAfter.get() < 400, "blocks cached after the frees: " + cachedAfter.get());
            assertEquals(0, a.stats().liveBlocks());
            assertEquals(blocks.length + 1L, a.stats().tiers().get(0).frees());
            a.trim();
            assertEquals(0, a.stats().reservedBytes(), "every block went home");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void endedThreadsGiveTheirCachesBackAndMemoryDoesNotGrow() throws Exception {
        try (Allocator a = tls()) {
            // Larson's shape: each thread takes over the previous one's blocks, churns them, and ends.
            long[] blocks = new long[2000];
            SplittableRandom seeds = new SplittableRandom(4141);
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = a.malloc(8 + seeds.nextInt(1000));
            }
            long maxReserved = 0;
            for (int round = 0; round < 60; round++) {
                long seed = seeds.nextLong();
                Thread t = new Thread(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    for (int s = 0; s < 20_000; s++) {
                        int v = rnd.nextInt(blocks.length);
                        a.free(blocks[v]);
                        blocks[v] = a.malloc(8 + rnd.nextInt(1000));
                    }
                });
                t.start();
                t.join();
                maxReserved = Math.max(maxReserved, a.stats().reservedBytes());
            }
            CacheStats c = a.stats().caches();
            assertTrue(c.reclaimed() >= 59, "ended threads' caches were reclaimed: " + c);
            assertTrue(c.threads() <= 1, "only the calling thread may still hold a cache: " + c);
            // 2000 blocks of at most 1 KiB live: a handful of chunks, not one set per thread that ever ran.
            assertTrue(maxReserved <= 8L << 20, "reserved grew to " + maxReserved + " bytes");
            assertTrue(c.hitRate() >= 0.9, "hit rate " + c.hitRate());
            for (long b : blocks) {
                a.free(b);
            }
            a.trim();
            assertEquals(0, a.stats().liveBlocks());
            assertEquals(0, a.stats().reservedBytes(), "nothing stranded in the caches of ended threads");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void virtualThreadsNeverGetCaches() throws Exception {
        try (Allocator a = tls()) {
            AtomicLong mismatches = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                int id = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    long p = a.malloc(16 + id % 500);
                    MemorySegment s = MemorySegment.ofAddress(p).reinterpret(16);
                    s.set(ValueLayout.JAVA_LONG, 0, id);
                    Thread.yield();
                    if (s.get(ValueLayout.JAVA_LONG, 0) != id) {
                        mismatches.incrementAndGet();
                    }
                    a.free(p);
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(0, mismatches.get());
            CacheStats c = a.stats().caches();
            assertEquals(0, c.threads(), "no virtual thread holds a cache: " + c);
            assertEquals(0, c.hits() + c.misses(), "virtual threads took the sharded path: " + c);
            assertEquals(10_000, c.uncached(), "every one of their requests counted as uncached: " + c);
            assertEquals(10_000, a.stats().tier("tiny").allocations());
            assertEquals(0, a.stats().liveBlocks());
        }
    }

    /**
     * Threads past the cache limit take the uncached path, but not for good: once a cached thread has
     * ended and its cache is given back, a refused thread gets a cache at its next request.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRefusedThreadGetsACacheOnceOneIsGivenBack() throws Exception {
        List<java.util.concurrent.ExecutorService> workers = new ArrayList<>();
        try (Allocator a = tls()) {
            java.util.concurrent.ExecutorService refused = null;
            for (int i = 0; i < 1000 && refused == null; i++) {
                java.util.concurrent.ExecutorService w = java.util.concurrent.Executors.newSingleThreadExecutor();
                workers.add(w);
                long before = a.stats().caches().uncached();
                long p = w.submit(() -> a.malloc(64)).get();
                w.submit(() -> a.free(p)).get();
                if (a.stats().caches().uncached() > before) {
                    refused = w; // the registry was full when this thread first asked
                }
            }
            assertTrue(refused != null, "no thread was refused a cache among " + workers.size());
            int cap = a.stats().caches().threads();
            Thread ending = workers.get(0).submit(Thread::currentThread).get();
            workers.get(0).shutdown();
            ending.join(30_000); // its thread has ended
            assertFalse(ending.isAlive());
            a.stats(); // gives the ended thread's cache back
            CacheStats before = a.stats().caches();
            refused.submit(() -> {
                for (int i = 0; i < 100; i++) {
                    a.free(a.malloc(64));
                }
            }).get();
            CacheStats after = a.stats().caches();
            assertTrue(after.uncached() - before.uncached() <= 1, "still uncached: " + before + " -> " + after);
            assertTrue(after.hits() + after.misses() - before.hits() - before.misses() >= 99, "cached now: " + after);
            assertEquals(cap, after.threads(), "the freed place taken, no more");
            assertEquals(0, a.stats().liveBlocks());
        } finally {
            for (java.util.concurrent.ExecutorService w : workers) {
                w.shutdownNow();
            }
        }
    }

    @Test
    void aBlockInAnotherThreadsCacheIsADoubleFreeHere() throws Exception {
        try (Allocator a = tls()) {
            long p = a.malloc(100);
            Thread t = new Thread(() -> a.free(p));
            t.start();
            t.join();
            // p now sits in the ended thread's magazine (or the depot): freeing it again is a double free.
            var e = assertThrows(InvalidAddressException.class, () -> a.free(p));
            assertEquals(InvalidAddressException.Reason.DOUBLE_FREE, e.reason());
            assertThrows(InvalidAddressException.class, () -> a.usableSize(p));
            var interior = assertThrows(InvalidAddressException.class, () -> a.free(a.malloc(100) + 32));
            assertEquals(InvalidAddressException.Reason.INTERIOR, interior.reason());
        }
    }

    @Test
    void refillsThatFailDoNotCountAsMisses() {
        try (Allocator a = Hakmem.builder().concurrency(Concurrency.TLS).shards(1).learning(false).memoryLimit(1 << 20).build()) {
            for (int i = 0; i < 5; i++) {
                assertThrows(OutOfMemoryError.class, () -> a.malloc(64)); // a tiny chunk is 2 MiB
            }
            CacheStats c = a.stats().caches();
            assertEquals(0, c.misses(), c.toString());
            assertEquals(0, c.hits(), c.toString());
        }
    }

    @Test
    void cachedBytesAreVisibleAndTrimReturnsThem() {
        try (Allocator a = tls()) {
            List<Long> ps = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                ps.add(a.malloc(16 + (i % 64) * 16));
            }
            ps.forEach(a::free);
            CacheStats c = a.stats().caches();
            assertTrue(c.cachedBlocks() > 0 && c.cachedBytes() > 0, c.toString());
            assertEquals(1, c.threads());
            assertEquals(0, a.stats().liveBlocks());
            a.trim();
            assertEquals(0, a.stats().caches().cachedBlocks());
            assertEquals(0, a.stats().reservedBytes());
        }
    }
    /**
     * Per-class stats count what users hold: blocks in thread caches are cached, not live, and the
     * classes add up to their tier.
     */
    @Test
    void classStatsShowCachedBlocksAsCachedAndAddUpToTheirTier() {
        try (Allocator a = tls()) {
            long[] ps = new long[1000];
            for (int i = 0; i < ps.length; i++) {
                ps[i] = a.malloc(100);
            }
            for (int i = 0; i < 10; i++) {
                a.free(ps[i]);
            }
            hakmem.api.TierStats tiny = a.stats().tier("tiny");
            hakmem.api.ClassStats c112 = tiny.classes().stream().filter(c -> c.blockSize() == 112).findFirst().orElseThrow();
            assertEquals(990, c112.liveBlocks());
            assertEquals(990 * 100, c112.liveBytes());
            assertEquals(1000, c112.allocations());
            assertEquals(10, c112.frees());
            for (int i = 10; i < ps.length; i++) {
                a.free(ps[i]);
            }
            hakmem.api.AllocatorStats s = a.stats();
            tiny = s.tier("tiny");
            c112 = tiny.classes().stream().filter(c -> c.blockSize() == 112).findFirst().orElseThrow();
            assertEquals(0, tiny.liveBlocks());
            assertEquals(0, c112.liveBlocks());
            assertEquals(1000, c112.frees());
            assertTrue(c112.cachedBlocks() > 0, "freed blocks wait in the thread's magazine and its depot");
            assertEquals(s.caches().cachedBlocks(), tiny.classes().stream().mapToLong(hakmem.api.ClassStats::cachedBlocks).sum()
                    + s.tier("l2").classes().stream().mapToLong(hakmem.api.ClassStats::cachedBlocks).sum());
            assertEquals(tiny.allocations(), tiny.classes().stream().mapToLong(hakmem.api.ClassStats::allocations).sum());
            assertEquals(tiny.frees(), tiny.classes().stream().mapToLong(hakmem.api.ClassStats::frees).sum());
            assertEquals(tiny.liveBytes(), tiny.classes().stream().mapToLong(hakmem.api.ClassStats::liveBytes).sum());
        }
    }
}
