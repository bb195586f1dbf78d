package hakmem.tiny;

import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link TinyCore} on a standalone chunk source beside a model of its live blocks. Every operation
 * updates the model; checks that hold after any operation are methods the properties call.
 */
final class CoreHarness implements AutoCloseable {

    static final long CHUNK = 2L << 20;

    /** One block the model holds live. */
    record Block(long address, long size, long alignment, int blockSize, byte pattern) {
    }

    /** What a property can ask the harness to do. Picks are reduced modulo the live-block count. */
    sealed interface Op permits Alloc, Burst, Free, FreeMany, DoubleFree, Interior, Foreign, Trim {
    }

    /** {@code alignLog < 0}: the runtime's plain alignment (8 for size <= 8, else 16). */
    record Alloc(long size, int alignLog) implements Op {
    }

    record Burst(long size, int count) implements Op {
    }

    record Free(int pick) implements Op {
    }

    record FreeMany(int pick, int count) implements Op {
    }

    record DoubleFree(int pick) implements Op {
    }

    record Interior(int pick, int delta) implements Op {
    }

    /** kind 0: outside every chunk; 1: a free slot of a held chunk; 2: the unused tail of a slab. */
    record Foreign(int kind, int x) implements Op {
    }

    record Trim() implements Op {
    }

    final ChunkSource source = ChunkSource.standalone(1L << 30);
    final TinyCore core = new TinyCore(source);
    /** Live blocks by address (for overlap checks) and in a list (for O(1) random picks). */
    final TreeMap<Long, Block> byAddress = new TreeMap<>();
    final List<Block> live = new ArrayList<>();
    long allocations;
    long frees;
    long liveBytes;
    long handedBytes;
    /** The block the last allocation returned, null when it returned 0. */
    Block lastAllocated;
    private int patterns;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment offHeapForeign = arena.allocate(64, 16);

    static long plainAlignment(long size) {
        return size <= 8 ? 8 : 16;
    }

    void run(Op op) {
        lastAllocated = null;
        switch (op) {
            case Alloc a -> allocate(a.size(), a.alignLog() < 0 ? plainAlignment(a.size()) : 1L << a.alignLog());
            case Burst b -> {
                for (int i = 0; i < b.count(); i++) {
                    allocate(b.size(), plainAlignment(b.size()));
                }
            }
            case Free f -> {
                if (!live.isEmpty()) {
                    free(Math.floorMod(f.pick(), live.size()));
                }
            }
            case FreeMany f -> {
                for (int i = 0; i < f.count() && !live.isEmpty(); i++) {
                    free(Math.floorMod(f.pick() + i * 7919, live.size()));
                }
            }
            case DoubleFree d -> {
                if (!live.isEmpty()) {
                    long address = free(Math.floorMod(d.pick(), live.size())).address();
                    // The slab may have gone back to its chunk with that block: then the address is unknown.
                    Reason expected = core.slabBaseAt(address) != 0 ? Reason.DOUBLE_FREE : Reason.UNKNOWN;
                    expectRejected(address, expected);
                }
            }
            case Interior i -> {
                if (!live.isEmpty()) {
                    Block b = live.get(Math.floorMod(i.pick(), live.size()));
                    expectRejected(b.address() + 1 + Math.floorMod(i.delta(), b.blockSize() - 1), Reason.INTERIOR);
                }
            }
            case Foreign f -> foreign(f);
            case Trim t -> core.trim();
        }
    }

    Block allocate(long size, long alignment) {
        long address = core.allocate(size, alignment, 0);
        int expectedClass = core.blockSizeFor(size, alignment);
        if (address == 0) {
            check(expectedClass == 0, "allocate(" + size + ", " + alignment + ") returned 0 though class "
                    + expectedClass + " fits");
            return null;
        }
        int blockSize = (int) core.usableSize(address);
        byte pattern = (byte) (++patterns * 31 + 7);
        Block b = new Block(address, size, alignment, blockSize, pattern);
        check(byAddress.put(address, b) == null, "address 0x" + Long.toHexString(address) + " handed out twice");
        live.add(b);
        allocations++;
        liveBytes += size;
        handedBytes += blockSize;
        block(b).fill(pattern);
        lastAllocated = b;
        return b;
    }

    Block free(int index) {
        Block b = live.get(index);
        verifyContents(b);
        core.free(b.address());
        Block last = live.removeLast();
        if (index < live.size()) {
            live.set(index, last);
        }
        byAddress.remove(b.address());
        frees++;
        liveBytes -= b.size();
        handedBytes -= b.blockSize();
        return b;
    }

    void freeAll() {
        while (!live.isEmpty()) {
            free(live.size() - 1);
        }
    }

    private void foreign(Foreign f) {
        switch (Math.floorMod(f.kind(), 3)) {
            case 0 -> {
                long[] outside = {0, 8, -16, Long.MIN_VALUE, offHeapForeign.address(), 0x1000L * (f.x() & 0xFFFF)};
                long address = outside[Math.floorMod(f.x(), outside.length)];
                if (source.attachment(address) == null) {
                    expectRejected(address, Reason.UNKNOWN);
                }
            }
            case 1 -> {
                for (Block b : live) {
                    long chunk = b.address() & -CHUNK;
                    for (int slot = 0; slot < Chunk.SLABS; slot++) {
                        long slab = chunk + ((long) slot << Slab.SHIFT);
                        if (core.slabBaseAt(slab) == 0) {
                            expectRejected(slab + (Math.floorMod(f.x(), Slab.SIZE) & -8), Reason.UNKNOWN);
                            return;
                        }
                    }
                }
            }
            default -> {
                for (Block b : live) {
                    int capacity = Slab.SIZE / b.blockSize();
                    if (Slab.SIZE % b.blockSize() != 0) {
                        long tail = core.slabBaseAt(b.address()) + (long) capacity * b.blockSize();
                        expectRejected(tail + Math.floorMod(f.x(), Slab.SIZE - capacity * b.blockSize()), Reason.UNKNOWN);
                        return;
                    }
                }
            }
        }
    }

    /** free and usableSize of {@code address} throw with {@code reason}, name the address and change nothing. */
    void expectRejected(long address, Reason reason) {
        String before = core.describeState();
        TierStats statsBefore = core.stats();
        for (int call = 0; call < 2; call++) {
            try {
                if (call == 0) {
                    core.free(address);
                } else {
                    core.usableSize(address);
                }
                throw new AssertionError((call == 0 ? "free" : "usableSize") + "(0x" + Long.toHexString(address)
                        + ") accepted an address expected to be " + reason);
            } catch (InvalidAddressException e) {
                check(e.reason() == reason, "0x" + Long.toHexString(address) + ": " + e.reason() + " instead of "
                        + reason + ": " + e.getMessage());
                check(e.address() == address && e.getMessage().contains(Long.toHexString(address)),
                        "message does not name the address: " + e.getMessage());
            }
        }
        check(before.equals(core.describeState()), "a rejected address changed the core's metadata");
        check(statsBefore.equals(core.stats()), "a rejected address changed the stats");
    }

    @SuppressWarnings("restricted") // the tests run with --enable-native-access=hakmem.tiny (see the module's pom)
    MemorySegment block(Block b) {
        return MemorySegment.ofAddress(b.address()).reinterpret(b.size());
    }

    void verifyContents(Block b) {
        MemorySegment s = block(b);
        for (long i = 0; i < b.size(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != b.pattern()) {
                throw new AssertionError("block 0x" + Long.toHexString(b.address()) + " byte " + i
                        + " was overwritten: another block overlaps it");
            }
        }
    }

    // ------------------------------------------------------------------ checks

    /** Invariant 1 for the newest block: no overlap with its neighbours, inside one slab of its class. */
    void checkPlacement(Block b) {
        Map.Entry<Long, Block> below = byAddress.lowerEntry(b.address());
        Map.Entry<Long, Block> above = byAddress.higherEntry(b.address());
        check(below == null || below.getKey() + below.getValue().blockSize() <= b.address(),
                "block 0x" + Long.toHexString(b.address()) + " overlaps the block below it");
        check(above == null || b.address() + b.blockSize() <= above.getKey(),
                "block 0x" + Long.toHexString(b.address()) + " overlaps the block above it");
        check(source.attachment(b.address()) instanceof Chunk, "block outside the tier's chunks");
        long slab = core.slabBaseAt(b.address());
        check(slab != 0 && slab == (b.address() & -(long) Slab.SIZE) && b.address() + b.blockSize() <= slab + Slab.SIZE,
                "block not inside one slab");
        check(core.slabBlockSizeAt(b.address()) == b.blockSize() && b.blockSize() == core.blockSizeFor(b.size(), b.alignment()),
                "block in a slab of the wrong class");
        check((b.address() - slab) % b.blockSize() == 0, "block not on a block boundary of its slab");
    }

    /** Invariant 2 for the newest block: aligned as asked and as its class documents, large enough. */
    void checkShape(Block b) {
        check((b.address() & (b.alignment() - 1)) == 0, "block 0x" + Long.toHexString(b.address())
                + " not aligned to " + b.alignment());
        check((b.address() & (Integer.lowestOneBit(b.blockSize()) - 1)) == 0, "block not aligned to its class");
        check(core.usableSize(b.address()) >= b.size(), "usableSize below the size asked");
        int expected = 0;
        for (int size : SizeClass.BLOCK_SIZES) {
            if (size >= b.size() && Integer.lowestOneBit(size) >= b.alignment()) {
                expected = size;
                break;
            }
        }
        check(b.blockSize() == expected, "size " + b.size() + " at " + b.alignment() + " got a " + b.blockSize()
                + "-byte block, not the smallest fitting class " + expected);
    }

    /** Invariant 3: slab metadata consistent and the stats equal the model. */
    void checkCounts() {
        core.checkInvariants();
        TierStats s = core.stats();
        check(s.tier().equals("tiny"), "tier id");
        check(s.allocations() == allocations && s.frees() == frees && s.liveBlocks() == live.size()
                && s.liveBytes() == liveBytes && s.handedBytes() == handedBytes,
                "stats " + s + " != model allocations=" + allocations + " frees=" + frees + " live=" + live.size()
                        + " bytes=" + liveBytes + " handed=" + handedBytes);
        check(s.reservedBytes() == source.reservedBytes() && s.reservedBytes() == core.chunkCount() * CHUNK,
                "reserved bytes");
        long classAllocations = s.classes().stream().mapToLong(c -> c.allocations()).sum();
        long classLive = s.classes().stream().mapToLong(c -> c.liveBytes()).sum();
        check(classAllocations == allocations && classLive == liveBytes, "per-class stats do not add up");
    }

    static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    @Override
    public void close() {
        try {
            core.close();
            check(source.reservedBytes() == 0, "close() left chunks held");
        } finally {
            source.close();
            arena.close();
        }
    }
}
