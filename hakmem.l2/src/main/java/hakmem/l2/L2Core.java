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
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

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
 */
final class L2Core implements TierCore {

    static final long CHUNK_SIZE = 2L << 20;
    /** Most bytes of empty spare runs kept across all classes. */
    static final long RETAIN_LIMIT = 1L << 20;
    /** Bytes of free pages the tier's cores (its shards) keep undiscarded together however little they hold. */
    static final long DEFAULT_DIRTY = 16L << 20;
    /** The dirty budget grows as held bytes >>> this. */
    static final int DIRTY_RATIO_SHIFT = 3;

    private final ChunkSource chunks;
    private final Run[] current = new Run[SizeClass.COUNT];
    private final Run[] partial = new Run[SizeClass.COUNT];
    private final Run[] spare = new Run[SizeClass.COUNT];
    private long retainedBytes;

    private final long[] allocations = new long[SizeClass.COUNT];
    private final long[] frees = new long[SizeClass.COUNT];
    private final long[] liveBytes = new long[SizeClass.COUNT];
    private final long[] runs = new long[SizeClass.COUNT];

    /** Free pages of released runs kept undiscarded, oldest chunk discarded first. */
    private final DirtyPages dirty;
    /** Bytes of all runs held. */
    private long heldBytes;

    private Chunk[] chunkList = new Chunk[4];
    private int chunkCount;
    /** A chunk with no run kept mapped, against unmapping one chunk and mapping the next; or null. */
    private Chunk spareChunk;
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

    /** Bytes of free pages that may stay undiscarded now. */
    long dirtyBudget() {
        return dirty.budget(heldBytes);
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

    /** The run holding {@code address} in one of this core's chunks, or null (also used by tests). */
    Run runOf(long address) {
        if (chunks.attachment(address) instanceof Chunk ch && ch.core == this) {
            return ch.runs[(int) (address >>> SizeClass.PAGE_SHIFT) & (Chunk.PAGES - 1)];
        }
        return null;
    }

    // ---------------------------------------------------------------- for tests and diagnostics

    /** Class index of the run holding {@code address}, or -1. */
    int classOf(long address) {
        Run r = runOf(address);
        return r == null ? -1 : r.sizeClass;
    }

    int chunkCount() {
        return chunkCount;
    }

    long retainedBytes() {
        return retainedBytes;
    }

    long dirtyBytes() {
        return dirty.bytes();
    }

    /** A deterministic text of every piece of metadata: equal before and after a call that must change nothing. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        Chunk[] sorted = Arrays.copyOf(chunkList, chunkCount);
        Arrays.sort(sorted, Comparator.comparingLong(ch -> ch.base));
        for (Chunk ch : sorted) {
            sb.append("chunk ").append(Long.toHexString(ch.base)).append(" used ").append(Integer.toHexString(ch.used))
                    .append(" dirty ").append(Integer.toHexString(ch.dirty.mask())).append(ch == spareChunk ? " spare" : "")
                    .append('\n');
            for (int p = 0; p < Chunk.PAGES; p++) {
                Run r = ch.runs[p];
                if (r != null && r.firstPage == p) {
                    sb.append(" run ").append(p).append(" class ").append(r.blockSize).append(" free ")
                            .append(Long.toHexString(r.freeMask)).append(" partial ").append(r.partial)
                            .append(" req ").append(Arrays.toString(r.requested)).append('\n');
                }
            }
        }
        for (int c = 0; c < SizeClass.COUNT; c++) {
            sb.append("class ").append(SizeClass.BLOCK[c]).append(" current ").append(baseOf(current[c]))
                    .append(" spare ").append(baseOf(spare[c])).append(" partial");
            for (Run r = partial[c]; r != null; r = r.next) {
                sb.append(' ').append(baseOf(r));
            }
            sb.append(" a ").append(allocations[c]).append(" f ").append(frees[c]).append(" b ")
                    .append(liveBytes[c]).append(" runs ").append(runs[c]).append('\n');
        }
        sb.append("dirty list");
        dirty.forEach(d -> sb.append(' ').append(Long.toHexString(((Chunk) d.owner()).base)));
        return sb.append("\nretained ").append(retainedBytes).append(" dirty ").append(dirty.bytes()).append(" held ")
                .append(heldBytes).append(" reserved ").append(chunks.reservedBytes()).toString();
    }

    private static String baseOf(Run r) {
        return r == null ? "-" : Long.toHexString(r.base);
    }

    /** Walks all metadata; throws AssertionError naming the first inconsistency. */
    void checkInvariants() {
        check(chunks.reservedBytes() == chunkCount * CHUNK_SIZE, "reserved " + chunks.reservedBytes()
                + " != " + chunkCount + " chunks");
        Map<Run, Boolean> seen = new IdentityHashMap<>();
        long dirtyCounted = 0;
        long dirtyChunks = 0;
        long[] live = new long[SizeClass.COUNT];
        long[] bytes = new long[SizeClass.COUNT];
        long[] runCount = new long[SizeClass.COUNT];
        for (int k = 0; k < chunkCount; k++) {
            Chunk ch = chunkList[k];
            check(ch.index == k && ch.core == this, "chunk list position of " + Long.toHexString(ch.base));
            check((ch.base & (CHUNK_SIZE - 1)) == 0, "chunk misaligned " + Long.toHexString(ch.base));
            check(chunks.attachment(ch.base) == ch, "attachment of chunk " + Long.toHexString(ch.base));
            check((ch.used == 0) == (ch == spareChunk), "empty chunk held that is not the spare " + Long.toHexString(ch.base));
            check((ch.dirty.mask() & ch.used) == 0, "dirty pages in use " + Long.toHexString(ch.base));
            dirtyCounted += (long) Integer.bitCount(ch.dirty.mask()) << SizeClass.PAGE_SHIFT;
            dirtyChunks += ch.dirty.mask() != 0 ? 1 : 0;
            for (int p = 0; p < Chunk.PAGES; p++) {
                Run r = ch.runs[p];
                check(((ch.used >>> p) & 1) == (r == null ? 0 : 1), "page " + p + " used bit vs run");
                if (r == null) {
                    continue;
                }
                check(r.chunk == ch && p >= r.firstPage && p < r.firstPage + r.pages, "page " + p + " run bounds");
                if (seen.put(r, Boolean.TRUE) != null) {
                    continue;
                }
                int c = r.sizeClass;
                check(r.base == ch.base + ((long) r.firstPage << SizeClass.PAGE_SHIFT), "run base");
                check(r.pages == SizeClass.RUN_PAGES[c] && r.blockSize == SizeClass.BLOCK[c]
                        && r.capacity == SizeClass.CAPACITY[c] && (long) r.capacity * r.blockSize <= r.bytes(),
                        "run geometry");
                check((r.freeMask & ~r.fullMask) == 0, "free bits past capacity");
                int liveHere = r.liveBlocks();
                check(Long.bitCount(r.freeMask) + liveHere == r.capacity, "free + live != capacity");
                live[c] += liveHere;
                runCount[c]++;
                for (int i = 0; i < r.capacity; i++) {
                    if ((r.freeMask & (1L << i)) == 0) {
                        check(r.requested[i] >= 1 && r.requested[i] <= r.blockSize, "requested size of block " + i);
                        bytes[c] += r.requested[i];
                    }
                }
                boolean isCurrent = current[c] == r;
                boolean isSpare = spare[c] == r;
                int states = (isCurrent ? 1 : 0) + (isSpare ? 1 : 0) + (r.partial ? 1 : 0) + (r.freeMask == 0 ? 1 : 0);
                if (isCurrent && r.freeMask == 0) {
                    states--; // a full current run is both
                }
                check(states == 1, "run " + Long.toHexString(r.base) + " in " + states + " states");
                check(!isSpare || r.isEmpty(), "spare run not empty");
                check(!r.partial || (!r.isEmpty() && r.freeMask != 0), "partial run empty or full");
            }
        }
        long retained = 0;
        for (int c = 0; c < SizeClass.COUNT; c++) {
            check(live[c] == allocations[c] - frees[c], "class " + SizeClass.BLOCK[c] + " live blocks " + live[c]
                    + " != allocations - frees " + (allocations[c] - frees[c]));
            check(bytes[c] == liveBytes[c], "class " + SizeClass.BLOCK[c] + " live bytes");
            check(runCount[c] == runs[c], "class " + SizeClass.BLOCK[c] + " run count");
            for (Run r : new Run[] {current[c], spare[c]}) {
                check(r == null || (seen.containsKey(r) && r.sizeClass == c), "current/spare run not held");
            }
            if (spare[c] != null) {
                retained += spare[c].bytes();
            }
            Run prev = null;
            for (Run r = partial[c]; r != null; r = r.next) {
                check(r.partial && r.prev == prev && r.sizeClass == c && seen.containsKey(r), "partial list links");
                prev = r;
            }
        }
        long partials = seen.keySet().stream().filter(r -> r.partial).count();
        long listed = 0;
        for (int c = 0; c < SizeClass.COUNT; c++) {
            for (Run r = partial[c]; r != null; r = r.next) {
                listed++;
            }
        }
        check(partials == listed, "partial flags " + partials + " != listed " + listed);
        check(retained == retainedBytes && retainedBytes <= RETAIN_LIMIT, "retained bytes");
        long held = 0;
        for (Run r : seen.keySet()) {
            held += r.bytes();
        }
        check(held == heldBytes, "held bytes");
        check(dirtyCounted == dirty.bytes() && dirty.bytes() <= dirtyBudget(), "dirty bytes " + dirtyCounted
                + " vs " + dirty.bytes() + ", budget " + dirtyBudget());
        long dirtyListed;
        try {
            dirtyListed = dirty.checkChunks(o -> chunkList[((Chunk) o).index] == o);
        } catch (IllegalStateException e) {
            throw new AssertionError("l2 invariant broken: " + e.getMessage(), e);
        }
        check(dirtyListed == dirtyChunks, "dirty list holds " + dirtyListed + " of " + dirtyChunks);
        check(spareChunk == null || chunkList[spareChunk.index] == spareChunk, "spare chunk not held");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("l2 invariant broken: " + what);
        }
    }
}
