package hakmem.api.runtime;

import hakmem.api.spi.ChunkSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkSpaceTest {

    @Test
    void chunksAreAlignedZeroedAndFoundByAnyInteriorAddress() {
        try (ChunkSpace space = ChunkSpace.reserve(8 * ChunkSpace.CHUNK_SIZE, Long.MAX_VALUE)) {
            ChunkSpace.Source a = space.source(1, new java.util.concurrent.atomic.AtomicLong(), 1);
            ChunkSpace.Source b = space.source(2, new java.util.concurrent.atomic.AtomicLong(), 1);
            Object metaA = new Object();
            Object metaB = new Object();
            long ca = a.acquire(metaA);
            long cb = b.acquire(metaB);
            assertEquals(0, ca & (ChunkSpace.CHUNK_SIZE - 1));
            assertEquals(0, cb & (ChunkSpace.CHUNK_SIZE - 1));
            MemorySegment seg = MemorySegment.ofAddress(ca).reinterpret(ChunkSpace.CHUNK_SIZE);
            for (long off = 0; off < ChunkSpace.CHUNK_SIZE; off += 4096) {
                assertEquals(0, seg.get(java.lang.foreign.ValueLayout.JAVA_LONG, off));
            }
            seg.fill((byte) 7);
            assertSame(metaA, a.attachment(ca + 12345));
            assertNull(b.attachment(ca + 12345), "another owner's chunk is not b's");
            assertEquals(1, space.ownerOf(ca + ChunkSpace.CHUNK_SIZE - 1));
            assertEquals(2, space.ownerOf(cb));
            assertEquals(ChunkSpace.NONE, space.ownerOf(0x1000));
            assertEquals(ChunkSpace.NONE, space.ownerOf(-1L));
            assertEquals(2 * ChunkSpace.CHUNK_SIZE, space.budget().reserved());

            a.release(ca);
            assertNull(a.attachment(ca));
            assertEquals(ChunkSpace.NONE, space.ownerOf(ca));
            long again = a.acquire(metaA);
            assertEquals(ca, again, "released chunks are reused first");
            assertEquals(0, MemorySegment.ofAddress(again).reinterpret(16).get(java.lang.foreign.ValueLayout.JAVA_LONG, 8),
                    "a reused chunk is zero again");
            assertThrows(IllegalArgumentException.class, () -> b.release(again), "b cannot release a's chunk");
        }
    }

    @Test
    void limitAndCapacityGiveOutOfMemoryErrorAndChangeNothing() {
        try (ChunkSpace space = ChunkSpace.reserve(2 * ChunkSpace.CHUNK_SIZE, 3 * ChunkSpace.CHUNK_SIZE)) {
            ChunkSpace.Source s = space.source(1, new java.util.concurrent.atomic.AtomicLong(), 1);
            s.acquire("x");
            s.acquire("y");
            OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> s.acquire("z"));
            assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
            assertEquals(2 * ChunkSpace.CHUNK_SIZE, s.reservedBytes());
        }
        try (ChunkSpace space = ChunkSpace.reserve(4 * ChunkSpace.CHUNK_SIZE, ChunkSpace.CHUNK_SIZE)) {
            ChunkSpace.Source s = space.source(1, new java.util.concurrent.atomic.AtomicLong(), 1);
            long c = s.acquire("x");
            OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> s.acquire("y"));
            assertTrue(e.getMessage().contains("memory limit"), e.getMessage());
            s.release(c);
            s.acquire("y");
        }
    }

    @Test
    void standaloneSourceReleasesEverythingOnClose() {
        ChunkSource s = ChunkSource.standalone(16L << 20);
        long c1 = s.acquire("a");
        long c2 = s.acquire("b");
        s.discard(c1, s.pageSize() * 2);
        assertThrows(IllegalArgumentException.class, () -> s.discard(c1 + 1, s.pageSize()));
        assertThrows(IllegalArgumentException.class, () -> s.discard(0x10000, s.pageSize()));
        assertEquals(2 * s.chunkSize(), s.reservedBytes());
        assertSame("b", s.attachment(c2 + 5));
        s.close();
        assertEquals(0, s.reservedBytes());
    }
}
