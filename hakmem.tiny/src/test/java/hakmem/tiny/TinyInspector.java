package hakmem.tiny;

import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.spi.TierCore;
import hakmem.tck.Inspector;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What the tests know about a {@link TinyCore}'s insides, for hakmem.tck's contract and the tiny-specific
 * tests: a walk of all its metadata that fails on the first inconsistency, the exact reason a bad address
 * must get, and the counts the tiny tests bound (chunks, slabs, empty slabs). Reads the core's
 * package-private fields; changes nothing.
 */
final class TinyInspector implements Inspector {

    static final TinyInspector INSTANCE = new TinyInspector();

    private TinyInspector() {
    }

    @Override
    public void check(TierCore core) {
        checkCore((TinyCore) core);
    }

    /**
     * From the geometry: outside the tier's chunks or in a free slot, UNKNOWN; in a slab, past its last
     * block UNKNOWN, inside a block INTERIOR, at a free block's start DOUBLE_FREE.
     */
    @Override
    public Reason reasonFor(TierCore core, long address) {
        Slab s = slabAt((TinyCore) core, address);
        if (s == null) {
            return Reason.UNKNOWN;
        }
        long offset = address - s.base;
        if (offset / s.blockSize >= s.capacity) {
            return Reason.UNKNOWN;
        }
        return offset % s.blockSize == 0 ? Reason.DOUBLE_FREE : Reason.INTERIOR;
    }

    /** The slab holding {@code address} (any address in a carved slab), or null. */
    static Slab slabAt(TinyCore core, long address) {
        Object a = core.chunks.attachment(address);
        return a instanceof Chunk c ? c.slabs[(int) (address >>> Slab.SHIFT) & (Chunk.SLABS - 1)] : null;
    }

    /** Base of the slab holding {@code address}, or 0. */
    static long slabBaseAt(TierCore core, long address) {
        Slab s = slabAt((TinyCore) core, address);
        return s == null ? 0 : s.base;
    }

    /** Block size of the class serving {@code size} bytes at {@code alignment}, or 0 when none can. */
    static int blockSizeFor(TierCore core, long size, long alignment) {
        SizeClass k = ((TinyCore) core).bySize[(int) (size + 7) >>> 3];
        if (alignment > k.alignment) {
            k = TinyCore.alignedClass(k, alignment);
        }
        return k == null ? 0 : k.blockSize;
    }

    static int chunkCount(TierCore core) {
        int n = 0;
        for (Chunk c = ((TinyCore) core).chunkList; c != null; c = c.next) {
            n++;
        }
        return n;
    }

    /** Slabs assigned to classes (current, partial, full, retained). */
    static int slabCount(TierCore core) {
        int n = 0;
        for (SizeClass k : ((TinyCore) core).classes) {
            n += k.slabs;
        }
        return n;
    }

    /** Empty slabs held (retained, or current with no live block). */
    static int emptySlabCount(TierCore core) {
        int n = 0;
        for (SizeClass k : ((TinyCore) core).classes) {
            n += k.retainedCount;
            if (k.current != k.none && k.current.top == k.current.capacity) {
                n++;
            }
        }
        return n;
    }

    /** Walks all metadata and throws {@link AssertionError} on the first inconsistency. */
    static void checkCore(TinyCore core) {
        Map<Slab, Boolean> seen = new IdentityHashMap<>();
        long[] liveBlocks = new long[SizeClass.COUNT];
        long[] liveBytes = new long[SizeClass.COUNT];
        int[] slabs = new int[SizeClass.COUNT];
        int n = 0;
        Chunk prev = null;
        for (Chunk c = core.chunkList; c != null; prev = c, c = c.next) {
            n++;
            check(c.prev == prev, "chunk list back link");
            check(core.chunks.attachment(c.base) == c && core.chunks.attachment(c.base + Chunk.SIZE - 1) == c,
                    "chunk 0x" + Long.toHexString(c.base) + " is not attached to its metadata");
            check(c.freeSlots != Chunk.ALL_FREE, "chunk with every slot free is still held");
            check(c.inFreeList == (c.freeSlots != 0), "chunk free-list membership disagrees with its free slots");
            for (int slot = 0; slot < Chunk.SLABS; slot++) {
                Slab s = c.slabs[slot];
                boolean free = (c.freeSlots & (1 << slot)) != 0;
                check(free == (s == null), "slot " + slot + " free bit disagrees with its slab");
                if (s != null) {
                    check(s.chunk == c && s.slot == slot && s.base == c.base + ((long) slot << Slab.SHIFT),
                            "slab placement");
                    seen.put(s, Boolean.TRUE);
                    checkSlab(s);
                    int k = s.sizeClass.index;
                    slabs[k]++;
                    liveBlocks[k] += s.capacity - s.top;
                    for (int i = 0; i < s.capacity; i++) {
                        liveBytes[k] += s.requested[i];
                    }
                }
            }
        }
        for (int entry = 0; entry < TinyCore.RECENT_CHUNKS; entry++) {
            Chunk c = core.recentChunks[entry];
            check(c == null || (core.chunks.attachment(c.base) == c
                            && (int) (c.base >>> Chunk.SHIFT) % TinyCore.RECENT_CHUNKS == entry),
                    "recent-chunk table entry " + entry + " holds a chunk not held or misplaced");
        }
        check(n * Chunk.SIZE == core.chunks.reservedBytes(), "reserved bytes != chunks held");
        int listed = 0;
        for (Chunk c = core.withFree, p = null; c != null; p = c, c = c.nextWithFree) {
            check(c.inFreeList && c.prevWithFree == p && c.freeSlots != 0, "free-slot chunk list");
            listed++;
        }
        int withFreeSlots = 0;
        for (Chunk c = core.chunkList; c != null; c = c.next) {
            withFreeSlots += c.inFreeList ? 1 : 0;
        }
        check(listed == withFreeSlots, "free-slot chunk list length");
        for (SizeClass k : core.classes) {
            String name = "class " + k.blockSize + ": ";
            check(k.none.capacity == 0 && k.none.top == 0, name + "placeholder slab changed");
            int states = 0;
            if (k.current != k.none) {
                check(seen.containsKey(k.current) && k.current.state == Slab.CURRENT && k.current.sizeClass == k,
                        name + "current slab");
                states++;
            }
            for (Slab s = k.partial, p = null; s != null; p = s, s = s.next) {
                check(seen.containsKey(s) && s.state == Slab.PARTIAL && s.sizeClass == k && s.prev == p
                        && s.top > 0 && s.top < s.capacity, name + "partial list");
                states++;
            }
            int retained = 0;
            for (Slab s = k.retained; s != null; s = s.next) {
                check(seen.containsKey(s) && s.state == Slab.RETAINED && s.sizeClass == k && s.top == s.capacity,
                        name + "retained list");
                retained++;
            }
            check(retained == k.retainedCount && retained <= SizeClass.RETAIN, name + "retained count");
            states += retained;
            int full = 0;
            for (Slab s : seen.keySet()) {
                if (s.sizeClass == k) {
                    check(s.state != Slab.DETACHED, name + "detached slab in a chunk");
                    if (s.state == Slab.FULL) {
                        check(s.top == 0, name + "full slab with free blocks outside the partial list");
                        full++;
                    }
                    if (s.state == Slab.CURRENT) {
                        check(s == k.current, name + "second current slab");
                    }
                }
            }
            check(states + full == slabs[k.index] && k.slabs == slabs[k.index], name + "slab count");
            check(k.liveBlocks() == liveBlocks[k.index], name + "live blocks " + k.liveBlocks() + " != "
                    + liveBlocks[k.index] + " in its slabs");
            check(k.liveBytes == liveBytes[k.index], name + "live bytes");
        }
    }

    private static void checkSlab(Slab s) {
        String name = "slab 0x" + Long.toHexString(s.base) + " (" + s.blockSize + " B): ";
        check(s.capacity == Slab.SIZE / s.blockSize && s.top >= 0 && s.top <= s.capacity, name + "top out of range");
        boolean[] free = new boolean[s.capacity];
        for (int j = 0; j < s.top; j++) {
            int i = s.freeStack[j];
            check(i < s.capacity, name + "free index out of range");
            check(!free[i], name + "block " + i + " twice in the free stack");
            free[i] = true;
            check(s.requested[i] == 0, name + "block " + i + " both free and live");
        }
        int live = 0;
        for (int i = 0; i < s.capacity; i++) {
            if (s.requested[i] != 0) {
                live++;
                check(s.requested[i] <= s.blockSize, name + "requested size of block " + i);
            }
        }
        check(live + s.top == s.capacity, name + "free + live != capacity");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError("tiny core invariant broken: " + what);
        }
    }
}
