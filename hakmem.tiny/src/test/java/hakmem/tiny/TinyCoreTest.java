package hakmem.tiny;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierProvider;
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

/** Specific cases of {@link TinyCore}: the class map, alignment, errors, stats, trim, close and the provider. */
class TinyCoreTest {

    /** The documented table, written out again so that a change to {@link SizeClass} must change this test. */
    private static final int[] DOCUMENTED = {8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
        512, 640, 768, 896, 1024};

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
        try (CoreHarness h = new CoreHarness()) {
            for (int size = 1; size <= TinyCore.MAX_SIZE; size++) {
                long alignment = CoreHarness.plainAlignment(size);
                assertEquals(documentedClass(size), h.core.blockSizeFor(size, alignment), "size " + size);
                CoreHarness.Block b = h.allocate(size, alignment);
                assertEquals(documentedClass(size), h.core.usableSize(b.address()), "size " + size);
                assertEquals(0, b.address() % alignment);
            }
            h.checkCounts();
            h.freeAll();
            h.checkCounts();
        }
    }

    @Test
    void alignedRequestsTakeTheSmallestClassAlignedEnough() {
        try (CoreHarness h = new CoreHarness()) {
            long[][] cases = { // size, alignment, expected block size (0: refused)
                {1, 1, 8}, {1, 8, 8}, {1, 16, 16}, {8, 16, 16}, {9, 16, 16}, {17, 16, 32}, {33, 16, 48},
                {33, 32, 64}, {100, 64, 128}, {129, 32, 160}, {129, 64, 192}, {500, 256, 512}, {600, 128, 640},
                {700, 256, 768}, {800, 128, 896}, {1000, 256, 1024}, {1, 1024, 1024}, {1024, 1024, 1024},
                {1, 2048, 0}, {1024, 4096, 0}, {64, 1L << 40, 0}};
            for (long[] c : cases) {
                assertEquals(c[2], h.core.blockSizeFor(c[0], c[1]), "size " + c[0] + " alignment " + c[1]);
                CoreHarness.Block b = h.allocate(c[0], c[1]);
                if (c[2] == 0) {
                    assertNull(b);
                } else {
                    assertEquals(c[2], b.blockSize());
                    assertEquals(0, b.address() % c[1], "alignment " + c[1]);
                    h.checkShape(b);
                }
            }
            h.checkCounts();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.core.allocate(100, 48, 0));
            assertTrue(e.getMessage().contains("48"), e.getMessage());
        }
    }

    @Test
    void sizesOutsideTheTierAreRefusedByName() {
        try (CoreHarness h = new CoreHarness()) {
            for (long size : new long[] {0, -1, 1025, Long.MIN_VALUE, Long.MAX_VALUE}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> h.core.allocate(size, 16, 0));
                assertTrue(e.getMessage().contains(Long.toString(size)), e.getMessage());
            }
            assertEquals(0, h.source.reservedBytes());
        }
    }

    @Test
    void errorsNameTheAddressAndTheReason() {
        try (CoreHarness h = new CoreHarness()) {
            CoreHarness.Block a = h.allocate(100, 16);     // 112-byte class
            CoreHarness.Block b = h.allocate(100, 16);
            InvalidAddressException interior = assertThrows(InvalidAddressException.class, () -> h.core.free(a.address() + 16));
            assertEquals(Reason.INTERIOR, interior.reason());
            assertTrue(interior.getMessage().contains(Long.toHexString(a.address() + 16)));
            assertTrue(interior.getMessage().contains("16 bytes into the 112-byte block at 0x" + Long.toHexString(a.address())),
                    interior.getMessage());
            h.free(h.live.indexOf(a));
            InvalidAddressException twice = assertThrows(InvalidAddressException.class, () -> h.core.free(a.address()));
            assertEquals(Reason.DOUBLE_FREE, twice.reason());
            assertTrue(twice.getMessage().contains("0x" + Long.toHexString(a.address())), twice.getMessage());
            assertEquals(Reason.DOUBLE_FREE,
                    assertThrows(InvalidAddressException.class, () -> h.core.usableSize(a.address())).reason());
            h.expectRejected(a.address(), Reason.DOUBLE_FREE);
            h.expectRejected(b.address() + 8, Reason.INTERIOR);
            h.expectRejected(0, Reason.UNKNOWN);
            h.expectRejected(b.address() + (2L << 20), Reason.UNKNOWN);          // the next chunk: not ours
            h.expectRejected((b.address() & -(2L << 20)) + (5L << 16), Reason.UNKNOWN); // a slot never carved
            long tail = (b.address() & -(long) Slab.SIZE) + (Slab.SIZE / 112) * 112L;
            InvalidAddressException inTail = assertThrows(InvalidAddressException.class, () -> h.core.free(tail));
            assertEquals(Reason.UNKNOWN, inTail.reason());
            assertTrue(inTail.getMessage().contains("unused tail"), inTail.getMessage());
            h.checkCounts();
        }
    }

    @Test
    void statsCountPerClass() {
        try (CoreHarness h = new CoreHarness()) {
            for (int i = 0; i < 10; i++) {
                h.allocate(5, 8);        // 8-byte class
            }
            for (int i = 0; i < 3; i++) {
                h.allocate(1000, 16);    // 1024-byte class
            }
            h.free(0);
            TierStats s = h.core.stats();
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
            h.checkCounts();
        }
    }

    @Test
    void slabsFillThenPartialSlabsAreReusedBeforeANewOne() {
        try (CoreHarness h = new CoreHarness()) {
            int perSlab = Slab.SIZE / 1024;
            List<CoreHarness.Block> first = new ArrayList<>();
            for (int i = 0; i < perSlab; i++) {
                first.add(h.allocate(1024, 16));
            }
            long firstSlab = h.core.slabBaseAt(first.get(0).address());
            assertTrue(first.stream().allMatch(b -> h.core.slabBaseAt(b.address()) == firstSlab));
            // A fresh slab hands blocks out in address order.
            for (int i = 0; i < perSlab; i++) {
                assertEquals(firstSlab + 1024L * i, first.get(i).address());
            }
            CoreHarness.Block next = h.allocate(1024, 16);
            long secondSlab = h.core.slabBaseAt(next.address());
            assertNotEquals(firstSlab, secondSlab);
            // Free two blocks of the (now full, not current) first slab; fill the second; the third slab is not taken.
            h.free(h.live.indexOf(first.get(3)));
            h.free(h.live.indexOf(first.get(7)));
            h.checkCounts();
            for (int i = 1; i < perSlab; i++) {
                h.allocate(1024, 16);
            }
            CoreHarness.Block reused1 = h.allocate(1024, 16);
            CoreHarness.Block reused2 = h.allocate(1024, 16);
            assertEquals(firstSlab, h.core.slabBaseAt(reused1.address()));
            assertEquals(firstSlab + 7 * 1024, reused1.address(), "most recently freed block first");
            assertEquals(firstSlab + 3 * 1024, reused2.address());
            assertEquals(2, h.core.slabCount());
            h.checkCounts();
            h.freeAll();
            h.checkCounts();
        }
    }

    @Test
    void emptySlabsBeyondTheRetainedOneGoBackAndTrimReleasesEverything() {
        try (CoreHarness h = new CoreHarness()) {
            int perSlab = Slab.SIZE / 1024;
            for (int i = 0; i < 4 * perSlab; i++) {
                h.allocate(1024, 16);
            }
            assertEquals(4, h.core.slabCount());
            h.freeAll();
            // The current slab and one retained empty slab stay; the other two went back to the chunk.
            assertEquals(1 + SizeClass.RETAIN, h.core.slabCount());
            assertEquals(h.core.slabCount(), h.core.emptySlabCount());
            assertEquals(1, h.core.chunkCount());
            h.checkCounts();
            h.core.trim();
            assertEquals(0, h.core.slabCount());
            assertEquals(0, h.core.chunkCount());
            assertEquals(0, h.source.reservedBytes());
            assertEquals(0, h.core.stats().reservedBytes());
            h.checkCounts();
            // The core keeps working after trim.
            CoreHarness.Block b = h.allocate(3, 8);
            assertEquals(8, b.blockSize());
            h.checkCounts();
        }
    }

    @Test
    void aChunkWhoseSlabsAreAllFreeIsReleasedWithoutTrim() {
        try (CoreHarness h = new CoreHarness()) {
            int perSlab = Slab.SIZE / 1024;
            List<CoreHarness.Block> blocks = new ArrayList<>();
            for (int i = 0; i < 34 * perSlab; i++) {
                blocks.add(h.allocate(1024, 16));
            }
            // Slabs 0..31 fill the first chunk; slab 32 and the current slab 33 lie in the second.
            assertEquals(2, h.core.chunkCount());
            long firstChunk = blocks.get(0).address() & -CoreHarness.CHUNK;
            assertNotEquals(firstChunk, blocks.get(32 * perSlab).address() & -CoreHarness.CHUNK);
            // Empty slab 32 first: it becomes the class's retained slab, so the first chunk's slabs all go back.
            for (int i = 32 * perSlab; i < 33 * perSlab; i++) {
                h.free(h.live.indexOf(blocks.get(i)));
            }
            for (int i = 0; i < 32 * perSlab; i++) {
                h.free(h.live.indexOf(blocks.get(i)));
                h.checkCounts();
            }
            assertEquals(1, h.core.chunkCount());
            assertEquals(CoreHarness.CHUNK, h.source.reservedBytes());
            assertEquals(null, h.source.attachment(firstChunk));
            assertEquals(2, h.core.slabCount());
            h.freeAll();
            h.core.trim();
            assertEquals(0, h.source.reservedBytes());
            h.checkCounts();
        }
    }

    @Test
    void chunksSharingARecentChunkEntryAreStillFound() {
        try (ChunkSource source = ChunkSource.standalone(1100 * CoreHarness.CHUNK)) {
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
            assertEquals(1024L * CoreHarness.CHUNK, (far & -CoreHarness.CHUNK) - (blocks.get(0) & -CoreHarness.CHUNK));
            core.checkInvariants();
            assertEquals(1024, core.usableSize(far));
            assertEquals(Reason.INTERIOR, assertThrows(InvalidAddressException.class, () -> core.free(far + 8)).reason());
            core.free(far);
            assertEquals(Reason.DOUBLE_FREE, assertThrows(InvalidAddressException.class, () -> core.free(far)).reason());
            for (long b : blocks) {
                core.free(b);
            }
            core.checkInvariants();
            core.trim();
            assertEquals(0, source.reservedBytes());
            core.close();
        }
    }

    @Test
    void runningOutOfChunksChangesNothing() {
        try (ChunkSource one = ChunkSource.standalone(CoreHarness.CHUNK)) {
            TinyCore core = new TinyCore(one);
            int perSlab = Slab.SIZE / 1024;
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < Chunk.SLABS * perSlab; i++) {
                blocks.add(core.allocate(1024, 16, 0));
            }
            String before = core.describeState();
            TierStats stats = core.stats();
            assertThrows(OutOfMemoryError.class, () -> core.allocate(1024, 16, 0));
            assertEquals(before, core.describeState());
            assertEquals(stats, core.stats());
            core.checkInvariants();
            core.free(blocks.get(100));
            assertEquals(blocks.get(100), core.allocate(1000, 16, 0));
            for (long b : blocks) {
                core.free(b);
            }
            core.checkInvariants();
            core.trim();
            assertEquals(0, one.reservedBytes());
            core.close();
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
            assertTrue(source.reservedBytes() >= 2 * CoreHarness.CHUNK);
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
        try (ChunkSource source = ChunkSource.standalone(CoreHarness.CHUNK)) {
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
