package hakmem.api.runtime;

import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.DirtyPages;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DirtyPagesTest {

    private static final int SHIFT = 16;
    private static final long PAGE = 1L << SHIFT;

    private static MemorySegment chunk(long base) {
        return MemorySegment.ofAddress(base).reinterpret(2L << 20);
    }

    /** A chunk of {@code s} with every byte 1, so a discarded page reads 0. */
    private static long filled(ChunkSource s, String owner) {
        long c = s.acquire(owner);
        chunk(c).fill((byte) 1);
        return c;
    }

    @Test
    void pagesStayWithinTheBudgetAndTheOldestChunkGoesFirst() {
        try (ChunkSource s = ChunkSource.standalone(8L << 20)) {
            DirtyPages dirty = new DirtyPages(s, SHIFT, 3 * PAGE, 3);
            long a = filled(s, "a");
            long b = filled(s, "b");
            DirtyPages.Pages pa = new DirtyPages.Pages("a");
            DirtyPages.Pages pb = new DirtyPages.Pages("b");

            dirty.give(pa, a, 0b11, 0); // two pages kept
            assertEquals(2 * PAGE, dirty.bytes());
            dirty.give(pb, b, 0b1100, 0); // would make four: discarded at once, pages read zero
            assertEquals(2 * PAGE, dirty.bytes());
            assertEquals(0, chunk(b).get(ValueLayout.JAVA_BYTE, 2 * PAGE));
            assertEquals(1, chunk(a).get(ValueLayout.JAVA_BYTE, 0), "kept pages keep their contents");

            dirty.give(pb, b, 0b1, 0); // three: within the floor
            List<Object> order = new ArrayList<>();
            dirty.forEach(p -> order.add(p.owner()));
            assertEquals(List.of("a", "b"), order, "oldest first");

            dirty.take(pa, 0b1); // page 0 of a back in use
            assertEquals(0b10, pa.mask());
            assertEquals(2 * PAGE, dirty.bytes());

            DirtyPages.Pages pc = new DirtyPages.Pages("c");
            dirty.give(pc, b, 0b10000, 0); // three again: fits
            dirty.give(pc, b, 0b100000, 0); // past the floor: refused and discarded, nothing else moves
            assertEquals(3 * PAGE, dirty.bytes());
            dirty.give(pc, b, 0, 64 * PAGE); // a budget that grew with held bytes (64 >>> 3 = 8 pages)
            dirty.give(pc, b, 0b1000000, 64 * PAGE);
            assertEquals(4 * PAGE, dirty.bytes());
            dirty.give(pc, b, 0, 0); // held fell: back to three pages, the oldest chunk (a) discarded first
            assertEquals(0, pa.mask());
            assertEquals(0, chunk(a).get(ValueLayout.JAVA_BYTE, PAGE));

            dirty.forget(pb);
            dirty.discardAll();
            assertEquals(0, dirty.bytes());
            dirty.forEach(p -> {
                throw new AssertionError("nothing left: " + p.owner());
            });
        }
    }

    @Test
    void theShardsOfATierShareOneFloor() {
        long mib = 1L << 20;
        try (ChunkSpace space = ChunkSpace.reserve(8L << 20, Long.MAX_VALUE)) {
            AtomicLong tier = new AtomicLong();
            ChunkSpace.Source s1 = space.source(1, tier, 2);
            ChunkSpace.Source s2 = space.source(2, tier, 2);
            DirtyPages d1 = new DirtyPages(s1, SHIFT, 3 * mib, 3);
            DirtyPages d2 = new DirtyPages(s2, SHIFT, 3 * mib, 3);
            long a = filled(s1, "a");
            long b = filled(s2, "b");
            DirtyPages.Pages pa = new DirtyPages.Pages("a");
            DirtyPages.Pages pb = new DirtyPages.Pages("b");

            d1.give(pa, a, -1, 0); // a whole chunk, 2 MiB: more than a shard's share (1.5 MiB), within the tier's floor
            assertEquals(2 * mib, tier.get(), "a grain or more is told at once");
            d2.give(pb, b, -1, 0); // the tier would keep 4 MiB, and 2 MiB are more than a shard's share: discarded
            assertEquals(0, d2.bytes());
            assertEquals(0, chunk(b).get(ValueLayout.JAVA_BYTE, PAGE));
            d2.give(pb, b, 0xFFFF, 0); // 1 MiB: within this shard's share
            assertEquals(mib, d2.bytes());
            d2.give(pb, b, 0xFFFF_0000, 64 * mib); // past the floor but within this core's own held / 8
            assertEquals(2 * mib, d2.bytes());
            assertEquals(4 * mib, tier.get());

            d1.give(pa, a, 0, 0); // over the tier's floor and its share: the first shard gives its pages up
            assertEquals(0, d1.bytes());
            assertEquals(2 * mib, tier.get());
            assertEquals(0, chunk(a).get(ValueLayout.JAVA_BYTE, 0));
            d1.give(pa, a, 0xFF_FFFF, 0); // past the floor, as the second shard idles, but within a share (1.5 MiB)
            assertEquals(3 * mib / 2, d1.bytes());
            assertEquals(7 * mib / 2, tier.get());
            d2.take(pb, 0b1); // less than a grain: the tier's count waits
            assertEquals(7 * mib / 2, tier.get());
            d2.discardAll(); // a grain or more again: told
            assertEquals(3 * mib / 2, tier.get());
            d1.take(pa, 0xF_FFFF); // 1.25 MiB back in use: told
            assertEquals(mib / 4, tier.get());
            d1.give(pa, a, 0x100_0000, 0); // one page: less than a grain, not told yet
            assertEquals(mib / 4, tier.get());
            assertEquals(mib / 4 + PAGE, d1.bytes());
            d1.discardAll(); // settles what was not told: a core left idle claims nothing
            assertEquals(0, tier.get());
        }
    }

    @Test
    void badGeometryIsRefused() {
        try (ChunkSource s = ChunkSource.standalone(4L << 20)) {
            assertThrows(IllegalArgumentException.class, () -> new DirtyPages(s, SHIFT, -1, 3));
            assertThrows(IllegalArgumentException.class, () -> new DirtyPages(s, 12, 0, 3)); // 512 pages a chunk
        }
    }
}
