package hakmem.l25;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Specific cases of the l25 core beyond hakmem.tck's contract ({@link L25ContractTest}): classes, natural
 * alignment, shards, rounding slack, cache and dirty budgets, best fit, error messages, stats, trim, close.
 */
class L25CoreTest {

    private static final long K = 1024;
    private static final long MAX = L25CoreProperties.MAX;
    private static final long[] CLASSES = L25CoreProperties.CLASSES;

    /** One core on its own source; closing it checks every chunk went back. */
    private record Fixture(ChunkSource source, L25Core core) implements AutoCloseable {
        Fixture() {
            this(L25Core.DEFAULT_RETAINED);
        }

        /** Both budgets, cached blocks and dirty pages, set to {@code retained}. */
        Fixture(long retained) {
            this(retained, retained);
        }

        Fixture(long retained, long dirty) {
            this(ChunkSource.standalone(1L << 30), retained, dirty);
        }

        private Fixture(ChunkSource source, long retained, long dirty) {
            this(source, new L25Core(source, retained, dirty));
        }

        @Override
        public void close() {
            try {
                core.close();
                assertEquals(0, source.reservedBytes(), "close() left chunks held");
            } finally {
                source.close();
            }
        }
    }

    @Test
    void everySizeMapsToTheDocumentedClass() {
        for (long size = 1; size <= MAX; size++) {
            int expected = L25CoreProperties.smallestClass(size, 1);
            if (L25Core.classOf(size) != expected) {
                throw new AssertionError("class of " + size + ": " + L25Core.classOf(size) + " != " + expected);
            }
        }
        try (Fixture h = new Fixture()) {
            long[] sizes = {1, 8, 1024, 32 * K, 32 * K + 1, 64 * K, 64 * K + 1, 128 * K, 128 * K + 1, 256 * K,
                256 * K + 1, 512 * K, 512 * K + 1, 1024 * K - 1, 1024 * K};
            long[] blocks = {64, 64, 64, 64, 64, 64, 128, 128, 256, 256, 512, 512, 1024, 1024, 1024};
            h.core().roundingSlack(1.0);
            for (int i = 0; i < sizes.length; i++) {
                long p = h.core().allocate(sizes[i], 16, 0);
                assertEquals(blocks[i] * K, h.core().usableSize(p), "usable size of " + sizes[i]);
                h.core().free(p);
            }
            for (long size = 1; size <= MAX; size += 4093) {
                long p = h.core().allocate(size, 16, 0);
                assertEquals(CLASSES[L25CoreProperties.smallestClass(size, 1)], h.core().usableSize(p));
                h.core().free(p);
            }
            L25Inspector.checkCore(h.core());
        }
    }

    @Test
    void blocksAreNaturallyAlignedAndBiggerAlignmentsPickBiggerClasses() {
        try (Fixture h = new Fixture()) {
            for (int c = 0; c < L25Core.CLASSES; c++) {
                for (int k = 0; k < 3; k++) {
                    long p = h.core().allocate(CLASSES[c], 16, 0);
                    assertEquals(0, p & (CLASSES[c] - 1), "natural alignment of class " + c);
                }
            }
            long p = h.core().allocate(100, 128 * K, 0);
            assertEquals(128 * K, h.core().usableSize(p));
            assertEquals(0, p & (128 * K - 1));
            long q = h.core().allocate(40 * K, 1024 * K, 0);
            assertEquals(1024 * K, h.core().usableSize(q));
            assertEquals(0, q & (1024 * K - 1));
            assertEquals(64 * K, h.core().usableSize(h.core().allocate(40 * K, 64 * K, 0)));
            assertEquals(0, h.core().allocate(100, 2048 * K, 0), "no class is 2 MiB aligned");
            assertThrows(IllegalArgumentException.class, () -> h.core().allocate(100, 3 * 64 * K, 0));
            assertThrows(IllegalArgumentException.class, () -> h.core().allocate(100, 24, 0));
            assertThrows(IllegalArgumentException.class, () -> h.core().allocate(0, 16, 0));
            assertThrows(IllegalArgumentException.class, () -> h.core().allocate(1024 * K + 1, 16, 0));
            L25Inspector.checkCore(h.core());
        }
    }

    @Test
    void freedBlocksWaitInTheShardOfTheirSiteAndOtherShardsTakeThemWhenEmpty() {
        try (Fixture h = new Fixture()) {
            long a = h.core().allocate(100 * K, 16, 1);
            long chunkBytes = h.source().reservedBytes();
            assertEquals(1, L25Inspector.shardOf(h.core(), a));
            h.core().free(a);
            assertEquals(1, L25Inspector.cachedCount(h.core(), 1, 1));
            assertEquals(0, L25Inspector.cachedCount(h.core(), 0, 1));
            assertEquals(a, h.core().allocate(120 * K, 16, 5), "site 5 maps to shard 1 and reuses the block");
            h.core().free(a);
            assertEquals(a, h.core().allocate(70 * K, 16, 2), "shard 2 has none: it takes shard 1's block");
            assertEquals(2, L25Inspector.shardOf(h.core(), a), "the block now belongs to the taker's shard");
            h.core().free(a);
            assertEquals(1, L25Inspector.cachedCount(h.core(), 2, 1));
            assertEquals(chunkBytes, h.source().reservedBytes());
            long b = h.core().allocate(60 * K, 16, 0);
            assertEquals(0, L25Inspector.shardOf(h.core(), b), "site 0 uses the default shard");
            assertEquals(1, L25Inspector.cachedCount(h.core(), 2, 1), "128 KiB > 2.0 x 60 KiB: the cached block is not usable");
            assertEquals(64 * K, h.core().usableSize(b));
            long c = h.core().allocate(64 * K, 16, 0);
            assertEquals(a, c, "128 KiB <= 2.0 x 64 KiB: the cached block of shard 2 is");
            L25Inspector.checkCore(h.core());
        }
    }

    @Test
    void roundingSlackLetsARequestTakeALargerCachedClass() {
        try (Fixture h = new Fixture()) {
            long big = h.core().allocate(256 * K, 16, 0);
            h.core().free(big);
            assertEquals(2.0, h.core().roundingSlack(), "documented default");
            long p = h.core().allocate(100 * K, 16, 0);
            assertNotEquals(big, p, "256 KiB > 2.0 x 100 KiB: fresh 128 KiB pages");
            assertEquals(128 * K, h.core().usableSize(p));
            h.core().roundingSlack(3.0);
            long q = h.core().allocate(100 * K, 16, 0);
            assertEquals(big, q, "256 KiB <= 3.0 x 100 KiB: the cached block");
            assertEquals(256 * K, h.core().usableSize(q));
            h.core().free(p);
            h.core().free(q);
            assertEquals(p, h.core().allocate(100 * K, 16, 0), "its own class is preferred to a larger one");
            h.core().roundingSlack(2.0);
            assertEquals(q, h.core().allocate(128 * K, 16, 0), "exactly 2 x 128 KiB: the 256 KiB block");
            var stats = h.core().stats();
            assertEquals(1, stats.classes().get(2).liveBlocks());
            assertEquals(128 * K, stats.classes().get(2).liveBytes());
            L25Inspector.checkCore(h.core());

            for (double bad : new double[] {Double.NaN, 0.99, 0, -2, 64.01, Double.POSITIVE_INFINITY}) {
                var e = assertThrows(IllegalArgumentException.class, () -> h.core().roundingSlack(bad));
                assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
            }
            assertEquals(2.0, h.core().roundingSlack());
            h.core().roundingSlack(1.0);
            h.core().roundingSlack(64.0);
        }
    }

    @Test
    void theCacheKeepsItsBudgetAndFurtherFreedPagesAreDiscarded() {
        try (Fixture h = new Fixture()) {
            List<Long> blocks = new ArrayList<>();
            for (int k = 0; k < 6; k++) {
                blocks.add(h.core().allocate(1024 * K, 16, 0));
            }
            for (long p : blocks) {
                h.core().free(p);
            }
            assertEquals(L25Core.DEFAULT_RETAINED, L25Inspector.cachedBytes(h.core()), "four 1 MiB blocks cached");
            assertEquals(2L << 20, L25Inspector.dirtyBytes(h.core()), "the other two went back to their chunk, kept dirty");
            assertEquals(3 * L25Core.CHUNK_SIZE, h.source().reservedBytes(), "that chunk, now unused, is the spare");
            L25Inspector.checkCore(h.core());
            h.core().trim();
            assertEquals(0, h.source().reservedBytes());
        }
        try (Fixture h = new Fixture(0)) {
            long keeper = h.core().allocate(64 * K, 16, 0);
            long p = h.core().allocate(64 * K, 16, 0);
            MemorySegment s = MemorySegment.ofAddress(p).reinterpret(64 * K);
            s.fill((byte) 0x5A);
            h.core().free(p);
            assertEquals(0, s.get(ValueLayout.JAVA_LONG, 4096), "pages of a block freed past the budget are discarded");
            assertEquals(L25Core.CHUNK_SIZE, h.source().reservedBytes());
            h.core().free(keeper);
            assertEquals(L25Core.CHUNK_SIZE, h.source().reservedBytes(), "the first chunk left unused stays as the spare");
            long other = h.core().allocate(64 * K, 16, 0);
            assertEquals(keeper, other, "the spare chunk serves the next request");
            long next = h.core().allocate(1024 * K, 16, 0);
            long third = h.core().allocate(1024 * K, 16, 0);
            assertEquals(2 * L25Core.CHUNK_SIZE, h.source().reservedBytes());
            h.core().free(third);
            h.core().free(next);
            h.core().free(other);
            assertEquals(L25Core.CHUNK_SIZE, h.source().reservedBytes(), "a second unused chunk is released");
            L25Inspector.checkCore(h.core());
        }
    }

    @Test
    void freePagesStayDirtyWithinTheirBudgetAndAreReusedWarm() {
        try (Fixture h = new Fixture(0, 128 * K)) {
            long keeper = h.core().allocate(64 * K, 16, 0);
            long p = h.core().allocate(128 * K, 16, 0);
            long q = h.core().allocate(128 * K, 16, 0);
            MemorySegment.ofAddress(p).reinterpret(128 * K).fill((byte) 0x5A);
            MemorySegment.ofAddress(q).reinterpret(128 * K).fill((byte) 0x6B);
            h.core().free(p);
            assertEquals(128 * K, L25Inspector.dirtyBytes(h.core()), "p's pages kept undiscarded");
            h.core().free(q);
            assertEquals(128 * K, L25Inspector.dirtyBytes(h.core()), "q's pages past the budget");
            assertEquals(0x5A, MemorySegment.ofAddress(p).reinterpret(8).get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, MemorySegment.ofAddress(q).reinterpret(8).get(ValueLayout.JAVA_LONG, 0), "q discarded");
            L25Inspector.checkCore(h.core());
            long r = h.core().allocate(100 * K, 16, 0);
            assertEquals(p, r, "best fit: the lonely 128 KiB hole beside the keeper's buddy, dirty pages reused");
            assertEquals(0, L25Inspector.dirtyBytes(h.core()));
            h.core().free(r);
            h.core().trim();
            assertEquals(0, L25Inspector.dirtyBytes(h.core()));
            assertEquals(0, MemorySegment.ofAddress(p).reinterpret(8).get(ValueLayout.JAVA_LONG, 0), "trim discards");
            h.core().free(keeper);
            h.core().trim();
            assertEquals(0, h.source().reservedBytes());
        }
    }

    @Test
    void theDirtyBudgetFollowsTheHeldBytesAndShedsTheOldestPagesFirst() {
        try (Fixture h = new Fixture(0, 1024 * K)) {
            long[] blocks = new long[64];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = h.core().allocate(1024 * K, 16, 0); // two per chunk: 2i and 2i + 1 share chunk i
                MemorySegment.ofAddress(blocks[i]).reinterpret(8).set(ValueLayout.JAVA_LONG, 0, 0x5A5A + i);
            }
            assertEquals(8L << 20, L25Inspector.dirtyBudget(h.core()), "64 MiB held: one eighth");
            for (int i = 0; i < 16; i += 2) {
                h.core().free(blocks[i]);
                L25Inspector.checkCore(h.core());
            }
            assertEquals(7L << 20, L25Inspector.dirtyBudget(h.core()));
            assertEquals(7L << 20, L25Inspector.dirtyBytes(h.core()), "seven freed blocks kept, the eighth past the budget");
            assertEquals(0x5A5A, word(blocks[0]));
            assertEquals(0, word(blocks[14]), "discarded");
            h.core().free(blocks[1]); // chunk 0 unused: the spare; the budget shrinks to 6.875 MiB
            assertEquals(6L << 20, L25Inspector.dirtyBytes(h.core()));
            assertEquals(0, word(blocks[0]), "the pages dirtied longest ago went first");
            assertEquals(0x5A5A + 2, word(blocks[2]));
            h.core().free(blocks[3]); // chunk 1 unused too: released, with its dirty pages
            assertEquals(5L << 20, L25Inspector.dirtyBytes(h.core()));
            assertEquals(31 * L25Core.CHUNK_SIZE, h.source().reservedBytes());
            L25Inspector.checkCore(h.core());
        }
    }

    private static long word(long address) {
        return MemorySegment.ofAddress(address).reinterpret(8).get(ValueLayout.JAVA_LONG, 0);
    }

    @Test
    void bestFitKeepsLargeHolesWhole() {
        try (Fixture h = new Fixture(0, 0)) {
            long a = h.core().allocate(64 * K, 16, 0);  // page 0
            long big = h.core().allocate(1024 * K, 16, 0); // pages 16..31
            long b = h.core().allocate(64 * K, 16, 0);  // page 1, the buddy of a
            assertEquals(a + 64 * K, b);
            h.core().free(a);
            long c = h.core().allocate(64 * K, 16, 0);
            assertEquals(a, c, "the lonely page 0, not a page of the free 128 KiB run at 2..3");
            h.core().free(big);
            long d = h.core().allocate(64 * K, 16, 0);
            assertEquals(a + 2 * 64 * K, d, "a small hole in the chunk, not the start of the free 1 MiB run");
            assertEquals(1024 * K, h.core().usableSize(h.core().allocate(1024 * K, 16, 0)));
            assertEquals(L25Core.CHUNK_SIZE, h.source().reservedBytes(), "the 1 MiB run stayed whole");
            L25Inspector.checkCore(h.core());
        }
    }

    @Test
    void cachedBlocksGiveTheirRoomBackBeforeANewChunkIsMapped() {
        try (Fixture h = new Fixture()) {
            List<Long> blocks = new ArrayList<>();
            for (int k = 0; k < 32; k++) {
                blocks.add(h.core().allocate(64 * K, 16, k));
            }
            assertEquals(L25Core.CHUNK_SIZE, h.source().reservedBytes());
            for (long p : blocks) {
                h.core().free(p);
            }
            assertEquals(32 * 64 * K, L25Inspector.cachedBytes(h.core()));
            long big = h.core().allocate(1024 * K, 16, 0);
            assertEquals(L25Core.CHUNK_SIZE, h.source().reservedBytes(), "no new chunk: 16 cached blocks evicted");
            assertEquals(16 * 64 * K, L25Inspector.cachedBytes(h.core()));
            assertEquals(blocks.get(0) & -L25Core.CHUNK_SIZE, big & -L25Core.CHUNK_SIZE);
            L25Inspector.checkCore(h.core());
        }
    }

    @Test
    void anEvictedBlocksPagesBeyondTheNewBlockAreKeptDirtyOrDiscarded() {
        for (long dirtyFloor : new long[] {L25Core.DEFAULT_DIRTY, 0}) {
            try (Fixture h = new Fixture(L25Core.DEFAULT_RETAINED, dirtyFloor)) {
                long big = h.core().allocate(1024 * K, 16, 0);  // pages 0..15
                long other = h.core().allocate(1024 * K, 16, 0); // pages 16..31: the chunk is full
                MemorySegment.ofAddress(big + 5 * 64 * K).reinterpret(8).set(ValueLayout.JAVA_LONG, 0, 0x5A5A);
                h.core().free(big);
                long small = h.core().allocate(60 * K, 16, 0); // 1 MiB > 2 x 60 KiB: not usable, so evicted
                assertEquals(big, small, "carved at the evicted block's first page");
                assertEquals(L25Core.CHUNK_SIZE, h.source().reservedBytes());
                assertEquals(0, L25Inspector.cachedBytes(h.core()));
                long word = MemorySegment.ofAddress(big + 5 * 64 * K).reinterpret(8).get(ValueLayout.JAVA_LONG, 0);
                if (dirtyFloor > 0) {
                    assertEquals(15 * 64 * K, L25Inspector.dirtyBytes(h.core()), "the other 15 pages kept dirty");
                    assertEquals(0x5A5A, word);
                } else {
                    assertEquals(0, L25Inspector.dirtyBytes(h.core()), "1 MiB held allows 128 KiB: the 15 pages are discarded");
                    assertEquals(0, word);
                }
                L25Inspector.checkCore(h.core());
                h.core().free(other);
                h.core().free(small);
            }
        }
    }

    @Test
    void errorsNameTheAddressAndTheReason() {
        try (Fixture h = new Fixture()) {
            long p = h.core().allocate(200 * K, 16, 0);
            long interior = p + 64 * K; // the block's second page
            var e = assertThrows(InvalidAddressException.class, () -> h.core().free(interior));
            assertEquals(Reason.INTERIOR, e.reason());
            assertTrue(e.getMessage().contains("0x" + Long.toHexString(interior)), e.getMessage());
            assertTrue(e.getMessage().contains("0x" + Long.toHexString(p)), "names the block too");
            assertEquals(Reason.INTERIOR, assertThrows(InvalidAddressException.class,
                    () -> h.core().free(p + 16)).reason());

            var foreign = assertThrows(InvalidAddressException.class, () -> h.core().free(0x4000));
            assertEquals(Reason.UNKNOWN, foreign.reason());
            assertTrue(foreign.getMessage().contains("0x4000"));
            long freePages = (p & -L25Core.CHUNK_SIZE) + 20 * 64 * K;
            assertEquals(Reason.UNKNOWN, assertThrows(InvalidAddressException.class,
                    () -> h.core().free(freePages)).reason());

            h.core().free(p);
            var twice = assertThrows(InvalidAddressException.class, () -> h.core().free(p));
            assertEquals(Reason.DOUBLE_FREE, twice.reason());
            assertTrue(twice.getMessage().contains(Long.toHexString(p)));
            assertEquals(Reason.DOUBLE_FREE, assertThrows(InvalidAddressException.class,
                    () -> h.core().usableSize(p)).reason());
            h.core().trim();
            assertEquals(Reason.UNKNOWN, assertThrows(InvalidAddressException.class, () -> h.core().free(p)).reason(),
                    "after its memory went back to the OS the address is unknown");
        }
    }

    @Test
    void statsPerClass() {
        try (Fixture h = new Fixture()) {
            long a = h.core().allocate(40 * K, 16, 0);
            h.core().allocate(50 * K, 16, 0);
            h.core().allocate(600 * K, 16, 3);
            h.core().free(a);
            var s = h.core().stats();
            assertEquals(3, s.allocations());
            assertEquals(1, s.frees());
            assertEquals(2, s.liveBlocks());
            assertEquals(650 * K, s.liveBytes());
            assertEquals(64 * K + 1024 * K, s.handedBytes());
            assertEquals(L25Core.CHUNK_SIZE, s.reservedBytes());
            assertEquals(new ClassStats(64 * K, 2, 1, 1, 50 * K, 2, 128 * K, 1), s.classes().get(0), "the freed block is cached");
            assertEquals(new ClassStats(1024 * K, 1, 0, 1, 600 * K, 1, 1024 * K), s.classes().get(4));
            assertEquals(64 * K + 1024 * K - 650 * K, s.wasteBytes());
            assertEquals(64 * K, s.cachedBytes());
            assertEquals(L25Core.CHUNK_SIZE - 128 * K - 1024 * K, s.freeBytes(), "pages in no block");
            assertEquals(s.reservedBytes(), s.handedBytes() + s.cachedBytes() + s.freeBytes());
        }
    }

    @Test
    void trimReleasesEveryCachedBlockAndEmptyChunk() {
        try (Fixture h = new Fixture()) {
            List<Long> blocks = new ArrayList<>();
            for (int k = 0; k < 300; k++) {
                blocks.add(h.core().allocate(1 + (k * 7919L * 131) % MAX, 16, k));
            }
            long kept = blocks.remove(123);
            for (long p : blocks) {
                h.core().free(p);
            }
            h.core().trim();
            L25Inspector.checkCore(h.core());
            assertEquals(0, L25Inspector.cachedBytes(h.core()));
            assertEquals(L25Core.CHUNK_SIZE, h.source().reservedBytes(), "only the chunk of the live block stays");
            h.core().free(kept);
            assertNotEquals(0, h.source().reservedBytes(), "the freed block waits in its cache until trim");
            h.core().trim();
            assertEquals(0, h.source().reservedBytes());
            assertNotEquals(0, h.core().allocate(100 * K, 16, 0), "usable after trim");
        }
    }

    @Test
    void closeReleasesEverythingAndRefusesFurtherAllocation() {
        try (Fixture h = new Fixture()) {
            long p = h.core().allocate(300 * K, 16, 0);
            h.core().allocate(300 * K, 16, 0);
            h.core().free(p);
            h.core().close();
            assertEquals(0, h.source().reservedBytes());
            assertEquals(Reason.UNKNOWN, assertThrows(InvalidAddressException.class, () -> h.core().free(p)).reason());
            assertThrows(IllegalStateException.class, () -> h.core().allocate(300 * K, 16, 0));
        }
    }

    @Test
    void providerDescribesTheTier() {
        TierProvider provider = new L25TierProvider();
        assertEquals("l25", provider.id());
        assertEquals(1024 * K, provider.maxSize());
        assertTrue(provider.description().startsWith("l25"));
        try (ChunkSource source = ChunkSource.standalone(8L << 20)) {
            var core = provider.create(source);
            long p = core.allocate(33 * K, 16, 9);
            assertEquals(64 * K, core.usableSize(p));
            core.close();
        }
    }

    @Test
    void moduleProvidesTheTierAndExportsNothing() throws IOException {
        Module module = L25TierProvider.class.getModule();
        ModuleDescriptor d = module.getDescriptor();
        assertNotNull(d, "tests run on the module path");
        assertEquals("hakmem.l25", d.name());
        assertFalse(d.isOpen());
        assertTrue(d.exports().isEmpty(), "exports " + d.exports());
        assertTrue(d.opens().isEmpty(), "opens " + d.opens());
        assertEquals(1, d.provides().size());
        var provides = d.provides().iterator().next();
        assertEquals(TierProvider.class.getName(), provides.service());
        assertEquals(List.of(L25TierProvider.class.getName()), provides.providers());
        try (InputStream in = module.getResourceAsStream("META-INF/services/" + TierProvider.class.getName())) {
            assertNotNull(in, "class-path service file");
            assertEquals(L25TierProvider.class.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
        }
    }
}
