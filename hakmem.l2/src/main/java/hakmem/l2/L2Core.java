package hakmem.l2;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.DirtyPages;
import hakmem.api.spi.TierCore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One single-threaded core of the mid tier.
 *
 * <p>Layout: memory comes in 2 MiB chunks, each cut into 32 pages of 64 KiB. A run is 1 to 5
 * consecutive pages of one chunk serving one {@link SizeClass} (up to 64 blocks). All metadata is on
 * the Java heap: {@link Chunk} maps each page to its {@link Run}, a run keeps its free set as one
 * {@code long} and the requested size of each live block in an {@code int[]}; user memory holds no
 * allocator state, so a write after free cannot corrupt the core.
 *
 * <p>Per class: a current run that allocations take the lowest free block of, a doubly linked list of
 * partial runs that becomes current when the current run fills, and one spare empty run (within a
 * {@link #RETAIN_LIMIT} of 1 MiB for all spares) so a class oscillating around a run boundary keeps
 * its run. Other runs that become empty go back to their chunk; their pages stay undiscarded ("dirty",
 * reused by the next run carved there without page faults) while the tier's cores together keep at
 * most {@link #DEFAULT_DIRTY} bytes (one floor for all the shards) or this core keeps at most
 * {@code held / 8}, {@code held} being the bytes of its runs, and are discarded (madvise) past that, the
 * chunks dirtied longest ago first when the allowance shrinks; see {@link hakmem.api.spi.DirtyPages}. A chunk with no run left is released, except one kept as
 * a spare against unmapping a chunk only to map the next. {@link #trim()} also drops the spare runs,
 * empty current runs and the spare chunk and discards every dirty page, so a core with no live block
 * then holds no chunk.
 *
 * <p>Fast paths: allocate is a table lookup, a {@code numberOfTrailingZeros} and a mask update; free
 * is a chunk lookup, a page lookup, a multiply-shift for the block index and a mask update. Run
 * changes (full, partial, empty) and errors go through the {@code ...Slow} methods.
 *
 * <p>The fields are package-private, not private, for the tests' structural check of this metadata
 * ({@code L2Inspector} in the tests, run by hakmem.tck's contract): the checks live with the tests,
 * this class carries none.
 */
final class L2Core implements TierCore {

    static final long CHUNK_SIZE = 2L << 20;
    /** Most bytes of empty spare runs kept across all classes. */
    static final long RETAIN_LIMIT = 1L << 20;
    /** Bytes of free pages the tier's cores (its shards) keep undiscarded together however little they hold. */
    static final long DEFAULT_DIRTY = 16L << 20;
    /** The dirty budget grows as held bytes >>> this. */
    static final int DIRTY_RATIO_SHIFT = 3;

    final ChunkSource chunks;
    final Run[] current = new Run[SizeClass.COUNT];
    final Run[] partial = new Run[SizeClass.COUNT];
    final Run[] spare = new Run[SizeClass.COUNT];
    long retainedBytes;

    final long[] allocations = new long[SizeClass.COUNT];
    final long[] frees = new long[SizeClass.COUNT];
    final long[] liveBytes = new long[SizeClass.COUNT];
    final long[] runs = new long[SizeClass.COUNT];

    /** Free pages of released runs kept undiscarded, oldest chunk discarded first. */
    final DirtyPages dirty;
    /** Bytes of all runs held. */
    long heldBytes;

    Chunk[] chunkList = new Chunk[4];
    int chunkCount;
    /** A chunk with no run kept mapped, against unmapping one chunk and mapping the next; or null. */
    Chunk spareChunk;
    private boolean closed;

    L2Core(ChunkSource chunks) {
        this(chunks, DEFAULT_DIRTY);
    }

    /** @param dirtyFloor bytes of free pages the tier's cores together keep undiscarded however little they hold */
    L2Core(ChunkSource chunks, long dirtyFloor) {
        if (chunks.chunkSize() != CHUNK_SIZE) {
            throw new IllegalArgumentException("l2 needs chunks of " + CHUNK_SIZE + " bytes, not " + chunks.chunkSize());
        }
        this.chunks = chunks;
        this.dirty = new DirtyPages(chunks, SizeClass.PAGE_SHIFT, dirtyFloor, DIRTY_RATIO_SHIFT);
    }

    // ---------------------------------------------------------------- allocate

    @Override
    public long allocate(long size, long alignment, int site) {
        if (size < 1 || size > SizeClass.MAX_SIZE) {
            throw new IllegalArgumentException("l2 serves sizes 1.." + SizeClass.MAX_SIZE + ": " + size);
        }
        int c = SizeClass.of(size);
        if (alignment - 1 >= SizeClass.MIN_ALIGNMENT || alignment < 1 || (alignment & (alignment - 1)) != 0) {
            c = alignedClassSlow(c, alignment);
            if (c < 0) {
                return 0;
            }
        }
        Run r = current[c];
        if (r != null && r.freeMask != 0) {
            return take(r, c, size);
        }
        return allocateSlow(c, size);
    }

    /** Hands out the lowest free block of {@code r} (which has one) for a request of {@code size} bytes. */
    private long take(Run r, int c, long size) {
        long free = r.freeMask;
        int i = Long.numberOfTrailingZeros(free);
        r.freeMask = free & (free - 1);
        r.requested[i] = (int) size;
        allocations[c]++;
        liveBytes[c] += size;
        return r.base + (long) i * r.blockSize;
    }

    private static int alignedClassSlow(int c, long alignment) {
        if (alignment < 1 || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        return SizeClass.aligned(c, alignment);
    }

    /** The current run is missing or full: take a partial run, else the spare, else carve a new run. */
    private long allocateSlow(int c, long size) {
        if (closed) {
            throw new IllegalStateException("l2 core is closed");
        }
        Run r = partial[c];
        if (r != null) {
            unlinkPartial(r);
        } else if (spare[c] != null) {
            r = spare[c];
            spare[c] = null;
            retainedBytes -= r.bytes();
        } else {
            r = newRun(c); // the only step that can fail (OutOfMemoryError), before any change
        }
        current[c] = r; // a full former current run lives on no list until one of its blocks is freed
        return take(r, c, size);
    }

    /** Carves a run of class {@code c} from the first chunk with room (first fit), else the spare chunk, else a new one. */
    private Run newRun(int c) {
        int pages = SizeClass.RUN_PAGES[c];
        for (int k = 0; k < chunkCount; k++) {
            Chunk ch = chunkList[k];
            int p = ch.used == -1 || ch == spareChunk ? -1 : ch.findFree(pages);
            if (p >= 0) {
                return carve(ch, p, c);
            }
        }
        if (spareChunk != null) {
            return carve(spareChunk, 0, c);
        }
        Chunk ch = new Chunk(this);
        ch.base = chunks.acquire(ch);
        if (chunkCount == chunkList.length) {
            chunkList = Arrays.copyOf(chunkList, chunkCount * 2);
        }
        ch.index = chunkCount;
        chunkList[chunkCount++] = ch;
        return carve(ch, 0, c);
    }

    private Run carve(Chunk ch, int firstPage, int c) {
        Run r = new Run(ch, firstPage, c);
        int mask = r.pageMask();
        if (ch == spareChunk) {
            spareChunk = null;
        }
        dirty.take(ch.dirty, mask);
        heldBytes += r.bytes();
        ch.used |= mask;
        for (int p = firstPage; p < firstPage + r.pages; p++) {
            ch.runs[p] = r;
        }
        runs[c]++;
        return r;
    }

    // ---------------------------------------------------------------- free

    @Override
    public void free(long address) {
        Run r = runOf(address);
        int i = liveIndex(r, address);
        if (i < 0) {
            throw invalidSlow(address);
        }
        long before = r.freeMask;
        long after = before | (1L << i);
        r.freeMask = after;
        int c = r.sizeClass;
        frees[c]++;
        liveBytes[c] -= r.requested[i];
        if (before == 0 || after == r.fullMask) {
            freeSlow(r, before);
        }
    }

    /**
     * The index of the live block that starts at {@code address} in run {@code r} (null: none), or -1.
     * The index comes from a multiply by the run's reciprocal of its block size, not a division.
     */
    private static int liveIndex(Run r, long address) {
        if (r == null) {
            return -1;
        }
        long offset = address - r.base;
        int i = (int) ((offset * r.reciprocal) >>> SizeClass.RECIPROCAL_SHIFT);
        return i < r.capacity && (long) i * r.blockSize == offset && (r.freeMask & (1L << i)) == 0 ? i : -1;
    }

    /** The run was full (joins the partial list) or became empty (goes spare or back to its chunk). */
    private void freeSlow(Run r, long before) {
        int c = r.sizeClass;
        if (r == current[c]) {
            return; // the current run stays current, even empty: the next allocation needs it
        }
        if (before == 0) {
            linkPartial(r);
        }
        if (r.isEmpty()) {
            unlinkPartial(r);
            if (spare[c] == null && retainedBytes + r.bytes() <= RETAIN_LIMIT) {
                spare[c] = r;
                retainedBytes += r.bytes();
            } else {
                releaseRun(r);
            }
        }
    }

    /**
     * Gives an empty run's pages back to its chunk, kept dirty within the budget or discarded. A chunk
     * left without runs becomes the spare chunk if there is none, else it is released.
     */
    private void releaseRun(Run r) {
        Chunk ch = r.chunk;
        ch.used &= ~r.pageMask();
        for (int p = r.firstPage; p < r.firstPage + r.pages; p++) {
            ch.runs[p] = null;
        }
        runs[r.sizeClass]--;
        heldBytes -= r.bytes();
        if (ch.used == 0 && spareChunk != null) {
            releaseChunk(ch);
            keepOrDiscard(ch, 0); // the budget shrank with the run
            return;
        }
        if (ch.used == 0) {
            spareChunk = ch;
        }
        keepOrDiscard(ch, r.pageMask());
    }

    private void releaseChunk(Chunk ch) {
        dirty.forget(ch.dirty);
        Chunk last = chunkList[--chunkCount];
        chunkList[ch.index] = last;
        last.index = ch.index;
        chunkList[chunkCount] = null;
        chunks.release(ch.base);
    }

    /** Free pages {@code mask} of a chunk stay dirty within the budget, else they are discarded. */
    private void keepOrDiscard(Chunk ch, int mask) {
        dirty.give(ch.dirty, ch.base, mask, heldBytes);
    }

    private void linkPartial(Run r) {
        int c = r.sizeClass;
        Run head = partial[c];
        r.prev = null;
        r.next = head;
        if (head != null) {
            head.prev = r;
        }
        partial[c] = r;
        r.partial = true;
    }

    private void unlinkPartial(Run r) {
        if (r.prev != null) {
            r.prev.next = r.next;
        } else {
            partial[r.sizeClass] = r.next;
        }
        if (r.next != null) {
            r.next.prev = r.prev;
        }
        r.prev = null;
        r.next = null;
        r.partial = false;
    }

    // ---------------------------------------------------------------- queries and errors

    @Override
    public long[] classSizes() {
        return java.util.Arrays.stream(SizeClass.BLOCK).asLongStream().toArray();
    }

    @Override
    public long usableSize(long address) {
        Run r = runOf(address);
        if (liveIndex(r, address) < 0) {
            throw invalidSlow(address);
        }
        return r.blockSize;
    }

    /** Says why {@code address} is not the start of a live block; changes nothing. */
    private InvalidAddressException invalidSlow(long address) {
        Run r = runOf(address);
        if (r == null) {
            String where = chunks.attachment(address) instanceof Chunk ch && ch.core == this
                    ? "l2: free pages of chunk 0x" + Long.toHexString(ch.base) : "l2: not in an l2 chunk";
            return new InvalidAddressException(address, Reason.UNKNOWN, where);
        }
        long offset = address - r.base;
        long i = offset / r.blockSize;
        if (i >= r.capacity) {
            return new InvalidAddressException(address, Reason.UNKNOWN, "l2: tail of run 0x"
                    + Long.toHexString(r.base) + " past its last " + r.blockSize + " B block");
        }
        long block = r.base + i * r.blockSize;
        if (block != address) {
            return new InvalidAddressException(address, Reason.INTERIOR, "l2: " + (address - block)
                    + " B into block 0x" + Long.toHexString(block) + " of class " + r.blockSize + " B");
        }
        return new InvalidAddressException(address, Reason.DOUBLE_FREE,
                "l2: block of class " + r.blockSize + " B is free");
    }

    // ---------------------------------------------------------------- trim, stats, close

    @Override
    public void trim() {
        for (int c = 0; c < SizeClass.COUNT; c++) {
            Run s = spare[c];
            if (s != null) {
                spare[c] = null;
                retainedBytes -= s.bytes();
                releaseRun(s);
            }
            Run r = current[c];
            if (r != null && r.isEmpty()) {
                current[c] = null;
                releaseRun(r);
            }
        }
        if (spareChunk != null) {
            releaseChunk(spareChunk);
            spareChunk = null;
        }
        dirty.discardAll();
    }

    @Override
    public TierStats stats() {
        long a = 0, f = 0, live = 0, bytes = 0, handed = 0;
        List<ClassStats> perClass = new ArrayList<>(SizeClass.COUNT);
        for (int c = 0; c < SizeClass.COUNT; c++) {
            long blocks = allocations[c] - frees[c];
            a += allocations[c];
            f += frees[c];
            live += blocks;
            bytes += liveBytes[c];
            handed += blocks * SizeClass.BLOCK[c];
            perClass.add(new ClassStats(SizeClass.BLOCK[c], allocations[c], frees[c], blocks, liveBytes[c],
                    runs[c], runs[c] * SizeClass.runBytes(c)));
        }
        return new TierStats(L2TierProvider.ID, a, f, live, bytes, handed, chunks.reservedBytes(), 0, freeBytes(), perClass);
    }

    /**
     * Bytes of held chunks not in a live block, from the chunks and runs themselves (not from the
     * counters, so that stats can show the two agree): pages in no run (dirty or discarded, the spare
     * chunk's included), and in each run its free blocks and the tail past its last whole block.
     */
    private long freeBytes() {
        long free = 0;
        for (int k = 0; k < chunkCount; k++) {
            Chunk ch = chunkList[k];
            free += (long) (Chunk.PAGES - Integer.bitCount(ch.used)) << SizeClass.PAGE_SHIFT;
            for (int p = 0; p < Chunk.PAGES; p++) {
                Run r = ch.runs[p];
                if (r != null && r.firstPage == p) {
                    free += (long) Long.bitCount(r.freeMask) * r.blockSize + r.bytes() - (long) r.capacity * r.blockSize;
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
        for (int k = 0; k < chunkCount; k++) {
            chunks.release(chunkList[k].base);
            chunkList[k] = null;
        }
        chunkCount = 0;
        Arrays.fill(current, null);
        Arrays.fill(partial, null);
        Arrays.fill(spare, null);
        Arrays.fill(runs, 0);
        retainedBytes = 0;
        spareChunk = null;
        dirty.clear();
        heldBytes = 0;
    }

    /** The run holding {@code address} in one of this core's chunks, or null. */
    Run runOf(long address) {
        if (chunks.attachment(address) instanceof Chunk ch && ch.core == this) {
            return ch.runs[(int) (address >>> SizeClass.PAGE_SHIFT) & (Chunk.PAGES - 1)];
        }
        return null;
    }
}
