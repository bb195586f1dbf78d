package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.Site;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Allocator} contract, run against every configuration by one subclass each (JCTools'
 * QueueSanityTest pattern). Each test gets a fresh allocator.
 */
abstract class AllocatorContract {

    /** Sizes around every tier boundary and beyond. */
    static final long[] SIZES = {1, 7, 8, 9, 15, 16, 17, 48, 100, 500, 1000, 1023, 1024, 1025, 2048, 3000, 4096,
            10_000, 32767, 32768, 32769, 65536, 100_000, 500_000, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20};

    protected Allocator allocator;

    protected abstract Allocator create();

    /** A small memory limit's allocator for the limit test. */
    protected abstract Allocator createLimited(long limit);

    @BeforeEach
    void open() {
        allocator = create();
    }

    /** Every test leaves the allocator consistent, whatever it threw at it (unless the test closed it). */
    @AfterEach
    void close() {
        try {
            if (!closedByTest()) {
                allocator.verify();
            }
        } finally {
            allocator.close();
        }
    }

    private boolean closedByTest() {
        try {
            allocator.stats();
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    static MemorySegment seg(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    @Test
    void blocksAreDistinctAlignedLargeEnoughAndHoldTheirContents() {
        List<long[]> live = new ArrayList<>();
        for (long size : SIZES) {
            for (int k = 0; k < 3; k++) {
                long p = allocator.malloc(size);
                assertNotEquals(0, p);
                assertEquals(0, p % (size <= 8 ? 8 : 16), "malloc(" + size + ") alignment");
                assertTrue(allocator.usableSize(p) >= size, "usable size of " + size);
                seg(p, size).fill((byte) (size * 31 + k));
                live.add(new long[] {p, size, k});
            }
        }
        live.sort((x, y) -> Long.compareUnsigned(x[0], y[0]));
        for (int i = 1; i < live.size(); i++) {
            long[] prev = live.get(i - 1);
            assertTrue(live.get(i)[0] >= prev[0] + prev[1], "blocks overlap");
        }
        for (long[] b : live) {
            MemorySegment s = seg(b[0], b[1]);
            byte want = (byte) (b[1] * 31 + b[2]);
            assertEquals(-1, s.mismatch(MemorySegment.ofArray(filled((int) Math.min(b[1], 1 << 22), want)).asSlice(0, b[1])));
            allocator.free(b[0]);
        }
        assertEquals(0, allocator.stats().liveBlocks());
    }

    private static byte[] filled(int n, byte v) {
        byte[] a = new byte[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void mallocOfZeroGivesUniqueMinimalBlocks() {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            long p = allocator.malloc(0);
            assertNotEquals(0, p);
            assertTrue(seen.add(p), "unique");
            assertTrue(allocator.usableSize(p) >= 1);
        }
        seen.forEach(allocator::free);
        MemorySegment empty = allocator.allocate(0, 1);
        assertEquals(0, empty.byteSize());
        allocator.free(empty);
        assertEquals(0, allocator.stats().liveBlocks());
    }

    @Test
    void callocIsZeroEvenWhenMemoryIsReused() {
        for (long size : SIZES) {
            long p = allocator.malloc(size);
            seg(p, size).fill((byte) 0xff);
            allocator.free(p);
            long q = allocator.calloc(size);
            MemorySegment s = seg(q, size);
            for (long i = 0; i < size; i += Math.max(1, size / 4099)) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "calloc(" + size + ") byte " + i);
            }
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, size - 1));
            allocator.free(q);
        }
    }

    @Test
    void reallocKeepsContentsAcrossEveryTier() {
        long p = allocator.malloc(10);
        seg(p, 10).fill((byte) 3);
        long size = 10;
        for (long next : new long[] {100, 1000, 5000, 40_000, 2_000_000, 700, 5}) {
            long q = allocator.realloc(p, next);
            long kept = Math.min(size, next);
            for (long i = 0; i < kept; i++) {
                assertEquals(3, seg(q, next).get(ValueLayout.JAVA_BYTE, i), "byte " + i + " after realloc to " + next);
            }
            seg(q, next).fill((byte) 3);
            p = q;
            size = next;
        }
        long r = allocator.realloc(p, 0);
        assertTrue(allocator.usableSize(r) >= 1, "realloc to 0 gives a minimal block");
        allocator.free(r);
        long fresh = allocator.realloc(0, 64);
        allocator.free(fresh);
        assertEquals(0, allocator.stats().liveBlocks());
    }

    @Test
    void reallocOfABadAddressThrowsAndFreesNothing() {
        long p = allocator.malloc(64);
        AllocatorStats before = allocator.stats();
        assertThrows(InvalidAddressException.class, () -> allocator.realloc(p + 8, 128));
        assertEquals(before.liveBlocks(), allocator.stats().liveBlocks());
        assertEquals(before.allocations(), allocator.stats().allocations());
        allocator.free(p);
    }

    @Test
    void freeOfZeroDoesNothing() {
        allocator.free(0);
        assertEquals(0, allocator.stats().frees());
    }

    @Test
    void badSizesAndAlignmentsAreRejectedNamingTheValue() {
        for (long bad : new long[] {-1, Long.MIN_VALUE, Allocator.MAX_SIZE + 1, Long.MAX_VALUE}) {
            var e = assertThrows(IllegalArgumentException.class, () -> allocator.malloc(bad));
            assertTrue(e.getMessage().contains(Long.toString(bad)), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> allocator.calloc(bad));
            assertThrows(IllegalArgumentException.class, () -> allocator.allocate(bad, 8));
        }
        for (long bad : new long[] {0, -8, 3, 24, 1L << 40}) {
            var e = assertThrows(IllegalArgumentException.class, () -> allocator.allocate(16, bad));
            assertTrue(e.getMessage().contains(Long.toString(bad)), e.getMessage());
        }
        long p = allocator.malloc(16);
        assertThrows(IllegalArgumentException.class, () -> allocator.realloc(p, -5));
        allocator.free(p);
        assertEquals(0, allocator.stats().liveBlocks(), "nothing leaked by the rejected calls");
    }

    @Test
    void invalidFreesAreDetectedNamingTheAddressAndChangeNothing() {
        for (long size : SIZES) {
            long p = allocator.malloc(size);
            long other = allocator.malloc(size);
            AllocatorStats before = allocator.stats();
            if (size > 16) {
                var interior = assertThrows(InvalidAddressException.class, () -> allocator.free(p + 16));
                assertEquals(InvalidAddressException.Reason.INTERIOR, interior.reason(), "size " + size);
                assertTrue(interior.getMessage().contains(Long.toHexString(p + 16)));
            }
            try (Arena arena = Arena.ofConfined()) {
                long foreign = arena.allocate(64).address();
                var e = assertThrows(InvalidAddressException.class, () -> allocator.free(foreign));
                assertEquals(InvalidAddressException.Reason.UNKNOWN, e.reason());
            }
            assertEquals(before, allocator.stats(), "a rejected free changes nothing");
            allocator.free(p);
            var twice = assertThrows(InvalidAddressException.class, () -> allocator.free(p));
            assertTrue(twice.getMessage().contains(Long.toHexString(p)), twice.getMessage());
            assertNotEquals(InvalidAddressException.Reason.INTERIOR, twice.reason(), "size " + size);
            assertThrows(InvalidAddressException.class, () -> allocator.usableSize(p));
            allocator.free(other);
        }
        assertEquals(0, allocator.stats().liveBlocks());
        assertEquals(2L * SIZES.length, allocator.stats().frees());
    }

    @Test
    void alignedSegmentsHaveTheExactSizeAndAlignment() {
        List<MemorySegment> live = new ArrayList<>();
        for (long align = 1; align <= 1 << 16; align <<= 1) {
            for (long size : new long[] {1, 24, 100, 1000, 3000, 20_000, 70_000}) {
                MemorySegment s = allocator.allocate(size, align);
                assertEquals(size, s.byteSize());
                assertEquals(0, s.address() % align, size + " aligned " + align);
                s.fill((byte) 1);
                live.add(s);
            }
        }
        live.forEach(allocator::free);
        assertThrows(IllegalArgumentException.class, () -> allocator.free(MemorySegment.ofArray(new byte[4])));
        assertEquals(0, allocator.stats().liveBlocks());
    }

    @Test
    void statsCountWhatHappened() {
        long[] ps = new long[SIZES.length];
        long asked = 0;
        for (int i = 0; i < SIZES.length; i++) {
            ps[i] = allocator.malloc(SIZES[i]);
            asked += SIZES[i];
        }
        AllocatorStats s = allocator.stats();
        assertEquals(SIZES.length, s.allocations());
        assertEquals(SIZES.length, s.liveBlocks());
        assertEquals(asked, s.liveBytes());
        assertTrue(s.reservedBytes() >= asked);
        assertEquals(s.reservedBytes(), s.tiers().stream().mapToLong(t -> t.reservedBytes()).sum() + s.retainedBytes());
        s.tiers().forEach(t -> assertTrue(t.handedBytes() >= t.liveBytes(), t.toString()));
        for (long p : ps) {
            allocator.free(p);
        }
        s = allocator.stats();
        assertEquals(SIZES.length, s.frees());
        assertEquals(0, s.liveBlocks());
        assertEquals(0, s.liveBytes());
    }

    @Test
    void trimAfterFreeingEverythingReturnsAllMemory() {
        List<Long> ps = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (long size : SIZES) {
                ps.add(allocator.malloc(size));
            }
        }
        ps.forEach(allocator::free);
        allocator.trim();
        assertEquals(0, allocator.stats().reservedBytes());
        long p = allocator.malloc(100);
        allocator.free(p);
    }

    @Test
    void sitesAreStableLabels() {
        Site json = allocator.site("json.parse");
        assertSame(json.id(), allocator.site("json.parse").id());
        assertNotEquals(json.id(), allocator.site("other").id());
        assertEquals("json.parse", json.name());
        long p = json.malloc(48);
        long q = json.calloc(100_000);
        MemorySegment s = json.allocate(200, 64);
        assertEquals(0, s.address() % 64);
        assertEquals(0, seg(q, 100_000).get(ValueLayout.JAVA_LONG, 800));
        allocator.free(p);
        allocator.free(q);
        allocator.free(s);
        assertThrows(IllegalArgumentException.class, () -> allocator.site(" "));
        assertEquals(0, allocator.stats().liveBlocks());
    }

    @Test
    void memoryLimitGivesOutOfMemoryErrorAndRecovers() {
        try (Allocator limited = createLimited(8L << 20)) {
            List<Long> ps = new ArrayList<>();
            OutOfMemoryError oom = null;
            for (int i = 0; i < 10_000 && oom == null; i++) {
                try {
                    ps.add(limited.malloc(SIZES[i % SIZES.length]));
                } catch (OutOfMemoryError e) {
                    oom = e;
                }
            }
            assertTrue(oom != null, "the limit was reached");
            assertTrue(limited.stats().reservedBytes() <= 8L << 20);
            assertEquals(ps.size(), limited.stats().liveBlocks(), "the failed request left nothing behind");
            ps.forEach(limited::free);
            limited.trim();
            long p = limited.malloc(3 << 20);
            limited.free(p);
        }
    }

    @Test
    void memoryKeptForReuseGivesWayBeforeTheLimitIsDeclaredExceeded() {
        try (Allocator limited = createLimited(13L << 20)) {
            for (int i = 0; i < 3; i++) {
                limited.free(limited.malloc(4L << 20)); // three big mappings, kept in the big-block cache
            }
            long p = limited.malloc(64); // a tier needs a chunk: the cache must make room, not an OutOfMemoryError
            long q = limited.malloc(5L << 20);
            limited.free(p);
            limited.free(q);
            assertEquals(0, limited.stats().liveBlocks());
        }
    }

    @Test
    void everyCallAfterCloseThrowsIllegalStateException() {
        long p = allocator.malloc(100);
        allocator.close();
        allocator.close();
        assertThrows(IllegalStateException.class, () -> allocator.malloc(1));
        assertThrows(IllegalStateException.class, () -> allocator.calloc(1));
        assertThrows(IllegalStateException.class, () -> allocator.allocate(8, 8));
        assertThrows(IllegalStateException.class, () -> allocator.free(p));
        assertThrows(IllegalStateException.class, () -> allocator.realloc(p, 5));
        assertThrows(IllegalStateException.class, () -> allocator.usableSize(p));
        assertThrows(IllegalStateException.class, () -> allocator.stats());
        assertThrows(IllegalStateException.class, () -> allocator.trim());
        assertThrows(IllegalStateException.class, () -> allocator.site("x"));
        assertFalse(allocator.toString().isEmpty());
    }

    /** A closed allocator wins over a bad argument: the call says the allocator is closed. */
    @Test
    void aClosedAllocatorWinsOverABadArgument() {
        long p = allocator.malloc(100);
        allocator.close();
        assertThrows(IllegalStateException.class, () -> allocator.malloc(-1));
        assertThrows(IllegalStateException.class, () -> allocator.calloc(Allocator.MAX_SIZE + 1));
        assertThrows(IllegalStateException.class, () -> allocator.allocate(8, 3));
        assertThrows(IllegalStateException.class, () -> allocator.realloc(p, -1));
        assertThrows(IllegalStateException.class, () -> allocator.free(MemorySegment.ofArray(new byte[8])));
        assertThrows(IllegalStateException.class, () -> allocator.free(p + 1));
        assertThrows(IllegalStateException.class, () -> allocator.usableSize(p + 1));
        assertThrows(IllegalStateException.class, () -> allocator.site(" "));
    }

    /**
     * What every tier keeps for reuse (l2's and l25's emptied chunks, retained chunks) gives way when
     * another tier needs a chunk under the limit: no OutOfMemoryError with nothing live.
     */
    @Test
    void memoryEveryTierKeepsGivesWayUnderTheLimit() {
        try (Allocator limited = createLimited(4L << 20)) {
            limited.free(limited.malloc(5000));
            limited.free(limited.malloc(100_000));
            long p = limited.malloc(16);
            long q = limited.malloc(5000);
            limited.free(p);
            limited.free(q);
            assertEquals(0, limited.stats().liveBlocks());
        }
    }

    /**
     * After one size fills the limit and is freed, another size gets as many blocks as after an explicit
     * trim: what the first size's tier keeps gives way on its own.
     */
    @Test
    void aFreedSizeGivesItsMemoryToAnotherSize() {
        try (Allocator limited = createLimited(8L << 20)) {
            List<Long> small = fillUntilTheLimit(limited, 16);
            small.forEach(limited::free);
            List<Long> mid = fillUntilTheLimit(limited, 5000);
            int withoutTrim = mid.size();
            mid.forEach(limited::free);
            limited.trim();
            mid = fillUntilTheLimit(limited, 5000);
            int afterTrim = mid.size();
            mid.forEach(limited::free);
            assertTrue(afterTrim > 0, "the limit leaves room for some 5000 B blocks");
            assertTrue(withoutTrim >= afterTrim * 95L / 100, withoutTrim + " blocks without a trim, " + afterTrim + " after one");
        }
    }

    /**
     * Issue 13's threaded case: under a 16 MiB limit, four threads each allocate and free one l2-sized
     * and one l25-sized block and end; afterwards 1 KiB blocks fill the limit as fully as after a trim:
     * what those threads' caches, the depots and the tiers kept gives way to the new requests.
     */
    @Test
    void whatEndedThreadsKeptGivesWayUnderTheLimit() throws InterruptedException {
        try (Allocator limited = createLimited(16L << 20)) {
            Thread[] threads = new Thread[4];
            for (int i = 0; i < threads.length; i++) {
                threads[i] = Thread.ofPlatform().start(() -> {
                    limited.free(limited.malloc(5000));
                    limited.free(limited.malloc(100_000));
                });
            }
            for (Thread t : threads) {
                t.join();
            }
            List<Long> blocks = fillUntilTheLimit(limited, 1024);
            int withoutTrim = blocks.size();
            blocks.forEach(limited::free);
            limited.trim();
            blocks = fillUntilTheLimit(limited, 1024);
            int afterTrim = blocks.size();
            blocks.forEach(limited::free);
            assertTrue(afterTrim >= 4_000, afterTrim + " blocks of 1 KiB fit 16 MiB after a trim (a page each without tiers)");
            assertTrue(withoutTrim >= afterTrim * 95L / 100, withoutTrim + " blocks without a trim, " + afterTrim + " after one");
            limited.verify();
            assertEquals(0, limited.stats().liveBlocks());
        }
    }

    static List<Long> fillUntilTheLimit(Allocator a, long size) {
        List<Long> out = new ArrayList<>();
        while (true) {
            try {
                out.add(a.malloc(size));
            } catch (OutOfMemoryError e) {
                return out;
            }
        }
    }

    /** An OutOfMemoryError names what was asked, what is in use and the limit. */
    @Test
    void outOfMemoryNamesTheRequestTheUseAndTheLimit() {
        try (Allocator limited = createLimited(8L << 20)) {
            OutOfMemoryError e = org.junit.jupiter.api.Assertions.assertThrows(OutOfMemoryError.class,
                    () -> limited.malloc(9L << 20));
            assertTrue(e.getMessage().contains(Long.toString(9L << 20)) && e.getMessage().contains(Long.toString(8L << 20))
                    && e.getMessage().contains("in use"), e.getMessage());
            limited.free(limited.malloc(100)); // and it keeps serving
        }
    }

    /** A thread that first calls after close (no thread cache yet, in TLS) fails the same way. */
    @Test
    void aThreadThatFirstCallsAfterCloseGetsIllegalStateException() throws Exception {
        long p = allocator.malloc(100);
        allocator.close();
        java.util.List<Throwable> thrown = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread t = Thread.ofPlatform().start(() -> {
            for (Runnable call : java.util.List.<Runnable>of(() -> allocator.malloc(16), () -> allocator.malloc(4000),
                    () -> allocator.free(p))) {
                try {
                    call.run();
                    thrown.add(null);
                } catch (Throwable e) {
                    thrown.add(e);
                }
            }
        });
        t.join();
        assertEquals(3, thrown.size());
        for (Throwable e : thrown) {
            assertTrue(e instanceof IllegalStateException, "expected IllegalStateException, got " + e);
        }
    }
}
