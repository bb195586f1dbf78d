package hakmem.l2;

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
 * Drives one {@link L2Core} over its own standalone chunk source next to a model of what must be live:
 * every block's address, requested size, alignment and fill pattern. The checks are separate methods
 * so each property asserts its own invariant after every operation.
 */
final class Harness implements AutoCloseable {

    /** The documented classes, written out again so the tests do not trust the core's table. */
    static final long[] CLASSES = {
        1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168,
        8192, 10240, 12288, 14336, 16384, 20480, 24576, 28672, 32768};

    /** Operations of a random sequence. {@code pick} selects among the live (or freed) blocks modulo their count. */
    sealed interface Op permits Alloc, Free, DoubleFree, Interior, Stray, Trim, Burst, Drain {
    }

    record Alloc(long size, int alignShift) implements Op {
    }

    record Free(int pick) implements Op {
    }

    record DoubleFree(int pick) implements Op {
    }

    record Interior(int pick, long delta) implements Op {
    }

    /** An address that was never handed out: outside every chunk, or {@code offset} bytes into a held chunk. */
    record Stray(boolean outside, long offset) implements Op {
    }

    record Trim() implements Op {
    }

    /** Allocates {@code count} blocks of {@code size}: fills runs of one class. */
    record Burst(long size, int count) implements Op {
    }

    /** Frees {@code count} live blocks in address order from the picked one: empties runs. */
    record Drain(int pick, int count) implements Op {
    }

    record Block(long address, long size, long alignment, int expectedClass, byte pattern) {
        long usable() {
            return CLASSES[expectedClass];
        }
    }

    final ChunkSource source = ChunkSource.standalone(256L << 20);
    final L2Core core;
    final TreeMap<Long, Block> live = new TreeMap<>();
    final List<Long> freed = new ArrayList<>();
    long allocations;
    long frees;
    final long[] classAllocations = new long[CLASSES.length];
    final long[] classFrees = new long[CLASSES.length];
    final long[] classBytes = new long[CLASSES.length];
    private int serial;

    Harness() {
        this(L2Core.DEFAULT_DIRTY);
    }

    /** A core keeping at least {@code dirtyFloor} bytes of free pages undiscarded. */
    Harness(long dirtyFloor) {
        core = new L2Core(source, dirtyFloor);
    }

    /** The smallest documented class holding {@code size} whose blocks are aligned to {@code alignment}, or -1. */
    static int expectedClass(long size, long alignment) {
        for (int c = 0; c < CLASSES.length; c++) {
            if (CLASSES[c] >= size && Long.lowestOneBit(CLASSES[c]) >= alignment) {
                return c;
            }
        }
        return -1;
    }

    /** Applies one operation to core and model and checks its immediate outcome. */
    void apply(Op op) {
        switch (op) {
            case Alloc a -> alloc(a.size(), 1L << a.alignShift());
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
                        : (live.firstKey() & -L2Core.CHUNK_SIZE) + Math.floorMod(s.offset(), L2Core.CHUNK_SIZE);
                if (!live.containsKey(address)) {
                    expectRejected(address, expectedReason(address));
                }
            }
            case Trim t -> core.trim();
            case Burst b -> {
                for (int k = 0; k < b.count(); k++) {
                    alloc(b.size(), 16);
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

    /** Allocates, checks the outcome's basic contract, fills the block. Returns the address or 0. */
    long alloc(long size, long alignment) {
        int expected = expectedClass(size, alignment);
        long address = core.allocate(size, alignment, 0);
        if (expected < 0) {
            assertEquals(0, address, "no class is aligned to " + alignment + ": must return 0");
            return 0;
        }
        assertNotEquals(0, address, "size " + size + " alignment " + alignment + " has class " + CLASSES[expected]);
        byte pattern = (byte) (++serial * 31 + 7);
        Block b = new Block(address, size, alignment, expected, pattern);
        assertTrue(live.put(address, b) == null, "address handed out twice: 0x" + Long.toHexString(address));
        freed.remove(address);
        allocations++;
        classAllocations[expected]++;
        classBytes[expected] += size;
        segment(b).fill(pattern);
        return address;
    }

    void free(long address) {
        Block b = live.remove(address);
        verifyContents(b);
        core.free(address);
        freed.add(address);
        frees++;
        classFrees[b.expectedClass()]++;
        classBytes[b.expectedClass()] -= b.size();
    }

    void freeAll() {
        for (Long address : new ArrayList<>(live.keySet())) {
            free(address);
        }
    }

    static MemorySegment segment(Block b) {
        return MemorySegment.ofAddress(b.address()).reinterpret(b.usable());
    }

    static void verifyContents(Block b) {
        MemorySegment s = segment(b);
        long word = 0x0101010101010101L * (b.pattern() & 0xFF);
        for (long off = 0; off < b.usable(); off += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, off) != word) {
                fail("block 0x" + Long.toHexString(b.address()) + " overwritten at +" + off);
            }
        }
    }

    /**
     * Why the core must reject {@code address}, which is not the start of a live block, computed from
     * the documented geometry and the model: inside a live block is INTERIOR; else in no run is
     * UNKNOWN; in a run, past its last block UNKNOWN, inside a (free) block INTERIOR, at a block start
     * DOUBLE_FREE.
     */
    Reason expectedReason(long address) {
        Map.Entry<Long, Block> below = live.floorEntry(address);
        if (below != null && address < below.getKey() + below.getValue().usable()) {
            return Reason.INTERIOR;
        }
        Run r = core.runOf(address);
        if (r == null) {
            return Reason.UNKNOWN;
        }
        long size = CLASSES[r.sizeClass];
        long capacity = Math.min(64, r.bytes() / size);
        long offset = address - r.base;
        if (offset / size >= capacity) {
            return Reason.UNKNOWN;
        }
        return offset % size == 0 ? Reason.DOUBLE_FREE : Reason.INTERIOR;
    }

    /** Free and usableSize of {@code address} both throw {@code reason}, naming the address, changing nothing. */
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

    /** 1: live blocks are disjoint, each inside a run of its class in one of this core's chunks, contents intact. */
    void checkPlacement() {
        long end = Long.MIN_VALUE;
        for (Block b : live.values()) {
            assertTrue(b.address() >= end, "blocks overlap at 0x" + Long.toHexString(b.address()));
            end = b.address() + b.usable();
            assertNotNull(source.attachment(b.address()), "block outside the core's chunks");
            Run r = core.runOf(b.address());
            assertNotNull(r, "block in no run");
            assertEquals(b.expectedClass(), r.sizeClass, "run class of block");
            assertEquals(0, (b.address() - r.base) % CLASSES[b.expectedClass()], "block start inside run");
            assertTrue(b.address() + b.usable() <= r.base + r.bytes(), "block past its run");
            assertEquals(b.address() & -L2Core.CHUNK_SIZE, r.base & -L2Core.CHUNK_SIZE, "run in another chunk");
        }
    }

    /** 2: every live block is aligned as asked (and to its class's lowest bit), and at least as large as asked. */
    void checkAlignmentAndSize() {
        for (Block b : live.values()) {
            assertEquals(0, b.address() & (b.alignment() - 1), "alignment " + b.alignment());
            assertEquals(0, b.address() & (Long.lowestOneBit(b.usable()) - 1), "class alignment");
            long usable = core.usableSize(b.address());
            assertTrue(usable >= b.size(), "usable " + usable + " < " + b.size());
            assertEquals(b.usable(), usable, "usable size is the documented class");
        }
    }

    /** 3: metadata consistent, and stats equal the model's counts, tier-wide and per class. */
    void checkCounts() {
        core.checkInvariants();
        TierStats s = core.stats();
        assertEquals("l2", s.tier());
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
