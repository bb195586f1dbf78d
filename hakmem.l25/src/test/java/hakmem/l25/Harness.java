package hakmem.l25;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives one {@link L25Core} over its own standalone chunk source next to a model of the live blocks:
 * address, requested size, alignment, site, class and fill pattern. Blocks are stamped (a word at the
 * start of every 64 KiB page and at the end) rather than filled, to keep megabyte blocks quick.
 */
final class Harness implements AutoCloseable {

    static final long PAGE = 64 * 1024;
    static final long MAX = 1024 * 1024;
    /** The documented classes, written out again so the tests do not trust the core's table. */
    static final long[] CLASSES = {PAGE, 2 * PAGE, 4 * PAGE, 8 * PAGE, 16 * PAGE};

    sealed interface Op permits Alloc, Free, DoubleFree, Interior, Stray, Trim, Slack, Burst, Drain {
    }

    record Alloc(long size, int alignShift, int site) implements Op {
    }

    record Free(int pick) implements Op {
    }

    record DoubleFree(int pick) implements Op {
    }

    record Interior(int pick, long delta) implements Op {
    }

    /** An address never handed out: anywhere ({@code outside}) or {@code offset} bytes into a held chunk. */
    record Stray(boolean outside, long offset) implements Op {
    }

    record Trim() implements Op {
    }

    /** Sets the rounding slack W_MAX. */
    record Slack(double wMax) implements Op {
    }

    /** Allocates {@code count} blocks of {@code size} from {@code site}. */
    record Burst(long size, int count, int site) implements Op {
    }

    /** Frees {@code count} live blocks in address order from the picked one: empties chunks. */
    record Drain(int pick, int count) implements Op {
    }

    record Block(long address, long size, long alignment, int site, int sizeClass, long pattern) {
        long usable() {
            return CLASSES[sizeClass];
        }
    }

    final ChunkSource source = ChunkSource.standalone(1L << 30);
    final L25Core core;
    final TreeMap<Long, Block> live = new TreeMap<>();
    final List<Long> freed = new ArrayList<>();
    long allocations;
    long frees;
    final long[] classAllocations = new long[CLASSES.length];
    final long[] classFrees = new long[CLASSES.length];
    final long[] classBytes = new long[CLASSES.length];
    private long serial;

    Harness() {
        this(L25Core.DEFAULT_RETAINED);
    }

    /** Both budgets, cached blocks and dirty pages, set to {@code retained}. */
    Harness(long retained) {
        this(retained, retained);
    }

    Harness(long retained, long dirty) {
        core = new L25Core(source, retained, dirty);
    }

    /** Smallest documented class holding {@code size} whose blocks are {@code alignment}-aligned, or -1. */
    static int smallestClass(long size, long alignment) {
        for (int c = 0; c < CLASSES.length; c++) {
            if (CLASSES[c] >= size && CLASSES[c] >= alignment) {
                return c;
            }
        }
        return -1;
    }

    void apply(Op op) {
        switch (op) {
            case Alloc a -> alloc(a.size(), 1L << a.alignShift(), a.site());
            case Free f -> {
                if (!live.isEmpty()) {
                    free(pickLive(f.pick()).address());
                }
            }
            case DoubleFree d -> {
                if (!freed.isEmpty()) {
                    long address = freed.get(Math.floorMod(d.pick(), freed.size()));
                    if (!live.containsKey(address)) {
                        expectRejected(address, expectedReason(address));
                    }
                }
            }
            case Interior i -> {
                if (!live.isEmpty()) {
                    Block b = pickLive(i.pick());
                    long delta = 1 + Math.floorMod(i.delta(), b.usable() - 1);
                    expectRejected(b.address() + delta, Reason.INTERIOR);
                }
            }
            case Stray s -> {
                long address = s.outside() || live.isEmpty() ? s.offset()
                        : (live.firstKey() & -L25Core.CHUNK_SIZE) + Math.floorMod(s.offset(), L25Core.CHUNK_SIZE);
                if (!live.containsKey(address)) {
                    expectRejected(address, expectedReason(address));
                }
            }
            case Trim t -> core.trim();
            case Burst b -> {
                for (int k = 0; k < b.count(); k++) {
                    alloc(b.size(), 16, b.site());
                }
            }
            case Drain d -> {
                if (!live.isEmpty()) {
                    long from = pickLive(d.pick()).address();
                    List<Long> victims = new ArrayList<>(live.tailMap(from).keySet());
                    for (int k = 0; k < d.count() && k < victims.size(); k++) {
                        free(victims.get(k));
                    }
                }
            }
            case Slack w -> {
                core.roundingSlack(w.wMax());
                assertEquals(w.wMax(), core.roundingSlack());
            }
        }
    }

    Block pickLive(int pick) {
        int n = Math.floorMod(pick, live.size());
        for (Block b : live.values()) {
            if (n-- == 0) {
                return b;
            }
        }
        throw new AssertionError();
    }

    /**
     * Allocates and checks the outcome against the documented rule: the smallest class that holds the
     * size and the alignment, or a larger one only within the rounding slack; 0 above 1 MiB alignment.
     */
    long alloc(long size, long alignment, int site) {
        int smallest = smallestClass(size, alignment);
        long address = core.allocate(size, alignment, site);
        if (smallest < 0) {
            assertEquals(0, address, "no class is aligned to " + alignment + ": must return 0");
            return 0;
        }
        assertNotEquals(0, address, "size " + size + " alignment " + alignment);
        long usable = core.usableSize(address);
        int c = Long.numberOfTrailingZeros(usable / PAGE);
        assertEquals(CLASSES[c], usable, "usable size is a documented class");
        assertTrue(c >= smallest, "class " + usable + " too small for " + size + " aligned " + alignment);
        assertTrue(c == smallest || usable <= core.roundingSlack() * size,
                "class " + usable + " for " + size + " exceeds W_MAX " + core.roundingSlack());
        Block b = new Block(address, size, alignment, site, c, ++serial * 0x9E3779B97F4A7C15L);
        assertTrue(live.put(address, b) == null, "address handed out twice: 0x" + Long.toHexString(address));
        freed.remove(address);
        allocations++;
        classAllocations[c]++;
        classBytes[c] += size;
        stamp(b);
        return address;
    }

    void free(long address) {
        Block b = live.remove(address);
        verifyStamps(b);
        core.free(address);
        freed.add(address);
        frees++;
        classFrees[b.sizeClass()]++;
        classBytes[b.sizeClass()] -= b.size();
    }

    void freeAll() {
        for (Long address : new ArrayList<>(live.keySet())) {
            free(address);
        }
    }

    private static void stamp(Block b) {
        MemorySegment s = MemorySegment.ofAddress(b.address()).reinterpret(b.usable());
        for (long off = 0; off < b.usable(); off += PAGE) {
            s.set(ValueLayout.JAVA_LONG, off, b.pattern() + off);
        }
        s.set(ValueLayout.JAVA_LONG, b.usable() - 8, ~b.pattern());
    }

    static void verifyStamps(Block b) {
        MemorySegment s = MemorySegment.ofAddress(b.address()).reinterpret(b.usable());
        for (long off = 0; off < b.usable(); off += PAGE) {
            if (s.get(ValueLayout.JAVA_LONG, off) != b.pattern() + off) {
                fail("block 0x" + Long.toHexString(b.address()) + " overwritten at +" + off);
            }
        }
        if (s.get(ValueLayout.JAVA_LONG, b.usable() - 8) != ~b.pattern()) {
            fail("block 0x" + Long.toHexString(b.address()) + " overwritten at its end");
        }
    }

    /**
     * Why the core must reject {@code address}, which is not the start of a live block: inside a live
     * block INTERIOR; in no block (outside the core's chunks or on free pages) UNKNOWN; inside a cached
     * block INTERIOR, at its start DOUBLE_FREE.
     */
    Reason expectedReason(long address) {
        Map.Entry<Long, Block> below = live.floorEntry(address);
        if (below != null && address < below.getKey() + below.getValue().usable()) {
            return Reason.INTERIOR;
        }
        long block = core.blockAt(address);
        if (block == 0) {
            return Reason.UNKNOWN;
        }
        return block == address ? Reason.DOUBLE_FREE : Reason.INTERIOR;
    }

    void expectRejected(long address, Reason reason) {
        String before = core.describe();
        TierStats statsBefore = core.stats();
        var e = assertThrows(InvalidAddressException.class, () -> core.free(address));
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(address, e.address());
        assertTrue(e.getMessage().contains(Long.toHexString(address)), e.getMessage());
        var u = assertThrows(InvalidAddressException.class, () -> core.usableSize(address));
        assertEquals(reason, u.reason(), u.getMessage());
        assertEquals(before, core.describe(), "core changed by a rejected free of 0x" + Long.toHexString(address));
        assertEquals(statsBefore, core.stats());
    }

    // ------------------------------------------------------------ invariant checks

    /** 1: live blocks are disjoint, each a whole block of its class in one of this core's chunks, stamps intact. */
    void checkPlacement() {
        long end = Long.MIN_VALUE;
        for (Block b : live.values()) {
            assertTrue(b.address() >= end, "blocks overlap at 0x" + Long.toHexString(b.address()));
            end = b.address() + b.usable();
            assertNotNull(source.attachment(b.address()), "block outside the core's chunks");
            assertEquals(b.address() & -L25Core.CHUNK_SIZE, (end - 1) & -L25Core.CHUNK_SIZE, "block crosses chunks");
            for (long off = 0; off < b.usable(); off += PAGE) {
                assertEquals(b.address(), core.blockAt(b.address() + off), "page of the block");
                assertEquals(b.sizeClass(), core.classAt(b.address() + off), "class of the block's pages");
            }
            assertEquals(b.site() & (L25Core.SHARDS - 1), core.shardOf(b.address()), "shard of the site");
            verifyStamps(b);
        }
    }

    /** 2: blocks are naturally aligned (so aligned as asked) and at least as large as asked. */
    void checkAlignmentAndSize() {
        for (Block b : live.values()) {
            assertEquals(0, b.address() & (b.alignment() - 1), "alignment " + b.alignment());
            assertEquals(0, b.address() & (b.usable() - 1), "natural alignment");
            long usable = core.usableSize(b.address());
            assertTrue(usable >= b.size(), "usable " + usable + " < " + b.size());
            assertEquals(b.usable(), usable);
        }
    }

    /** 3: metadata consistent; stats equal the model's counts, tier-wide and per class. */
    void checkCounts() {
        core.checkInvariants();
        TierStats s = core.stats();
        assertEquals("l25", s.tier());
        assertEquals(allocations, s.allocations());
        assertEquals(frees, s.frees());
        assertEquals(live.size(), s.liveBlocks());
        assertEquals(live.values().stream().mapToLong(Block::size).sum(), s.liveBytes());
        assertEquals(live.values().stream().mapToLong(Block::usable).sum(), s.handedBytes());
        assertEquals(source.reservedBytes(), s.reservedBytes());
        assertEquals(CLASSES.length, s.classes().size());
        for (int c = 0; c < CLASSES.length; c++) {
            ClassStats cs = s.classes().get(c);
            assertEquals(CLASSES[c], cs.blockSize());
            assertEquals(classAllocations[c], cs.allocations());
            assertEquals(classFrees[c], cs.frees());
            assertEquals(classAllocations[c] - classFrees[c], cs.liveBlocks());
            assertEquals(classBytes[c], cs.liveBytes());
            assertTrue(cs.slabs() >= cs.liveBlocks() && cs.reservedBytes() == cs.slabs() * CLASSES[c]);
        }
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
