package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random operation sequences against a simple model of live blocks, with and without tiers:
 * live blocks never overlap, are as large and aligned as asked, keep their contents (each is filled
 * with a byte of its own and checked before it is freed or moved), calloc memory is zero, double and
 * foreign frees are detected and change nothing, and stats() count what the model counts.
 */
class AllocatorProperties {

    sealed interface Op permits Alloc, Free, Realloc, DoubleFree, InteriorFree {
    }

    /** {@code alignment} 0 means plain malloc/calloc. */
    record Alloc(long size, long alignment, boolean zero) implements Op {
    }

    record Free(int pick) implements Op {
    }

    record Realloc(int pick, long size) implements Op {
    }

    record DoubleFree(int pick) implements Op {
    }

    record InteriorFree(int pick) implements Op {
    }

    record Block(long address, long size, long alignment, byte fill) {
    }

    @Property
    void withoutTiers(@ForAll("ops") @Size(max = 60) List<Op> ops) {
        try (Allocator a = Hakmem.builder().tiers().learning(false).build()) {
            run(a, ops);
        }
    }

    @Property
    void lockedWithAllTiers(@ForAll("ops") @Size(max = 120) List<Op> ops) {
        try (Allocator a = Hakmem.builder().concurrency(hakmem.api.Concurrency.LOCKED).learning(false).build()) {
            run(a, ops);
        }
    }

    @Property
    void sharded(@ForAll("ops") @Size(max = 120) List<Op> ops) {
        try (Allocator a = Hakmem.builder().concurrency(hakmem.api.Concurrency.SHARDED).shards(2).learning(false).build()) {
            run(a, ops);
        }
    }

    @Property
    void threadCaches(@ForAll("ops") @Size(max = 120) List<Op> ops) {
        try (Allocator a = Hakmem.builder().concurrency(hakmem.api.Concurrency.TLS).shards(2).learning(false).build()) {
            run(a, ops);
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Long> sized = Arbitraries.oneOf(
                Arbitraries.longs().between(1, 1024),
                Arbitraries.longs().between(1, 1024),
                Arbitraries.longs().between(1, 1024),
                Arbitraries.longs().between(1025, 32 << 10),
                Arbitraries.longs().between((32 << 10) + 1, 1 << 20),
                Arbitraries.longs().between((1 << 20) + 1, 3 << 20),
                Arbitraries.just(0L));
        Arbitrary<Long> alignments = Arbitraries.of(0L, 0L, 0L, 1L, 8L, 16L, 64L, 256L, 4096L, 65536L);
        Arbitrary<Op> alloc = Combinators.combine(sized, alignments, Arbitraries.of(false, false, true)).as(Alloc::new);
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1000);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, alloc),
                net.jqwik.api.Tuple.of(4, pick.map(Free::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(pick, sized).as(Realloc::new)),
                net.jqwik.api.Tuple.of(1, pick.map(DoubleFree::new)),
                net.jqwik.api.Tuple.of(1, pick.map(InteriorFree::new)));
        return op.list();
    }

    static void run(Allocator a, List<Op> ops) {
        List<Block> live = new ArrayList<>();
        List<Long> freed = new ArrayList<>();
        long allocations = 0, frees = 0;
        byte next = 1;
        for (Op op : ops) {
            switch (op) {
                case Alloc(long size, long alignment, boolean zero) -> {
                    long p;
                    if (alignment == 0) {
                        p = zero ? a.calloc(size) : a.malloc(size);
                    } else {
                        MemorySegment s = a.allocate(size, alignment);
                        assertEquals(size, s.byteSize());
                        p = s.address();
                    }
                    long wantAlign = alignment != 0 ? alignment : (size <= 8 ? 8 : 16);
                    assertEquals(0, p % wantAlign, "alignment of " + op);
                    assertTrue(a.usableSize(p) >= size, "usable size of " + op);
                    if (zero && alignment == 0) {
                        assertZero(p, size);
                    }
                    Block b = new Block(p, Math.max(size, 1), wantAlign, next++);
                    fill(b);
                    live.add(b);
                    freed.remove(p);
                    allocations++;
                }
                case Free(int pick) -> {
                    if (live.isEmpty()) {
                        continue;
                    }
                    Block b = live.remove(pick % live.size());
                    check(b);
                    a.free(b.address());
                    freed.add(b.address());
                    frees++;
                }
                case Realloc(int pick, long size) -> {
                    if (live.isEmpty()) {
                        continue;
                    }
                    Block b = live.remove(pick % live.size());
                    check(b);
                    long q = a.realloc(b.address(), size);
                    Block moved = new Block(q, Math.max(size, 1), 16, b.fill());
                    long kept = Math.min(b.size(), moved.size());
                    assertEquals(-1, seg(q, kept).mismatch(pattern(kept, b.fill())), "contents survive " + op);
                    fill(moved);
                    live.add(moved);
                    freed.add(b.address());
                    freed.remove(q);
                    allocations++;
                    frees++;
                }
                case DoubleFree(int pick) -> {
                    if (freed.isEmpty()) {
                        continue;
                    }
                    long p = freed.get(pick % freed.size());
                    AllocatorStats before = a.stats();
                    var e = assertThrows(InvalidAddressException.class, () -> a.free(p));
                    assertTrue(e.getMessage().contains(Long.toHexString(p)));
                    assertEquals(before, a.stats(), "a rejected free changes nothing");
                }
                case InteriorFree(int pick) -> {
                    if (live.isEmpty()) {
                        continue;
                    }
                    Block b = live.get(pick % live.size());
                    if (b.size() < 2) {
                        continue;
                    }
                    long inside = b.address() + 1 + (pick % (b.size() - 1));
                    AllocatorStats before = a.stats();
                    var e = assertThrows(InvalidAddressException.class, () -> a.free(inside));
                    assertEquals(InvalidAddressException.Reason.INTERIOR, e.reason(), op + " in " + b);
                    assertEquals(before, a.stats(), "a rejected free changes nothing");
                }
            }
            assertNoOverlap(live);
        }
        AllocatorStats s = a.stats();
        assertEquals(allocations, s.allocations(), "allocations");
        assertEquals(frees, s.frees(), "frees");
        assertEquals(live.size(), s.liveBlocks(), "live blocks");
        for (Block b : live) {
            check(b);
            a.free(b.address());
        }
        a.trim();
        assertEquals(0, a.stats().liveBlocks());
        assertEquals(0, a.stats().reservedBytes(), "everything returned after trim");
    }

    private static void assertNoOverlap(List<Block> live) {
        TreeMap<Long, Block> byAddress = new TreeMap<>(Long::compareUnsigned);
        for (Block b : live) {
            byAddress.put(b.address(), b);
        }
        assertEquals(live.size(), byAddress.size(), "two live blocks share an address");
        Block prev = null;
        for (Block b : byAddress.values()) {
            if (prev != null) {
                assertTrue(Long.compareUnsigned(prev.address() + prev.size(), b.address()) <= 0, prev + " overlaps " + b);
            }
            prev = b;
        }
    }

    private static MemorySegment seg(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    private static MemorySegment pattern(long size, byte fill) {
        byte[] bytes = new byte[(int) size];
        java.util.Arrays.fill(bytes, fill);
        return MemorySegment.ofArray(bytes);
    }

    private static void fill(Block b) {
        seg(b.address(), b.size()).fill(b.fill());
    }

    private static void check(Block b) {
        assertEquals(-1, seg(b.address(), b.size()).mismatch(pattern(b.size(), b.fill())), "contents of " + b);
    }

    private static void assertZero(long p, long size) {
        MemorySegment s = seg(p, Math.max(size, 1));
        for (long i = 0; i + 8 <= size; i += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                throw new AssertionError("calloc memory not zero at " + i);
            }
        }
        for (long i = size & ~7L; i < size; i++) {
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i));
        }
    }
}
