package hakmem.l25;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.DirtyPages;
import hakmem.api.spi.Policy;
import hakmem.api.spi.TierCore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One single-threaded core of the large-pool tier.
 *
 * <p>Layout: memory comes in 2 MiB chunks of 32 pages of 64 KiB. Five classes, 64, 128, 256, 512 KiB
 * and 1 MiB: a block of class {@code c} is a run of {@code 2^c} pages placed at a page index that is a
 * multiple of {@code 2^c}, so with 2 MiB-aligned chunks every block is aligned to its own size
 * (natural alignment: a 256 KiB block is 256 KiB-aligned). A request asking for more alignment than
 * its class gives takes the class of its alignment; above 1 MiB it gets 0. All metadata is on the
 * Java heap ({@link Chunk}: an {@code int} page bitmap and per-page state, class, shard and requested
 * size), never in user memory.
 *
 * <p>Shards: a request's site id picks one of {@link #SHARDS} shards ({@code site & (SHARDS - 1)}; site 0,
 * the unlabelled one, uses shard 0). A freed block goes to a stack of its class in the shard that
 * allocated it, and each shard keeps a bitmap of its non-empty stacks, so a request finds the smallest
 * usable cached class with one {@code numberOfTrailingZeros}. Usable classes run from the request's
 * own class up to the largest class {@code c} with {@code size(c) <= W_MAX * request} (the rounding
 * slack, {@link #roundingSlack(double)}; a learner may tune it).
 *
 * <p>Retention, two budgets: the caches hold at most {@link #DEFAULT_RETAINED} bytes of freed blocks;
 * a block freed past that goes back to its chunk, whose free pages are kept undiscarded ("dirty",
 * reused without page faults) while the tier's cores together keep at most {@link #DEFAULT_DIRTY} bytes
 * (one floor for all the shards) or this core keeps at most {@code held / 8}, {@code held} being the
 * bytes of its blocks live or cached (jemalloc's old one-eighth dirty ratio: a big heap churning keeps
 * proportionally more, a small one little); see {@link hakmem.api.spi.DirtyPages}. Past that the incoming pages are
 * discarded (madvise), and when the budget shrinks the chunks dirtied longest ago are discarded.
 * A chunk with no page in use is released, except one kept as a spare against unmapping a chunk only
 * to map the next. {@link #trim()} empties every cache, releases the spare chunk and discards every
 * dirty page, so a core without live blocks then holds no chunk.
 *
 * <p>A cache miss first takes a usable cached block of another shard, then free pages of a held chunk
 * (best fit: a chunk on the fit list of the smallest class that has room, so larger holes stay whole),
 * then the room of cached blocks in a held chunk (those blocks are evicted), and maps a new chunk last.
 *
 * <p>No {@code classSizes()}: the TLS variant does not thread-cache this tier. Tried with one-block
 * magazines per class and exact-class refills (2026-11-28, 2 cores), larson with sizes 33 KB to 1 MB
 * ran at 0.7x (1 thread) and 0.55x (2 threads) of this core's own path, whose per-site caches and
 * rounding slack reuse blocks across classes; only one repeated size gained (1.5x).
 *
 * <p>The fields are package-private, not private, for the tests' structural check of this metadata
 * ({@code L25Inspector} in the tests, run by hakmem.tck's contract): the checks live with the tests,
 * this class carries none.
 */
final class L25Core implements TierCore {

    static final long MAX_SIZE = 1L << 20;
    static final int PAGE_SHIFT = 16;
    static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    static final long CHUNK_SIZE = 2L << 20;
    static final int CLASSES = 5;
    static final int SHARDS = 4;
    /** Cache budget of a core: two chunks' worth of freed blocks. */
    static final long DEFAULT_RETAINED = 4L << 20;
    /** Bytes of free pages the tier's cores (its shards) keep undiscarded together however little they hold. */
    static final long DEFAULT_DIRTY = 128L << 20;
    /** The dirty budget grows as held bytes >>> this. */
    static final int DIRTY_RATIO_SHIFT = 3;
    /**
     * Default W_MAX: a request never takes a block over twice its size, the bound its own power-of-two
     * class already has; below 2 a larger class is never usable, from 2 to 4 the upper part of each class
     * may take the next class (all of it at 4).
     */
    static final double DEFAULT_SLACK = 2.0;
    static final double MAX_SLACK = 64.0;

    final ChunkSource chunks;
    final long retainedLimit;
    /** Free pages kept undiscarded, oldest chunk discarded first. */
    final DirtyPages dirty;
    /** Bytes of blocks held, live or cached. */
    long heldBytes;
    private double slack = DEFAULT_SLACK;

    /** Per shard: bit c set when its cache of class c is not empty. */
    final int[] nonEmpty = new int[SHARDS];
    /** Per shard and class ({@code shard * CLASSES + c}): cached block addresses, their chunks, the depth. */
    final long[][] cachedAddress = new long[SHARDS * CLASSES][];
    final Chunk[][] cachedChunk = new Chunk[SHARDS * CLASSES][];
    final int[] cachedCount = new int[SHARDS * CLASSES];
    long cachedBytes;

    final long[] allocations = new long[CLASSES];
    final long[] frees = new long[CLASSES];
    final long[] liveBytes = new long[CLASSES];
    /** Blocks of each class held, live or cached. */
    final long[] held = new long[CLASSES];

    /** Per class: chunks whose largest free aligned run is of that class (linked through Chunk.nextFit). */
    final Chunk[] fit = new Chunk[CLASSES];
    Chunk[] chunkList = new Chunk[4];
    /** A chunk with no page in use kept mapped, against unmapping one chunk and mapping the next; or null. */
    Chunk spareChunk;
    int chunkCount;
    private boolean closed;

    L25Core(ChunkSource chunks) {
        this(chunks, DEFAULT_RETAINED, DEFAULT_DIRTY);
    }

    /**
     * @param retainedLimit most bytes of freed blocks kept in the shard caches
     * @param dirtyFloor    bytes of free pages the tier's cores together keep undiscarded however little they hold
     */
    L25Core(ChunkSource chunks, long retainedLimit, long dirtyFloor) {
        if (chunks.chunkSize() != CHUNK_SIZE) {
            throw new IllegalArgumentException("l25 needs chunks of " + CHUNK_SIZE + " bytes, not " + chunks.chunkSize());
        }
        if (retainedLimit < 0 || dirtyFloor < 0) {
            throw new IllegalArgumentException("budgets must be >= 0: " + retainedLimit + ", " + dirtyFloor);
        }
        this.chunks = chunks;
        this.retainedLimit = retainedLimit;
        this.dirty = new DirtyPages(chunks, PAGE_SHIFT, dirtyFloor, DIRTY_RATIO_SHIFT);
        for (int c = 0; c < CLASSES; c++) {
            int depth = (int) Math.min(Integer.MAX_VALUE - 8, retainedLimit / classSize(c)); // the budget bounds each stack
            for (int s = 0; s < SHARDS; s++) {
                cachedAddress[s * CLASSES + c] = new long[depth];
                cachedChunk[s * CLASSES + c] = new Chunk[depth];
            }
        }
    }

    static long classSize(int c) {
        return PAGE_SIZE << c;
    }

    /** The class of {@code size} bytes, {@code 1 <= size <= MAX_SIZE}: 64 KiB and below is class 0. */
    static int classOf(long size) {
        return size <= PAGE_SIZE ? 0 : 64 - PAGE_SHIFT - Long.numberOfLeadingZeros(size - 1);
    }

    /**
     * Sets W_MAX: a request of {@code s} bytes may take a cached block of a larger class {@code c} when
     * {@code size(c) <= wMax * s}. 1 (or anything below 2) keeps every request in its own class.
     *
     * @throws IllegalArgumentException unless {@code 1 <= wMax <= 64}
     */
    public void roundingSlack(double wMax) {
        if (!(wMax >= 1.0 && wMax <= MAX_SLACK)) {
            throw new IllegalArgumentException("rounding slack W_MAX must be in [1, " + MAX_SLACK + "]: " + wMax);
        }
        slack = wMax;
    }

    /** The current W_MAX. */
    public double roundingSlack() {
        return slack;
    }

    /** A published policy's W_MAX: cached blocks are matched by it from the next request on. */
    @Override
    public void apply(Policy policy) {
        roundingSlack(policy.roundingSlack());
    }

    // ---------------------------------------------------------------- allocate

    @Override
    public long allocate(long size, long alignment, int site) {
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("l25 serves sizes 1.." + MAX_SIZE + ": " + size);
        }
        int c = classOf(size);
        if (alignment > PAGE_SIZE || alignment < 1 || (alignment & (alignment - 1)) != 0) {
            c = alignedClassSlow(c, alignment);
            if (c < 0) {
                return 0;
            }
        }
        int usable = usableClasses(c, size);
        int s = site & (SHARDS - 1);
        int hits = nonEmpty[s] & usable;
        if (hits != 0) {
            return takeCached(s, Integer.numberOfTrailingZeros(hits), s, size);
        }
        return allocateSlow(c, usable, s, size);
    }

    /** Bit mask of classes {@code c..t}, {@code t} the largest class within the rounding slack (at least c). */
    private int usableClasses(int c, long size) {
        long most = (long) (slack * size);
        int t = most >= MAX_SIZE ? CLASSES - 1 : 63 - PAGE_SHIFT - Long.numberOfLeadingZeros(most);
        return ((2 << Math.max(c, t)) - 1) & -(1 << c);
    }

    private static int alignedClassSlow(int c, long alignment) {
        if (alignment < 1 || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        return alignment > MAX_SIZE ? -1 : Math.max(c, classOf(alignment));
    }

    /** Pops the top block of shard {@code from}'s class {@code c} cache and hands it out for shard {@code to}. */
    private long takeCached(int from, int c, int to, long size) {
        int stack = from * CLASSES + c;
        int n = --cachedCount[stack];
        long address = cachedAddress[stack][n];
        Chunk ch = cachedChunk[stack][n];
        cachedChunk[stack][n] = null;
        if (n == 0) {
            nonEmpty[from] &= ~(1 << c);
        }
        cachedBytes -= classSize(c);
        int p = (int) (address >>> PAGE_SHIFT) & (Chunk.PAGES - 1);
        ch.state[p] = Chunk.LIVE;
        ch.shard[p] = (byte) to;
        ch.requested[p] = (int) size;
        allocations[c]++;
        liveBytes[c] += size;
        return address;
    }

    /**
     * No usable block in the shard's cache: take one from another shard, else carve pages of the
     * request's own class from a held chunk (free pages first, then room held by cached blocks), else
     * from a new chunk.
     */
    private long allocateSlow(int c, int usable, int s, long size) {
        if (closed) {
            throw new IllegalStateException("l25 core is closed");
        }
        for (int k = 1; k < SHARDS; k++) {
            int other = (s + k) & (SHARDS - 1);
            int hits = nonEmpty[other] & usable;
            if (hits != 0) {
                return takeCached(other, Integer.numberOfTrailingZeros(hits), s, size);
            }
        }
        for (int b = c; b < CLASSES; b++) {
            Chunk ch = fit[b];
            if (ch != null) {
                return carve(ch, Chunk.findAligned(ch.used, c), c, s, size);
            }
        }
        if (cachedBytes > 0) {
            for (int k = 0; k < chunkCount; k++) {
                Chunk ch = chunkList[k];
                int p = Chunk.findAligned(ch.used & ~ch.cachedPages(), c);
                if (p >= 0) {
                    evictCachedIn(ch, Chunk.pageMask(p, c));
                    return carve(ch, p, c, s, size);
                }
            }
        }
        Chunk ch = new Chunk(this);
        ch.base = chunks.acquire(ch); // the only step that can fail (OutOfMemoryError), before any change
        if (chunkCount == chunkList.length) {
            chunkList = Arrays.copyOf(chunkList, chunkCount * 2);
        }
        ch.index = chunkCount;
        chunkList[chunkCount++] = ch;
        return carve(ch, 0, c, s, size);
    }

    private long carve(Chunk ch, int p, int c, int s, long size) {
        int pages = 1 << c;
        int mask = Chunk.pageMask(p, c);
        if (ch == spareChunk) {
            spareChunk = null;
        }
        ch.used |= mask;
        dirty.take(ch.dirty, mask);
        heldBytes += classSize(c);
        refit(ch);
        ch.state[p] = Chunk.LIVE;
        for (int q = p; q < p + pages; q++) {
            ch.sizeClass[q] = (byte) c;
        }
        for (int q = p + 1; q < p + pages; q++) {
            ch.state[q] = Chunk.BODY;
        }
        ch.shard[p] = (byte) s;
        ch.requested[p] = (int) size;
        held[c]++;
        allocations[c]++;
        liveBytes[c] += size;
        return ch.base + ((long) p << PAGE_SHIFT);
    }

    /**
     * Takes the cached blocks overlapping {@code pages} of {@code ch} out of their caches and gives their
     * pages back; those inside {@code pages} are about to be reused, the others become free (the chunk
     * is not released: the caller carves {@code pages} next).
     */
    private void evictCachedIn(Chunk ch, int pages) {
        for (int p = 0; p < Chunk.PAGES; p++) {
            if (ch.state[p] == Chunk.CACHED) {
                int c = ch.sizeClass[p];
                int mask = Chunk.pageMask(p, c);
                if ((mask & pages) != 0) {
                    long address = ch.base + ((long) p << PAGE_SHIFT);
                    removeFromCache(ch.shard[p], c, address);
                    clearBlock(ch, p, c);
                    keepOrDiscard(ch, mask & ~pages);
                }
            }
        }
    }

    private void removeFromCache(int s, int c, long address) {
        int stack = s * CLASSES + c;
        long[] addresses = cachedAddress[stack];
        int n = cachedCount[stack];
        int i = n - 1;
        while (addresses[i] != address) {
            i--;
        }
        System.arraycopy(addresses, i + 1, addresses, i, n - 1 - i); // keep the others' reuse order
        System.arraycopy(cachedChunk[stack], i + 1, cachedChunk[stack], i, n - 1 - i);
        cachedChunk[stack][n - 1] = null;
        cachedCount[stack] = n - 1;
        if (n == 1) {
            nonEmpty[s] &= ~(1 << c);
        }
        cachedBytes -= classSize(c);
    }

    /** Marks a block's pages free in its chunk (no discard, no release). */
    private void clearBlock(Chunk ch, int p, int c) {
        ch.used &= ~Chunk.pageMask(p, c);
        Arrays.fill(ch.state, p, p + (1 << c), Chunk.FREE);
        ch.requested[p] = 0;
        ch.shard[p] = 0;
        held[c]--;
        heldBytes -= classSize(c);
        refit(ch);
    }

    /** Free pages {@code mask} of a chunk stay dirty within the budget, else they are discarded. */
    private void keepOrDiscard(Chunk ch, int mask) {
        dirty.give(ch.dirty, ch.base, mask, heldBytes);
    }

    /** Moves a chunk to the fit list of its largest free aligned class after its pages changed. */
    private void refit(Chunk ch) {
        int m = Chunk.maxFreeClass(ch.used);
        if (m == ch.maxFree) {
            return;
        }
        unlinkFit(ch);
        ch.maxFree = m;
        if (m >= 0) {
            Chunk head = fit[m];
            ch.nextFit = head;
            if (head != null) {
                head.prevFit = ch;
            }
            fit[m] = ch;
        }
    }

    private void unlinkFit(Chunk ch) {
        if (ch.maxFree < 0) {
            return;
        }
        if (ch.prevFit != null) {
            ch.prevFit.nextFit = ch.nextFit;
        } else {
            fit[ch.maxFree] = ch.nextFit;
        }
        if (ch.nextFit != null) {
            ch.nextFit.prevFit = ch.prevFit;
        }
        ch.prevFit = null;
        ch.nextFit = null;
        ch.maxFree = -1;
    }

    // ---------------------------------------------------------------- free

    @Override
    public void free(long address) {
        if (chunks.attachment(address) instanceof Chunk ch && ch.core == this && (address & (PAGE_SIZE - 1)) == 0) {
            int p = (int) (address >>> PAGE_SHIFT) & (Chunk.PAGES - 1);
            if (ch.state[p] == Chunk.LIVE) {
                int c = ch.sizeClass[p];
                frees[c]++;
                liveBytes[c] -= ch.requested[p];
                long bytes = classSize(c);
                if (cachedBytes + bytes <= retainedLimit) {
                    int s = ch.shard[p];
                    int stack = s * CLASSES + c;
                    int n = cachedCount[stack]++;
                    cachedAddress[stack][n] = address;
                    cachedChunk[stack][n] = ch;
                    nonEmpty[s] |= 1 << c;
                    cachedBytes += bytes;
                    ch.state[p] = Chunk.CACHED;
                    return;
                }
                releaseSlow(ch, p, c);
                return;
            }
        }
        throw invalidSlow(address);
    }

    /**
     * A block freed past the cache budget (or flushed by trim) gives its pages back. A chunk left with
     * no page in use becomes the spare chunk if there is none, else it is released.
     */
    private void releaseSlow(Chunk ch, int p, int c) {
        clearBlock(ch, p, c);
        if (ch.used == 0 && spareChunk != null) {
            releaseChunk(ch);
            keepOrDiscard(ch, 0); // the budget shrank with the block
            return;
        }
        if (ch.used == 0) {
            spareChunk = ch; // stays on the fit list of the largest class: best fit takes it last
        }
        keepOrDiscard(ch, Chunk.pageMask(p, c));
    }

    private void releaseChunk(Chunk ch) {
        unlinkFit(ch);
        dirty.forget(ch.dirty);
        Chunk last = chunkList[--chunkCount];
        chunkList[ch.index] = last;
        last.index = ch.index;
        chunkList[chunkCount] = null;
        chunks.release(ch.base);
    }

    // ---------------------------------------------------------------- queries and errors

    @Override
    public long usableSize(long address) {
        if (chunks.attachment(address) instanceof Chunk ch && ch.core == this && (address & (PAGE_SIZE - 1)) == 0) {
            int p = (int) (address >>> PAGE_SHIFT) & (Chunk.PAGES - 1);
            if (ch.state[p] == Chunk.LIVE) {
                return classSize(ch.sizeClass[p]);
            }
        }
        throw invalidSlow(address);
    }

    /** Says why {@code address} is not the start of a live block; changes nothing. */
    private InvalidAddressException invalidSlow(long address) {
        if (!(chunks.attachment(address) instanceof Chunk ch && ch.core == this)) {
            return new InvalidAddressException(address, Reason.UNKNOWN, "l25: not in an l25 chunk");
        }
        int p = (int) (address >>> PAGE_SHIFT) & (Chunk.PAGES - 1);
        if (ch.state[p] == Chunk.FREE) {
            return new InvalidAddressException(address, Reason.UNKNOWN,
                    "l25: free pages of chunk 0x" + Long.toHexString(ch.base));
        }
        int head = ch.headOf(p);
        long block = ch.base + ((long) head << PAGE_SHIFT);
        long size = classSize(ch.sizeClass[p]);
        if (block != address) {
            return new InvalidAddressException(address, Reason.INTERIOR, "l25: " + (address - block)
                    + " B into block 0x" + Long.toHexString(block) + " of class " + size + " B");
        }
        return new InvalidAddressException(address, Reason.DOUBLE_FREE,
                "l25: block of class " + size + " B is free");
    }

    // ---------------------------------------------------------------- trim, stats, close

    @Override
    public void trim() {
        for (int stack = 0; stack < SHARDS * CLASSES; stack++) {
            int c = stack % CLASSES;
            while (cachedCount[stack] > 0) {
                int n = --cachedCount[stack];
                Chunk ch = cachedChunk[stack][n];
                cachedChunk[stack][n] = null;
                cachedBytes -= classSize(c);
                releaseSlow(ch, (int) (cachedAddress[stack][n] >>> PAGE_SHIFT) & (Chunk.PAGES - 1), c);
            }
        }
        Arrays.fill(nonEmpty, 0);
        if (spareChunk != null) {
            releaseChunk(spareChunk);
            spareChunk = null;
        }
        dirty.discardAll();
    }

    @Override
    public TierStats stats() {
        long a = 0, f = 0, live = 0, bytes = 0, handed = 0;
        List<ClassStats> perClass = new ArrayList<>(CLASSES);
        for (int c = 0; c < CLASSES; c++) {
            long blocks = allocations[c] - frees[c];
            a += allocations[c];
            f += frees[c];
            live += blocks;
            bytes += liveBytes[c];
            handed += blocks * classSize(c);
            long cached = 0;
            for (int s = 0; s < SHARDS; s++) {
                cached += cachedCount[s * CLASSES + c];
            }
            perClass.add(new ClassStats(classSize(c), allocations[c], frees[c], blocks, liveBytes[c], held[c],
                    held[c] * classSize(c), cached));
        }
        long free = 0; // pages in no block, live or cached, from the chunks' maps rather than the counters
        for (int k = 0; k < chunkCount; k++) {
            free += (long) (Chunk.PAGES - Integer.bitCount(chunkList[k].used)) << PAGE_SHIFT;
        }
        return new TierStats(L25TierProvider.ID, a, f, live, bytes, handed, chunks.reservedBytes(), cachedBytes, free,
                perClass);
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
        for (int stack = 0; stack < SHARDS * CLASSES; stack++) {
            Arrays.fill(cachedChunk[stack], null);
            cachedCount[stack] = 0;
        }
        Arrays.fill(nonEmpty, 0);
        Arrays.fill(held, 0);
        Arrays.fill(fit, null);
        spareChunk = null;
        dirty.clear();
        cachedBytes = 0;
        heldBytes = 0;
    }
}
