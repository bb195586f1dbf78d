package hakmem.api.runtime;

import hakmem.api.Concurrency;
import hakmem.api.InvalidAddressException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The interleaving a racing double free needs under plain marks, made deterministic: thread B reads the
 * mark before thread A's write of 0 lands, so both frees return and the block sits in both threads'
 * magazines. (The test replays it by putting the mark back between the two frees.) The copy popped
 * second finds the block marked and is dropped, never handed out while the first is held.
 */
class RacingDoubleFreeTest {

    private static <T> T on(ExecutorService thread, Callable<T> call) throws Exception {
        return thread.submit(call).get(10, TimeUnit.SECONDS);
    }

    @Test
    @Timeout(30)
    void theSecondCopyOfABlockFreedTwiceIsDroppedWhenItLeavesItsCache() throws Exception {
        ExecutorService a = Executors.newSingleThreadExecutor();
        ExecutorService b = Executors.newSingleThreadExecutor();
        try (PooledAllocator heap = PooledAllocator.open(Concurrency.TLS, 1, List.of(new FixedTier()), Long.MAX_VALUE,
                64L << 20, null, PooledAllocator.Options.DEFAULT)) {
            long p = freedByBoth(heap, a, b);
            assertEquals(0, heap.stats().caches().duplicates());

            long first = on(a, () -> heap.malloc(48)); // a's magazine: p on top
            assertEquals(p, first);
            heap.verify(); // p held by a and still in b's magazine: the tolerated second copy
            long second = on(b, () -> heap.malloc(48)); // b's magazine: p on top, but a holds it
            assertNotEquals(p, second, "a block held by one caller is not handed to another");
            assertEquals(1, heap.stats().caches().duplicates());
            heap.verify();

            on(a, () -> {
                heap.free(first);
                return null;
            });
            on(b, () -> {
                heap.free(second);
                return null;
            });
            assertThrows(InvalidAddressException.class, () -> heap.free(p), "p is free once, not twice");
            heap.verify();
            assertEquals(0, heap.stats().liveBlocks());
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    /**
     * The copies meet again later: a frees its block and b pops the other copy; a's next pop finds it
     * held by b and drops it. At no moment do two callers hold it.
     */
    @Test
    @Timeout(30)
    void copiesThatOutliveTheFirstHolderStillReachOneCallerAtATime() throws Exception {
        ExecutorService a = Executors.newSingleThreadExecutor();
        ExecutorService b = Executors.newSingleThreadExecutor();
        try (PooledAllocator heap = PooledAllocator.open(Concurrency.TLS, 1, List.of(new FixedTier()), Long.MAX_VALUE,
                64L << 20, null, PooledAllocator.Options.DEFAULT)) {
            long p = freedByBoth(heap, a, b);
            long held = on(a, () -> {
                long q = heap.malloc(48); // p
                heap.free(q); // back on top of a's magazine; b's copy still waits
                return q;
            });
            assertEquals(p, held);
            long byB = on(b, () -> heap.malloc(48)); // b's copy: p is free, so b may have it
            assertEquals(p, byB);
            long byA = on(a, () -> heap.malloc(48)); // a's copy: held by b now, dropped
            assertNotEquals(p, byA);
            assertEquals(1, heap.stats().caches().duplicates());
            heap.verify();
            on(a, () -> {
                heap.free(byA);
                return null;
            });
            on(b, () -> {
                heap.free(byB);
                return null;
            });
            heap.verify();
            assertEquals(0, heap.stats().liveBlocks());
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    /** A block a allocated, freed by a and then by b as if b read its mark before a's write of 0 landed. */
    private static long freedByBoth(PooledAllocator heap, ExecutorService a, ExecutorService b) throws Exception {
        long p = on(a, () -> heap.malloc(48));
        on(b, () -> {
            heap.free(heap.malloc(48)); // b gets a cache on the same shard
            return null;
        });
        on(a, () -> {
            heap.free(p);
            return null;
        });
        space(heap).marksOf(p)[ChunkSpace.granule(p)] = 48; // b's read of the mark, before a's write of 0
        on(b, () -> {
            heap.free(p);
            return null;
        });
        return p;
    }

    private static ChunkSpace space(PooledAllocator heap) throws ReflectiveOperationException {
        var f = PooledAllocator.class.getDeclaredField("space");
        f.setAccessible(true);
        return (ChunkSpace) f.get(heap);
    }
}
