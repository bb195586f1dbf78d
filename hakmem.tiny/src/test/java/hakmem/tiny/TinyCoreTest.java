package hakmem.tiny;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierProvider;
import hakmem.tck.Block;
import hakmem.tck.CoreDriver;
import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Specific cases of {@link TinyCore} beyond hakmem.tck's contract ({@link TinyContractTest}): the class map,
 * alignment, error messages, per-class stats, slab reuse order, retention, trim, close and the provider.
 * Driven through the kit's {@link CoreDriver}, which checks each step against the contract as well.
 */
class TinyCoreTest {

    /** The documented table, written out again so that a change to {@link SizeClass} must change this test. */
    private static final int[] DOCUMENTED = {8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
        512, 640, 768, 896, 1024};

    private static final long CHUNK = Chunk.SIZE;

    private static CoreDriver driver() {
        return new CoreDriver(new TinyTierProvider(), CoreDriver.DEFAULT_CAPACITY, TinyInspector.INSTANCE);
    }

    private static int documentedClass(long size) {
        for (int c : DOCUMENTED) {
            if (c >= size) {
                return c;
            }
        }
        throw new AssertionError(size);
    }

    @Test
    void everySizeMapsToTheDocumentedClass() {
        try (CoreDriver h = driver()) {
            for (int size = 1; size <= TinyCore.MAX_SIZE; size++) {
                long alignment = CoreDriver.plainAlignment(size);
                assertEquals(documentedClass(size), TinyInspector.blockSizeFor(h.core(), size, alignment), "size " + size);
                Block b = h.allocate(size, alignment, 0);
                assertEquals(documentedClass(size), h.core().usableSize(b.address()), "size " + size);
                assertEquals(0, b.address() % alignment);
            }
            h.checkStats();
            h.freeAll();
            h.checkStats();
        }
    }

    @Test
    void alignedRequestsTakeTheSmallestClassAlignedEnough() {
        try (CoreDriver h = driver()) {
            long[][] cases = { // size, alignment, expected block size (0: refused)
                {1, 1, 8}, {1, 8, 8}, {1, 16, 16}, {8, 16, 16}, {9, 16, 16}, {17, 16, 32}, {33, 16, 48},
                {33, 32, 64}, {100, 64, 128}, {129, 32, 160}, {129, 64, 192}, {500, 256, 512}, {600, 128, 640},
                {700, 256, 768}, {800, 128, 896}, {1000, 256, 1024}, {1, 1024, 1024}, {1024, 1024, 1024},
                {1, 2048, 0}, {1024, 4096, 0}, {64, 1L << 40, 0}};
            for (long[] c : cases) {
                assertEquals(c[2], TinyInspector.blockSizeFor(h.core(), c[0], c[1]), "size " + c[0] + " alignment " + c[1]);
                Block b = h.allocate(c[0], c[1], 0);
                if (c[2] == 0) {
                    assertNull(b);
                } else {
                    assertEquals(c[2], b.usable());
                    assertEquals(0, b.address() % c[1], "alignment " + c[1]);
                                    }
            }
            h.checkStats();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.core().allocate(100, 48, 0));
            assertTrue(e.getMessage().contains("48"), e.getMessage());
        }
    }

    @Test
    void errorsNameTheAddressAndTheReason() {
        try (CoreDriver h = driver()) {
            Block a = h.allocate(100, 16, 0);     // 112-byte class
            Block b = h.allocate(100, 16, 0);
            InvalidAddressException interior = assertThrows(InvalidAddressException.class, () -> h.core().free(a.address() + 16));
            assertEquals(Reason.INTERIOR, interior.reason());
            assertTrue(interior.getMessage().contains(Long.toHexString(a.address() + 16)));
            assertTrue(interior.getMessage().contains("16 bytes into the 112-byte block at 0x" + Long.toHexString(a.address())),
                    interior.getMessage());
            h.free(a);
            InvalidAddressException twice = assertThrows(InvalidAddressException.class, () -> h.core().free(a.address()));
            assertEquals(Reason.DOUBLE_FREE, twice.reason());
            assertTrue(twice.getMessage().contains("0x" + Long.toHexString(a.address())), twice.getMessage());
            assertEquals(Reason.DOUBLE_FREE,
                    assertThrows(InvalidAddressException.class, () -> h.core().usableSize(a.address())).reason());
            h.expectRejected(a.address(), Reason.DOUBLE_FREE);
            h.expectRejected(b.address() + 8, Reason.INTERIOR);
            h.expectRejected(0, Reason.UNKNOWN);
            h.expectRejected(b.address() + (2L << 20), Reason.UNKNOWN);          // the next chunk: not ours
            h.expectRejected((b.address() & -(2L << 20)) + (5L << 16), Reason.UNKNOWN); // a slot never carved
            long tail = (b.address() & -(long) Slab.SIZE) + (Slab.SIZE / 112) * 112L;
            InvalidAddressException inTail = assertThrows(InvalidAddressException.class, () -> h.core().free(tail));
            assertEquals(Reason.UNKNOWN, inTail.reason());
            assertTrue(inTail.getMessage().contains("unused tail"), inTail.getMessage());
            h.checkStats();
        }
    }

    @Test
    void statsCountPerClass() {
        try (CoreDriver h = driver()) {
            for (int i = 0; i < 10; i++) {
                h.allocate(5, 8, 0);        // 8-byte class
            }
            for (int i = 0; i < 3; i++) {
                h.allocate(1000, 16, 0);    // 1024-byte class
            }
            h.free(h.live().getFirst());
            TierStats s = h.core().stats();
            assertEquals("tiny", s.tier());
            assertEquals(13, s.allocations());
            assertEquals(1, s.frees());
            assertEquals(12, s.liveBlocks());
            assertEquals(9 * 5 + 3 * 1000, s.liveBytes());
            assertEquals(9 * 8 + 3 * 1024, s.handedBytes());
            assertEquals(2L << 20, s.reservedBytes());
            assertEquals(0, s.cachedBytes());
            // Two slabs with their free blocks (8 B blocks fill 64 KiB exactly, 1024 B too), 30 free slots.
            assertEquals((Slab.SIZE - 9 * 8) + (Slab.SIZE - 3 * 1024) + 30L * Slab.SIZE, s.freeBytes());
            assertEquals(SizeClass.COUNT, s.classes().size());
            ClassStats eight = s.classes().get(0);
            assertEquals(new ClassStats(8, 10, 1, 9, 45, 1, Slab.SIZE), eight);
            ClassStats kib = s.classes().get(SizeClass.COUNT - 1);
            assertEquals(new ClassStats(1024, 3, 0, 3, 3000, 1, Slab.SIZE), kib);
            assertEquals(3 * 24, kib.wasteBytes());
            for (ClassStats c : s.classes().subList(1, SizeClass.COUNT - 1)) {
                assertEquals(new ClassStats(c.blockSize(), 0, 0, 0, 0, 0, 0), c);
            }
            h.checkStats();
        }
    }

    @Test
    void slabsFillThenPartialSlabsAreReusedBeforeANewOne() {
        try (CoreDriver h = driver()) {
            int perSlab = Slab.SIZE / 1024;
            List<Block> first = new ArrayList<>();
            for (int i = 0; i < perSlab; i++) {
                first.add(h.allocate(1024, 16, 0));
            }
            long firstSlab = TinyInspector.slabBaseAt(h.core(), first.get(0).address());
            assertTrue(first.stream().allMatch(b -> TinyInspector.slabBaseAt(h.core(), b.address()) == firstSlab));
            // A fresh slab hands blocks out in address order.
            for (int i = 0; i < perSlab; i++) {
                assertEquals(firstSlab + 1024L * i, first.get(i).address());
            }
            Block next = h.allocate(1024, 16, 0);
            long secondSlab = TinyInspector.slabBaseAt(h.core(), next.address());
            assertNotEquals(firstSlab, secondSlab);
            // Free two blocks of the (now full, not current) first slab; fill the second; the third slab is not taken.
            h.free(first.get(3));
            h.free(first.get(7));
            h.checkStats();
            for (int i = 1; i < perSlab; i++) {
                h.allocate(1024, 16, 0);
            }
            Block reused1 = h.allocate(1024, 16, 0);
            Block reused2 = h.allocate(1024, 16, 0);
            assertEquals(firstSlab, TinyInspector.slabBaseAt(h.core(), reused1.address()));
            assertEquals(firstSlab + 7 * 1024, reused1.address(), "most recently freed block first");
            assertEquals(firstSlab + 3 * 1024, reused2.address());
            assertEquals(2, TinyInspector.slabCount(h.core()));
            h.checkStats();
            h.freeAll();
            h.checkStats();
        }
    }

    @Test
    void emptySlabsBeyondTheRetainedOneGoBackAndTrimReleasesEverything() {
        try (CoreDriver h = driver()) {
            int perSlab = Slab.SIZE / 1024;
            for (int i = 0; i < 4 * perSlab; i++) {
                h.allocate(1024, 16, 0);
            }
            assertEquals(4, TinyInspector.slabCount(h.core()));
            h.freeAll();
            // The current slab and one retained empty slab stay; the other two went back to the chunk.
            assertEquals(1 + SizeClass.RETAIN, TinyInspector.slabCount(h.core()));
            assertEquals(TinyInspector.slabCount(h.core()), TinyInspector.emptySlabCount(h.core()));
            assertEquals(1, TinyInspector.chunkCount(h.core()));
            h.checkStats();
            h.core().trim();
            assertEquals(0, TinyInspector.slabCount(h.core()));
            assertEquals(0, TinyInspector.chunkCount(h.core()));
            assertEquals(0, h.source().reservedBytes());
            assertEquals(0, h.core().stats().reservedBytes());
            h.checkStats();
            // The core keeps working after trim.
            Block b = h.allocate(3, 8, 0);
            assertEquals(8, b.usable());
            h.checkStats();
        }
    }

    @Test
    void aChunkWhoseSlabsAreAllFreeIsReleasedWithoutTrim() {
        try (CoreDriver h = driver()) {
            int perSlab = Slab.SIZE / 1024;
            List<Block> blocks = new ArrayList<>();
            for (int i = 0; i < 34 * perSlab; i++) {
                blocks.add(h.allocate(1024, 16, 0));
            }
            // Slabs 0..31 fill the first chunk; slab 32 and the current slab 33 lie in the second.
            assertEquals(2, TinyInspector.chunkCount(h.core()));
            long firstChunk = blocks.get(0).address() & -CHUNK;
            assertNotEquals(firstChunk, blocks.get(32 * perSlab).address() & -CHUNK);
            // Empty slab 32 first: it becomes the class's retained slab, so the first chunk's slabs all go back.
            for (int i = 32 * perSlab; i < 33 * perSlab; i++) {
                h.free(blocks.get(i));
            }
            for (int i = 0; i < 32 * perSlab; i++) {
                h.free(blocks.get(i));
                h.checkStats();
            }
            assertEquals(1, TinyInspector.chunkCount(h.core()));
            assertEquals(CHUNK, h.source().reservedBytes());
            assertEquals(null, h.source().attachment(firstChunk));
            assertEquals(2, TinyInspector.slabCount(h.core()));
            h.freeAll();
            h.core().trim();
            assertEquals(0, h.source().reservedBytes());
            h.checkStats();
        }
    }

    @Test
    void chunksSharingARecentChunkEntryAreStillFound() {
        try (ChunkSource source = ChunkSource.standalone(1100 * CHUNK)) {
            TinyCore core = new TinyCore(source);
            int perChunk = Chunk.SLABS * (Slab.SIZE / 1024);
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < perChunk; i++) {
                blocks.add(core.allocate(1024, 16, 0));
            }
            // Take 1023 chunks past the core so that its next chunk lies 1024 chunks (2 GiB) after its first.
            List<Long> others = new ArrayList<>();
            for (int i = 0; i < 1023; i++) {
                others.add(source.acquire("not the tiny tier's"));
            }
            long far = core.allocate(1024, 16, 0);
            for (long chunk : others) {
                source.release(chunk);
            }
            assertEquals(1024L * CHUNK, (far & -CHUNK) - (blocks.get(0) & -CHUNK));
            TinyInspector.checkCore(core);
            assertEquals(1024, core.usableSize(far));
            assertEquals(Reason.INTERIOR, assertThrows(InvalidAddressException.class, () -> core.free(far + 8)).reason());
            core.free(far);
            assertEquals(Reason.DOUBLE_FREE, assertThrows(InvalidAddressException.class, () -> core.free(far)).reason());
            for (long b : blocks) {
                core.free(b);
            }
            TinyInspector.checkCore(core);
            core.trim();
            assertEquals(0, source.reservedBytes());
            core.close();
        }
    }

    @Test
    void runningOutOfChunksChangesNothingAndTheLastFreedBlockComesBackFirst() {
        try (CoreDriver h = driver()) {
            h.source().limitChunks(1);
            int perSlab = Slab.SIZE / 1024;
            List<Block> blocks = new ArrayList<>();
            for (int i = 0; i < Chunk.SLABS * perSlab; i++) {
                blocks.add(h.allocate(1024, 16, 0));
            }
            assertNull(h.allocate(1024, 16, 0), "refused: the driver checks that nothing changed");
            assertEquals(1, h.source().refusals());
            h.free(blocks.get(100));
            assertEquals(blocks.get(100).address(), h.allocate(1000, 16, 0).address(), "most recently freed first");
            h.checkStats();
            h.freeAll();
            h.trim();
            assertEquals(0, h.source().heldBytes());
        }
    }

    @Test
    void closeReleasesEveryChunkAndRefusesFurtherAllocation() {
        try (ChunkSource source = ChunkSource.standalone(64L << 20)) {
            TinyCore core = new TinyCore(source);
            long a = core.allocate(40, 16, 0);
            for (int i = 0; i < 40 * (Slab.SIZE / 512); i++) {
                core.allocate(512, 16, 0);
            }
            assertTrue(source.reservedBytes() >= 2 * CHUNK);
            core.close();
            assertEquals(0, source.reservedBytes());
            assertThrows(IllegalStateException.class, () -> core.allocate(40, 16, 0));
            assertEquals(Reason.UNKNOWN, assertThrows(InvalidAddressException.class, () -> core.free(a)).reason());
            core.close();
        }
    }

    @Test
    void providerIsFoundAndTheModuleExportsNothing() {
        // The runtime (hakmem.api) declares the use; this test, patched into hakmem.tiny, must add it for itself.
        TinyCore.class.getModule().addUses(TierProvider.class);
        TierProvider tiny = ServiceLoader.load(TierProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.id().equals("tiny")).findFirst().orElseThrow();
        assertEquals(TinyTierProvider.class, tiny.getClass());
        assertEquals(1024, tiny.maxSize());
        assertTrue(tiny.description().startsWith("tiny (<= 1024 B)"), tiny.description());
        try (ChunkSource source = ChunkSource.standalone(CHUNK)) {
            var core = tiny.create(source);
            long p = core.allocate(24, 16, 7);
            assertEquals(32, core.usableSize(p));
            core.free(p);
            core.trim();
            assertEquals(0, source.reservedBytes());
            core.close();
        }
        Module module = TinyCore.class.getModule();
        assertTrue(module.isNamed(), "tests run on the module path");
        ModuleDescriptor d = module.getDescriptor();
        assertEquals("hakmem.tiny", d.name());
        assertTrue(d.exports().isEmpty(), "exports " + d.exports());
        assertTrue(d.opens().isEmpty() && !d.isOpen(), "opens something");
        assertEquals(1, d.provides().size());
        ModuleDescriptor.Provides provides = d.provides().iterator().next();
        assertEquals(TierProvider.class.getName(), provides.service());
        assertEquals(List.of(TinyTierProvider.class.getName()), provides.providers());
        assertTrue(d.requires().stream().anyMatch(r -> r.name().equals("hakmem.api")));
        assertTrue(TinyTierProvider.class.getClassLoader().getResource(
                "META-INF/services/" + TierProvider.class.getName()) != null, "class-path service file");
    }
}
