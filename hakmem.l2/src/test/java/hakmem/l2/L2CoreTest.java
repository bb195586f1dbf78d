package hakmem.l2;

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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Specific cases of the l2 core beyond hakmem.tck's contract ({@link L2ContractTest}): class table,
 * alignment, error messages, per-class stats, spare runs, dirty pages, the spare chunk, trim and close.
 */
class L2CoreTest {

    private static final long[] CLASSES = L2CoreProperties.CLASSES;

    /** One core on its own source; closing it checks every chunk went back. */
    private record Fixture(ChunkSource source, L2Core core) implements AutoCloseable {
        Fixture() {
            this(L2Core.DEFAULT_DIRTY);
        }

        /** A core keeping at least {@code dirtyFloor} bytes of free pages undiscarded. */
        Fixture(long dirtyFloor) {
            this(ChunkSource.standalone(256L << 20), dirtyFloor);
        }

        private Fixture(ChunkSource source, long dirtyFloor) {
            this(source, new L2Core(source, dirtyFloor));
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
        try (Fixture h = new Fixture()) {
            for (long size = 1; size <= SizeClass.MAX_SIZE; size++) {
                int expected = L2CoreProperties.expectedClass(size, 1);
                assertEquals(expected, SizeClass.of(size), "class of " + size);
                long p = h.core().allocate(size, size <= 8 ? 8 : 16, 0);
                assertEquals(CLASSES[expected], h.core().usableSize(p), "usable size of " + size);
                h.core().free(p);
            }
            L2Inspector.checkCore(h.core());
        }
    }

    @Test
    void blockIndexByReciprocalIsExactForEveryOffsetOfEveryRun() {
        for (int c = 0; c < SizeClass.COUNT; c++) {
            long r = SizeClass.RECIPROCAL[c];
            for (long off = 0; off < SizeClass.runBytes(c); off++) {
                if (((off * r) >>> SizeClass.RECIPROCAL_SHIFT) != off / SizeClass.BLOCK[c]) {
                    throw new AssertionError("class " + SizeClass.BLOCK[c] + " offset " + off);
                }
            }
        }
    }

    @Test
    void runGeometryIsAsDocumented() {
        int[] capacity = {64, 51, 42, 36, 32, 25, 21, 18, 16, 25, 21, 9, 8, 19, 16, 9, 4, 16, 8, 9, 4};
        for (int c = 0; c < SizeClass.COUNT; c++) {
            assertEquals(capacity[c], SizeClass.CAPACITY[c], "capacity of class " + SizeClass.BLOCK[c]);
            long tail = SizeClass.runBytes(c) - (long) capacity[c] * SizeClass.BLOCK[c];
            assertTrue(tail * 40 <= SizeClass.runBytes(c), "tail of class " + SizeClass.BLOCK[c] + " over 2.5 %");
        }
    }

    /** Internal waste on uniform sizes; the figure the class table was chosen for (goal <= 12.5 %). */
    @Test
    void internalWasteOnUniformSizes() {
        double[] over1To32K = waste(1, SizeClass.MAX_SIZE);
        double[] over1KTo32K = waste(1025, SizeClass.MAX_SIZE);
        System.out.printf("l2 internal waste, uniform 1..32768: %.2f %% of handed bytes, mean (block-size)/size %.2f %%;"
                        + " uniform 1025..32768: %.2f %% of handed bytes, mean (block-size)/size %.2f %%%n",
                100 * over1To32K[0], 100 * over1To32K[1], 100 * over1KTo32K[0], 100 * over1KTo32K[1]);
        assertTrue(over1KTo32K[0] <= 0.08 && over1KTo32K[1] <= 0.10);
        assertTrue(over1To32K[0] <= 0.08);
    }

    private static double[] waste(long from, long to) {
        double wasted = 0, handed = 0, relative = 0;
        for (long s = from; s <= to; s++) {
            long block = SizeClass.BLOCK[SizeClass.of(s)];
            wasted += block - s;
            handed += block;
            relative += (double) (block - s) / s;
        }
        return new double[] {wasted / handed, relative / (to - from + 1)};
    }

    @Test
    void alignmentPicksTheSmallestAlignedClass() {
        try (Fixture h = new Fixture()) {
            assertAligned(h, 1025, 512, 1536);
            assertAligned(h, 1025, 1024, 2048);
            assertAligned(h, 1, 4096, 4096);
            assertAligned(h, 5000, 2048, 6144);
            assertAligned(h, 20000, 8192, 24576);
            assertAligned(h, 100, 32768, 32768);
            assertAligned(h, 32768, 32768, 32768);
            assertEquals(0, h.core().allocate(1, 65536, 0), "no class is 64 KiB aligned");
            assertEquals(0, h.core().allocate(32768, 1L << 20, 0));
            assertThrows(IllegalArgumentException.class, () -> h.core().allocate(100, 48, 0));
            assertThrows(IllegalArgumentException.class, () -> h.core().allocate(100, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> h.core().allocate(0, 16, 0));
            assertThrows(IllegalArgumentException.class, () -> h.core().allocate(32769, 16, 0));
            L2Inspector.checkCore(h.core());
        }
    }

    private static void assertAligned(Fixture h, long size, long alignment, long block) {
        for (int k = 0; k < 70; k++) { // past one run, so later blocks of the class are checked too
            long p = h.core().allocate(size, alignment, 0);
            assertEquals(0, p & (alignment - 1), size + " aligned " + alignment);
            assertEquals(block, h.core().usableSize(p));
        }
    }

    @Test
    void errorsNameTheAddressAndTheReason() {
        try (Fixture h = new Fixture()) {
            long p = h.core().allocate(3000, 16, 0);
            long q = h.core().allocate(3000, 16, 0);
            InvalidAddressException interior = assertThrows(InvalidAddressException.class, () -> h.core().free(p + 16));
            assertEquals(Reason.INTERIOR, interior.reason());
            assertTrue(interior.getMessage().contains("0x" + Long.toHexString(p + 16)), interior.getMessage());
            assertTrue(interior.getMessage().contains("0x" + Long.toHexString(p)), "names the block too");

            InvalidAddressException foreign = assertThrows(InvalidAddressException.class, () -> h.core().free(0x1000));
            assertEquals(Reason.UNKNOWN, foreign.reason());
            assertTrue(foreign.getMessage().contains("0x1000"), foreign.getMessage());

            long freePages = (p & -L2Core.CHUNK_SIZE) + 20 * SizeClass.PAGE_SIZE;
            assertEquals(Reason.UNKNOWN, assertThrows(InvalidAddressException.class,
                    () -> h.core().free(freePages)).reason());
            long tail = h.core().runOf(p).base + 21 * 3072; // 21 blocks of 3 KiB fill 63 KiB of the 64 KiB run
            assertEquals(Reason.UNKNOWN, assertThrows(InvalidAddressException.class, () -> h.core().free(tail)).reason());

            h.core().free(p);
            InvalidAddressException twice = assertThrows(InvalidAddressException.class, () -> h.core().free(p));
            assertEquals(Reason.DOUBLE_FREE, twice.reason());
            assertTrue(twice.getMessage().contains(Long.toHexString(p)));
            assertEquals(Reason.DOUBLE_FREE, assertThrows(InvalidAddressException.class,
                    () -> h.core().usableSize(p)).reason());
            assertEquals(3072, h.core().usableSize(q));
            h.core().free(q);
            L2Inspector.checkCore(h.core());
        }
    }

    @Test
    void statsPerClass() {
        try (Fixture h = new Fixture()) {
            long a = h.core().allocate(2000, 16, 0);
            h.core().allocate(2000, 16, 0);
            h.core().allocate(1900, 16, 0);
            h.core().allocate(30000, 16, 0);
            h.core().free(a);
            var s = h.core().stats();
            assertEquals(4, s.allocations());
            assertEquals(1, s.frees());
            assertEquals(3, s.liveBlocks());
            assertEquals(2000 + 1900 + 30000, s.liveBytes());
            assertEquals(2 * 2048 + 32768, s.handedBytes());
            assertEquals(L2Core.CHUNK_SIZE, s.reservedBytes());
            assertEquals(0, s.cachedBytes());
            // Two runs (2 KiB blocks in 64 KiB, 32 KiB in 128 KiB: no tails) with their free blocks, 29 free pages.
            assertEquals((65536 - 2 * 2048) + (131072 - 32768) + 29L * 65536, s.freeBytes());
            ClassStats c2k = s.classes().get(4);
            assertEquals(new ClassStats(2048, 3, 1, 2, 3900, 1, 65536), c2k);
            ClassStats c32k = s.classes().get(20);
            assertEquals(new ClassStats(32768, 1, 0, 1, 30000, 1, 131072), c32k);
            assertEquals(0, s.classes().get(0).slabs());
            assertEquals(2 * 2048 + 32768 - 33900, s.wasteBytes());
        }
    }

    @Test
    void oneSpareRunPerClassIsKeptAndFurtherEmptyRunsAreDiscarded() {
        try (Fixture h = new Fixture(0)) { // no dirty floor: 256 KiB held allows 32 KiB of dirty pages
            long keeper = h.core().allocate(30000, 16, 0); // another run keeps the chunk mapped
            List<Long> blocks = new ArrayList<>();
            for (int k = 0; k < 3 * 64; k++) {
                long p = h.core().allocate(1000, 16, 0);
                MemorySegment.ofAddress(p).reinterpret(1024).fill((byte) 0x5A);
                blocks.add(p);
            }
            long runA = h.core().runOf(blocks.get(0)).base;
            long runB = h.core().runOf(blocks.get(64)).base;
            assertEquals(4, h.core().stats().classes().stream().mapToLong(ClassStats::slabs).sum());
            for (int k = 0; k < 128; k++) {
                h.core().free(blocks.get(k));
            }
            L2Inspector.checkCore(h.core());
            // run A went spare, its bytes untouched; run B went back to the chunk, its pages discarded
            assertEquals(65536, L2Inspector.retainedBytes(h.core()));
            assertEquals(0x5A, MemorySegment.ofAddress(runA).reinterpret(8).get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, MemorySegment.ofAddress(runB).reinterpret(65536).get(ValueLayout.JAVA_LONG, 8));
            assertNull(h.core().runOf(runB));
            assertEquals(2, h.core().stats().classes().get(0).slabs());

            // the spare is reused before new pages are carved
            for (int k = 0; k < 64; k++) {
                assertEquals(runA, h.core().runOf(h.core().allocate(1000, 16, 0)).base);
            }
            assertEquals(0, L2Inspector.retainedBytes(h.core()));
            L2Inspector.checkCore(h.core());
            h.core().free(keeper);
        }
    }

    @Test
    void emptyRunsPagesStayDirtyWithinTheBudgetAndTheNextRunReusesThem() {
        try (Fixture h = new Fixture()) {
            long keeper = h.core().allocate(30000, 16, 0);
            List<Long> blocks = new ArrayList<>();
            for (int k = 0; k < 3 * 64; k++) {
                long p = h.core().allocate(1000, 16, 0);
                MemorySegment.ofAddress(p).reinterpret(1024).fill((byte) 0x5A);
                blocks.add(p);
            }
            long runB = h.core().runOf(blocks.get(64)).base;
            for (int k = 0; k < 128; k++) {
                h.core().free(blocks.get(k));
            }
            assertEquals(65536, L2Inspector.dirtyBytes(h.core()), "run B went back to its chunk undiscarded");
            assertEquals(0x5A, MemorySegment.ofAddress(runB).reinterpret(8).get(ValueLayout.JAVA_BYTE, 0));
            assertNull(h.core().runOf(runB));
            L2Inspector.checkCore(h.core());
            long p = h.core().allocate(4000, 16, 0); // a new one-page run: first fit is B's page
            assertEquals(runB, h.core().runOf(p).base);
            assertEquals(0, L2Inspector.dirtyBytes(h.core()));
            L2Inspector.checkCore(h.core());
            h.core().trim();
            L2Inspector.checkCore(h.core());
            h.core().free(p);
            h.core().free(keeper);
            for (int k = 128; k < 192; k++) {
                h.core().free(blocks.get(k));
            }
            h.core().trim();
            assertEquals(0, h.source().reservedBytes());
        }
    }

    @Test
    void oneUnusedChunkIsKeptAsTheSpareAndTrimReleasesIt() {
        try (Fixture h = new Fixture(0)) {
            List<Long> blocks = new ArrayList<>();
            for (int k = 0; k < 64 * 3; k++) {
                blocks.add(h.core().allocate(32768, 16, 0)); // 4 per 128 KiB run, 16 runs per chunk: 3 chunks
            }
            assertEquals(3 * L2Core.CHUNK_SIZE, h.source().reservedBytes());
            for (long p : blocks) {
                h.core().free(p);
            }
            L2Inspector.checkCore(h.core());
            // chunk 0 keeps the first run as the class's spare, chunk 2 the last (current) run, and chunk 1,
            // emptied first, stays mapped as the spare chunk
            assertEquals(2, h.core().stats().classes().get(20).slabs());
            assertEquals(3, L2Inspector.chunkCount(h.core()));
            assertEquals(0, L2Inspector.dirtyBytes(h.core()), "no dirty floor: 256 KiB of runs allow 32 KiB");
            assertEquals(h.core().runOf(blocks.get(0)).base, blocks.get(0));
            assertNotNull(h.core().runOf(blocks.get(191)));
            assertNull(h.core().runOf(blocks.get(64)), "chunk 1 has no run");
            assertNotNull(h.source().attachment(blocks.get(64)), "but is still held");
            h.core().trim();
            assertEquals(0, h.source().reservedBytes());
        }
    }

    @Test
    void trimReleasesEmptyRunsAndChunks() {
        try (Fixture h = new Fixture()) {
            List<Long> blocks = new ArrayList<>();
            for (int k = 0; k < 2000; k++) {
                blocks.add(h.core().allocate(1 + (k * 7919L) % SizeClass.MAX_SIZE, 16, 0));
            }
            assertTrue(h.source().reservedBytes() > L2Core.CHUNK_SIZE);
            long kept = blocks.remove(1234);
            for (long p : blocks) {
                h.core().free(p);
            }
            L2Inspector.checkCore(h.core());
            h.core().trim();
            L2Inspector.checkCore(h.core());
            assertEquals(L2Core.CHUNK_SIZE, h.source().reservedBytes(), "only the chunk of the live block stays");
            assertEquals(1, h.core().stats().classes().stream().mapToLong(ClassStats::slabs).sum());
            h.core().free(kept);
            assertNotEquals(0, h.source().reservedBytes(), "an empty current run stays until trim");
            h.core().trim();
            assertEquals(0, h.source().reservedBytes());
            assertNotEquals(0, h.core().allocate(100, 16, 0), "usable after trim");
        }
    }

    @Test
    void closeReleasesEverythingAndRefusesFurtherAllocation() {
        try (Fixture h = new Fixture()) {
            long p = h.core().allocate(5000, 16, 0);
            h.core().close();
            assertEquals(0, h.source().reservedBytes());
            assertEquals(Reason.UNKNOWN, assertThrows(InvalidAddressException.class, () -> h.core().free(p)).reason());
            assertThrows(IllegalStateException.class, () -> h.core().allocate(5000, 16, 0));
        }
    }

    @Test
    void providerDescribesTheTier() {
        TierProvider provider = new L2TierProvider();
        assertEquals("l2", provider.id());
        assertEquals(32768, provider.maxSize());
        assertTrue(provider.description().startsWith("l2"));
        try (var source = ChunkSource.standalone(8L << 20)) {
            var core = provider.create(source);
            long p = core.allocate(1500, 16, 7);
            assertEquals(1536, core.usableSize(p));
            core.close();
        }
    }

    @Test
    void moduleProvidesTheTierAndExportsNothing() throws IOException {
        Module module = L2TierProvider.class.getModule();
        ModuleDescriptor d = module.getDescriptor();
        assertNotNull(d, "tests run on the module path");
        assertEquals("hakmem.l2", d.name());
        assertFalse(d.isOpen());
        assertTrue(d.exports().isEmpty(), "exports " + d.exports());
        assertTrue(d.opens().isEmpty(), "opens " + d.opens());
        assertEquals(1, d.provides().size());
        var provides = d.provides().iterator().next();
        assertEquals(TierProvider.class.getName(), provides.service());
        assertEquals(List.of(L2TierProvider.class.getName()), provides.providers());
        try (InputStream in = module.getResourceAsStream("META-INF/services/" + TierProvider.class.getName())) {
            assertNotNull(in, "class-path service file");
            assertEquals(L2TierProvider.class.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
        }
    }
}
