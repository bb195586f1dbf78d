package hakmem.tiny;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;

import java.util.ArrayList;
import java.util.List;

/**
 * One single-threaded core of the tiny tier (requests of 1 B to 1 KiB).
 *
 * <p>Layout: memory comes in 2 MiB chunks aligned to their size; each chunk is 32 slabs of 64 KiB, and a
 * slab serves one {@link SizeClass} (block {@code i} at {@code slabBase + i * blockSize}, the tail after
 * the last whole block unused). From any address, the chunk number gives the {@link Chunk} (a small
 * direct-mapped table of held chunks, else {@link ChunkSource#attachment}), bits 16..20 of the address the
 * slab, and the low 16 bits divided by the block size (a multiply by a precomputed reciprocal) the block. Free blocks and the requested size of each live block (0: free)
 * live in Java arrays ({@link Slab}), never in the blocks, so a write after free cannot corrupt this
 * core, and every free is checked against them before anything changes.
 *
 * <p>Hot paths: {@link #allocate} is a table lookup of the class by {@code ceil(size / 8)}, a pop from the
 * current slab's index stack and a store of the size asked; {@link #free} is the chunk lookup, a multiply,
 * a test and clear of the size asked and a push. Everything else (the current slab running dry, a full slab
 * getting a free block, a slab emptying, errors, requests aligned beyond their class) is in separate methods.
 * Sizes and alignments are the runtime's to validate: the hot path checks only what keeps the tables in
 * bounds (a size of 1..1024), and alignments above a class's own only when they are powers of two.
 *
 * <p>Slab life: carved from a chunk's free slot for a class, it is the class's current slab, then full,
 * partial (in the class's partial list, reused before any new slab), and empty. An empty slab other than
 * the current one is retained by its class (up to {@link SizeClass#RETAIN}) or handed back to its chunk
 * with its pages discarded; a chunk whose 32 slots are all free is released to the source. {@link #trim}
 * hands back every empty slab, the current ones included.
 *
 * <p>The fields are package-private, not private, for the tests' structural check of this metadata
 * ({@code TinyInspector} in the tests, run by hakmem.tck's contract): the checks live with the tests,
 * this class carries none.
 */
final class TinyCore implements TierCore {

    static final String ID = "tiny";
    static final int MAX_SIZE = 1024;
    private static final int MAX_SIZE_SHIFT = 10;
    static final int RECENT_CHUNKS = 1024;

    final ChunkSource chunks;
    final SizeClass[] classes = new SizeClass[SizeClass.COUNT];
    /** The class of a plainly aligned request of {@code size} bytes, at index {@code (size + 7) >>> 3}. */
    final SizeClass[] bySize = new SizeClass[(MAX_SIZE >>> 3) + 1];
    /** Whether a slab is a whole number of OS pages (else empty slabs keep their pages). */
    private final boolean canDiscard;
    /**
     * Held chunks, direct-mapped by chunk number: free finds its chunk with one load and a compare instead
     * of the source's bounds, owner and attachment reads. A chunk whose entry another chunk already holds
     * is found through {@link ChunkSource#attachment}; a chunk leaves the table before it is released.
     */
    final Chunk[] recentChunks = new Chunk[RECENT_CHUNKS];

    /** All chunks held, doubly linked. */
    Chunk chunkList;
    /** Chunks with at least one free slot, doubly linked. */
    Chunk withFree;
    private boolean closed;

    TinyCore(ChunkSource chunks) {
        if (chunks.chunkSize() != Chunk.SIZE) {
            throw new IllegalArgumentException("the tiny tier needs chunks of " + Chunk.SIZE
                    + " bytes, the source has " + chunks.chunkSize());
        }
        this.chunks = chunks;
        this.canDiscard = Slab.SIZE % chunks.pageSize() == 0;
        for (int i = 0; i < SizeClass.COUNT; i++) {
            classes[i] = new SizeClass(i);
        }
        for (int i = 0; i < bySize.length; i++) {
            int size = Math.max(1, i << 3);
            int c = 0;
            while (SizeClass.BLOCK_SIZES[c] < size) {
                c++;
            }
            bySize[i] = classes[c];
        }
        for (SizeClass k : classes) {
            for (int log = 0; log < k.forAlignment.length; log++) {
                for (int j = k.index; j < SizeClass.COUNT; j++) {
                    if (classes[j].alignment >= 1 << log) {
                        k.forAlignment[log] = classes[j];
                        break;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- hot paths

    @Override
    public long allocate(long size, long alignment, int site) {
        if ((size - 1) >>> MAX_SIZE_SHIFT != 0) {
            throw badSize(size);
        }
        SizeClass k = bySize[(int) (size + 7) >>> 3];
        if (alignment > k.alignment) {
            k = alignedClass(k, alignment);
            if (k == null) {
                return 0;
            }
        }
        Slab s = k.current;
        int top = s.top - 1;
        if (top < 0) {
            return allocateSlow(k, size);
        }
        return take(k, s, top, size);
    }

    private static long take(SizeClass k, Slab s, int top, long size) {
        s.top = top;
        int i = s.freeStack[top];
        s.requested[i] = (char) size;
        k.allocations++;
        k.liveBytes += size;
        return s.base + (long) i * s.blockSize;
    }

    @Override
    public void free(long address) {
        Chunk c = recentChunks[(int) (address >>> Chunk.SHIFT) & (RECENT_CHUNKS - 1)];
        if (c == null || c.base != (address & -Chunk.SIZE)) {
            c = chunkOf(address);
        }
        Slab s = c.slabs[(int) (address >>> Slab.SHIFT) & (Chunk.SLABS - 1)];
        if (s == null) {
            throw unknown(address, "in a free slab of the tiny tier");
        }
        int offset = (int) address & (Slab.SIZE - 1);
        int i = (int) ((offset * s.magic) >>> 32);
        if (i * s.blockSize != offset || i >= s.capacity) {
            throw misplaced(s, address, offset, i);
        }
        int asked = s.requested[i];
        if (asked == 0) {
            throw doubleFree(s, address);
        }
        s.requested[i] = 0;
        int top = s.top;
        s.freeStack[top] = (char) i;
        s.top = ++top;
        SizeClass k = s.sizeClass;
        k.frees++;
        k.liveBytes -= asked;
        // First free block of a full slab, or last live block gone: the slab changes lists (not the current one).
        if ((top == 1 || top == s.capacity) && s.state != Slab.CURRENT) {
            slabChanged(s);
        }
    }

    @Override
    public long[] classSizes() {
        return java.util.Arrays.stream(SizeClass.BLOCK_SIZES).asLongStream().toArray();
    }

    @Override
    public long usableSize(long address) {
        return liveSlab(address).blockSize;
    }

    // ---------------------------------------------------------------- slow paths

    private long allocateSlow(SizeClass k, long size) {
        if (closed) {
            throw new IllegalStateException("this tiny tier core is closed");
        }
        Slab s = nextSlab(k);
        Slab old = k.current;
        if (old != k.none) {
            old.state = Slab.FULL; // it ran dry: out of every list until a block comes back
        }
        k.current = s;
        s.state = Slab.CURRENT;
        return take(k, s, s.top - 1, size);
    }

    /** A slab of class {@code k} with a free block, off its lists; changes nothing if acquiring a chunk fails. */
    private Slab nextSlab(SizeClass k) {
        Slab s = k.partial;
        if (s != null) {
            unlinkPartial(k, s);
            return s;
        }
        s = k.retained;
        if (s != null) {
            k.retained = s.next;
            s.next = null;
            k.retainedCount--;
            return s;
        }
        Chunk c = withFree;
        if (c == null) {
            c = newChunk();
        }
        int slot = Integer.numberOfTrailingZeros(c.freeSlots);
        s = new Slab(c, slot, k);
        c.slabs[slot] = s;
        c.freeSlots &= ~(1 << slot);
        if (c.freeSlots == 0) {
            unlinkWithFree(c);
        }
        k.slabs++;
        return s;
    }

    private Chunk chunkOf(long address) {
        Chunk c = (Chunk) chunks.attachment(address);
        if (c == null) {
            throw unknown(address, "not in a chunk of the tiny tier");
        }
        return c;
    }

    private Chunk newChunk() {
        Chunk c = new Chunk();
        c.base = chunks.acquire(c);
        int entry = (int) (c.base >>> Chunk.SHIFT) & (RECENT_CHUNKS - 1);
        if (recentChunks[entry] == null) {
            recentChunks[entry] = c;
        }
        c.next = chunkList;
        if (chunkList != null) {
            chunkList.prev = c;
        }
        chunkList = c;
        linkWithFree(c);
        return c;
    }

    /** Called from free when a slab other than the current one got its first free block or lost its last live one. */
    private void slabChanged(Slab s) {
        SizeClass k = s.sizeClass;
        if (s.top == s.capacity) {
            if (s.state == Slab.PARTIAL) {
                unlinkPartial(k, s);
            }
            if (k.retainedCount < SizeClass.RETAIN) {
                s.state = Slab.RETAINED;
                s.next = k.retained;
                k.retained = s;
                k.retainedCount++;
            } else {
                giveBack(s);
            }
        } else if (s.state == Slab.FULL) {
            s.state = Slab.PARTIAL;
            s.prev = null;
            s.next = k.partial;
            if (k.partial != null) {
                k.partial.prev = s;
            }
            k.partial = s;
        }
    }

    private static void unlinkPartial(SizeClass k, Slab s) {
        if (s.prev != null) {
            s.prev.next = s.next;
        } else {
            k.partial = s.next;
        }
        if (s.next != null) {
            s.next.prev = s.prev;
        }
        s.prev = null;
        s.next = null;
    }

    /** Returns an empty slab, already off its class's lists, to its chunk's free slots. */
    private void giveBack(Slab s) {
        Chunk c = s.chunk;
        int bit = 1 << s.slot;
        int before = c.freeSlots;
        boolean chunkEmpty = (before | bit) == Chunk.ALL_FREE;
        if (!chunkEmpty && canDiscard) {
            chunks.discard(s.base, Slab.SIZE);
        }
        c.slabs[s.slot] = null;
        c.freeSlots = before | bit;
        s.state = Slab.DETACHED;
        s.prev = null;
        s.next = null;
        s.sizeClass.slabs--;
        if (chunkEmpty) {
            releaseChunk(c);
        } else if (before == 0) {
            linkWithFree(c);
        }
    }

    private void releaseChunk(Chunk c) {
        if (c.inFreeList) {
            unlinkWithFree(c);
        }
        if (c.prev != null) {
            c.prev.next = c.next;
        } else {
            chunkList = c.next;
        }
        if (c.next != null) {
            c.next.prev = c.prev;
        }
        c.prev = null;
        c.next = null;
        int entry = (int) (c.base >>> Chunk.SHIFT) & (RECENT_CHUNKS - 1);
        if (recentChunks[entry] == c) {
            recentChunks[entry] = null;
        }
        chunks.release(c.base);
    }

    private void linkWithFree(Chunk c) {
        c.prevWithFree = null;
        c.nextWithFree = withFree;
        if (withFree != null) {
            withFree.prevWithFree = c;
        }
        withFree = c;
        c.inFreeList = true;
    }

    private void unlinkWithFree(Chunk c) {
        if (c.prevWithFree != null) {
            c.prevWithFree.nextWithFree = c.nextWithFree;
        } else {
            withFree = c.nextWithFree;
        }
        if (c.nextWithFree != null) {
            c.nextWithFree.prevWithFree = c.prevWithFree;
        }
        c.prevWithFree = null;
        c.nextWithFree = null;
        c.inFreeList = false;
    }

    /** The smallest class from {@code k} up whose blocks are aligned to {@code alignment}, or null. */
    static SizeClass alignedClass(SizeClass k, long alignment) {
        if ((alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        int log = Long.numberOfTrailingZeros(alignment);
        return log < k.forAlignment.length ? k.forAlignment[log] : null;
    }

    /** The slab holding the live block that starts at {@code address}; throws as free would, changing nothing. */
    private Slab liveSlab(long address) {
        Chunk c = chunkOf(address);
        Slab s = c.slabs[(int) (address >>> Slab.SHIFT) & (Chunk.SLABS - 1)];
        if (s == null) {
            throw unknown(address, "in a free slab of the tiny tier");
        }
        int offset = (int) address & (Slab.SIZE - 1);
        int i = (int) ((offset * s.magic) >>> 32);
        if (i * s.blockSize != offset || i >= s.capacity) {
            throw misplaced(s, address, offset, i);
        }
        if (s.requested[i] == 0) {
            throw doubleFree(s, address);
        }
        return s;
    }

    private static IllegalArgumentException badSize(long size) {
        return new IllegalArgumentException("the tiny tier serves 1 to " + MAX_SIZE + " bytes, not " + size);
    }

    private static InvalidAddressException unknown(long address, String detail) {
        return new InvalidAddressException(address, Reason.UNKNOWN, detail);
    }

    private static InvalidAddressException misplaced(Slab s, long address, int offset, int i) {
        if (i >= s.capacity) {
            return unknown(address, "in the unused tail of a slab of " + s.blockSize + "-byte blocks at 0x"
                    + Long.toHexString(s.base));
        }
        long start = s.base + (long) i * s.blockSize;
        return new InvalidAddressException(address, Reason.INTERIOR, (offset - i * s.blockSize) + " bytes into the "
                + s.blockSize + "-byte block at 0x" + Long.toHexString(start));
    }

    private static InvalidAddressException doubleFree(Slab s, long address) {
        return new InvalidAddressException(address, Reason.DOUBLE_FREE, "a free " + s.blockSize
                + "-byte block of the tiny tier");
    }

    // ---------------------------------------------------------------- maintenance and stats

    @Override
    public void trim() {
        for (SizeClass k : classes) {
            while (k.retained != null) {
                Slab s = k.retained;
                k.retained = s.next;
                s.next = null;
                k.retainedCount--;
                giveBack(s);
            }
            Slab cur = k.current;
            if (cur != k.none && cur.top == cur.capacity) {
                k.current = k.none;
                giveBack(cur);
            }
        }
    }

    @Override
    public TierStats stats() {
        List<ClassStats> perClass = new ArrayList<>(SizeClass.COUNT);
        long allocations = 0;
        long frees = 0;
        long liveBytes = 0;
        long handed = 0;
        for (SizeClass k : classes) {
            long live = k.liveBlocks();
            perClass.add(new ClassStats(k.blockSize, k.allocations, k.frees, live, k.liveBytes, k.slabs,
                    (long) k.slabs * Slab.SIZE));
            allocations += k.allocations;
            frees += k.frees;
            liveBytes += k.liveBytes;
            handed += live * k.blockSize;
        }
        return new TierStats(ID, allocations, frees, allocations - frees, liveBytes, handed, chunks.reservedBytes(), 0,
                freeBytes(), perClass);
    }

    /**
     * Bytes of held chunks not in a live block, from the chunks and slabs themselves (not from the
     * counters, so that stats can show the two agree): free slab slots, and in each slab its free blocks
     * and the tail past its last whole block.
     */
    private long freeBytes() {
        long free = 0;
        for (Chunk c = chunkList; c != null; c = c.next) {
            free += (long) Integer.bitCount(c.freeSlots) * Slab.SIZE;
            for (Slab s : c.slabs) {
                if (s != null) {
                    free += (long) s.top * s.blockSize + (Slab.SIZE - (long) s.capacity * s.blockSize);
                }
            }
        }
        return free;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        java.util.Arrays.fill(recentChunks, null);
        for (Chunk c = chunkList; c != null; ) {
            Chunk next = c.next;
            chunks.release(c.base);
            c = next;
        }
        chunkList = null;
        withFree = null;
        for (SizeClass k : classes) {
            k.current = k.none; // the next allocate goes to allocateSlow, which refuses
            k.partial = null;
            k.retained = null;
            k.retainedCount = 0;
            k.slabs = 0;
        }
    }
}
