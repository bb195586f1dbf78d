package hakmem.api.runtime;

import hakmem.api.spi.ChunkSource;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One reserved range of address space cut into chunks of {@link #CHUNK_SIZE} bytes, each aligned to its
 * size. A chunk's index is {@code (address - base) >>> CHUNK_SHIFT}, so the owner of any address is one
 * array read away (hakmem's SuperSlab mask). Chunks are committed when a tier core acquires them and
 * decommitted when it releases them, or kept committed up to a limit for the next acquire; the
 * reservation itself costs no memory.
 *
 * <p>Acquire and release are rare (a chunk serves thousands of blocks) and synchronized. {@link #ownerOf}
 * is a plain read from any thread: an owner is written before the chunk's first block is handed out and
 * the address reaches another thread only through that hand-out, which orders the two.
 */
public final class ChunkSpace implements AutoCloseable {

    public static final int CHUNK_SHIFT = 21;
    public static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    /** Owner tag of a chunk nobody holds. */
    public static final int NONE = 0;

    private final PageSource pages;
    private final long mapping;
    private final long mappingLength;
    private final long base;
    private final long capacity;
    private final Budget budget;
    private final int[] owner;
    private final Object[] attachment;
    private final int[] freeChunks;
    /**
     * For thread caches: per chunk of a tracked owner, its marks: the size asked for each live block
     * handed to a user, one char per {@link #GRANULE} bytes at the block's start (0: not a block a user
     * holds), then at {@link #SHARD_MARK} the shard of the chunk's owner, so a free finds both with one
     * chunk lookup. Written and read without locks by the thread that holds the block (see ThreadCaches).
     */
    private final char[][] marks;
    /** Per owner tag, its shard + 1 when its chunks get marks, else 0. */
    private int[] tracked = new int[0];
    /** Per owner tag, its tier's id and its shard, for the JFR events ({@link #label}); null: unlabelled. */
    private String[] tierOfTag = new String[0];
    private int[] shardOfTag = new int[0];
    private int freeCount;
    private int neverUsed;
    private boolean closed;
    /** Guarded by this; see {@link #refusals()}. */
    private long refusals;
    /** Chunks held by some owner when {@link #beginClose} ran; null before. */
    private boolean[] heldAtClose;
    /**
     * Released chunks kept committed, pages and all, for the next acquire: a burst that frees
     * everything and then allocates again (hakmem's json and mir scenarios) would otherwise pay a
     * page fault for every page, every round. Bounded by {@code retainLimit}; {@link #trimRetained()}
     * gives them back.
     */
    private final int[] retained;
    private int retainedCount;
    private long retainLimit;

    private ChunkSpace(long capacity, Budget budget, PageSource pages) {
        long chunks = (capacity + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
        if (chunks < 1 || chunks > (1 << 24)) {
            throw new IllegalArgumentException("chunk space capacity must be 1 B .. 32 TiB: " + capacity);
        }
        this.capacity = chunks << CHUNK_SHIFT;
        this.budget = budget;
        this.mappingLength = this.capacity + CHUNK_SIZE;
        this.pages = pages;
        this.mapping = pages.reserve(mappingLength);
        this.base = (mapping + CHUNK_SIZE - 1) & -CHUNK_SIZE;
        this.owner = new int[(int) chunks];
        this.attachment = new Object[(int) chunks];
        this.freeChunks = new int[(int) chunks];
        this.marks = new char[(int) chunks][];
        this.retained = new int[(int) chunks];
    }

    /** Run (outside this space's lock) when a chunk does not fit the budget, before one retry. */
    private volatile Runnable onPressure;

    public void onPressure(Runnable relief) {
        this.onPressure = relief;
    }

    /** Keep up to {@code bytes} of released chunks committed for reuse (0: give each back at once). */
    public synchronized void retainLimit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("retain limit must be >= 0: " + bytes);
        }
        this.retainLimit = bytes;
        while ((long) retainedCount * CHUNK_SIZE > retainLimit) {
            decommitRetained();
        }
    }

    /** Gives every retained chunk back to the OS. */
    public synchronized void trimRetained() {
        while (retainedCount > 0) {
            decommitRetained();
        }
    }

    /** Bytes of released chunks kept committed. */
    public synchronized long retainedBytes() {
        return (long) retainedCount * CHUNK_SIZE;
    }

    private void decommitRetained() {
        int index = retained[--retainedCount];
        JfrEvents.ChunkUnmapped event = new JfrEvents.ChunkUnmapped();
        event.begin();
        if (!closed) {
            decommit(base + ((long) index << CHUNK_SHIFT));
        }
        freeChunks[freeCount++] = index;
        budget.give(CHUNK_SIZE);
        if (!closed) {
            unmapped(event, base + ((long) index << CHUNK_SHIFT), JfrEvents.RETAINED, -1, false);
        }
    }

    private static void unmapped(JfrEvents.ChunkUnmapped event, long chunk, String tier, int shard, boolean retained) {
        event.end();
        if (event.shouldCommit()) {
            event.address = chunk;
            event.bytes = CHUNK_SIZE;
            event.tier = tier;
            event.shard = shard;
            event.retained = retained;
            event.commit();
        }
    }

    private void mapped(JfrEvents.ChunkMapped event, long chunk, int tag, boolean reused) {
        event.end();
        if (event.shouldCommit()) {
            event.address = chunk;
            event.bytes = CHUNK_SIZE;
            event.tier = tierOf(tag);
            event.shard = shardOf(tag);
            event.reused = reused;
            event.commit();
        }
    }

    /**
     * Gives a chunk's pages back. Should the OS refuse, the pages stay committed and are replaced when
     * the chunk is committed again: nothing is lost, and the caller (a core between two steps of a free
     * or a trim) must not fail halfway. Refusals are counted.
     */
    private void decommit(long chunk) {
        try {
            pages.decommit(chunk, CHUNK_SIZE);
        } catch (RuntimeException | OutOfMemoryError e) {
            refusals++;
        }
    }

    /** Times the OS refused to take pages back (decommit, discard); they stayed resident. */
    synchronized long refusals() {
        return refusals;
    }

    /** Bytes per block-state entry: every block of a tracked owner starts on a multiple of this. */
    public static final int GRANULE_SHIFT = 4;
    public static final long GRANULE = 1L << GRANULE_SHIFT;

    /** Marks per chunk: one per granule, then the owner's shard. */
    static final int SHARD_MARK = (int) (CHUNK_SIZE >>> GRANULE_SHIFT);

    /** Chunks acquired by owner {@code tag}, shard {@code shard} of its tier, from now on get marks. */
    public synchronized void track(int tag, int shard) {
        if (shard < 0 || shard >= Character.MAX_VALUE) {
            throw new IllegalArgumentException("shard must be 0.." + (Character.MAX_VALUE - 1) + ": " + shard);
        }
        if (tag >= tracked.length) {
            tracked = java.util.Arrays.copyOf(tracked, tag + 1);
        }
        tracked[tag] = shard + 1;
    }

    /** Names owner {@code tag}'s chunks in the JFR events: shard {@code shard} of tier {@code tier}. */
    public synchronized void label(int tag, String tier, int shard) {
        if (tag >= tierOfTag.length) {
            tierOfTag = java.util.Arrays.copyOf(tierOfTag, tag + 1);
            shardOfTag = java.util.Arrays.copyOf(shardOfTag, tag + 1);
        }
        tierOfTag[tag] = tier;
        shardOfTag[tag] = shard;
    }

    private String tierOf(int tag) {
        String tier = tag < tierOfTag.length ? tierOfTag[tag] : null;
        return tier != null ? tier : "owner " + tag;
    }

    private int shardOf(int tag) {
        return tag < shardOfTag.length ? shardOfTag[tag] : 0;
    }

    /** First address of the space. */
    long base() {
        return base;
    }

    /** Bytes of the space: an address belongs to it when {@code address - base} is below this, unsigned. */
    long capacity() {
        return capacity;
    }

    /**
     * The marks of every chunk, by chunk index (null: untracked or not held). The thread caches read it
     * with plain accesses: an array is installed before its chunk's first block is handed out.
     */
    char[][] marks() {
        return marks;
    }

    /** The marks of the tracked chunk holding {@code address}, else null. Any thread, no lock. */
    char[] marksOf(long address) {
        long offset = address - base;
        if (Long.compareUnsigned(offset, capacity) >= 0) {
            return null;
        }
        return marks[(int) (offset >>> CHUNK_SHIFT)];
    }

    /** Index of {@code address}'s mark in its chunk's marks. */
    static int granule(long address) {
        return (int) ((address & (CHUNK_SIZE - 1)) >>> GRANULE_SHIFT);
    }

    /** What a scan of the marks sees: one call per chunk with marks. */
    interface MarkVisitor {
        void visit(int tag, long chunk, char[] marks);
    }

    /** Calls {@code visitor} for every chunk with marks, under this space's lock (no chunk comes or goes). */
    synchronized void scanMarks(MarkVisitor visitor) {
        for (int i = 0; i < neverUsed; i++) {
            char[] m = marks[i];
            if (m != null) {
                visitor.visit(owner[i], base + ((long) i << CHUNK_SHIFT), m);
            }
        }
    }

    /** Reserves {@code capacity} bytes of address space (rounded up to chunks) under {@code limit}. */
    public static ChunkSpace reserve(long capacity, long limit) {
        return new ChunkSpace(capacity, new Budget(limit), OsMemory.SYSTEM);
    }

    /** Reserves {@code capacity} bytes of address space counting commits against {@code budget}. */
    public static ChunkSpace reserve(long capacity, Budget budget) {
        return new ChunkSpace(capacity, budget, OsMemory.SYSTEM);
    }

    /** Reserves {@code capacity} bytes of address space from {@code pages}. */
    static ChunkSpace reserve(long capacity, Budget budget, PageSource pages) {
        return new ChunkSpace(capacity, budget, pages);
    }

    PageSource pages() {
        return pages;
    }

    public Budget budget() {
        return budget;
    }


    /** Owner tag of the chunk holding {@code address}; {@link #NONE} if none or outside this space. */
    public int ownerOf(long address) {
        long offset = address - base;
        if (Long.compareUnsigned(offset, capacity) >= 0) {
            return NONE;
        }
        return owner[(int) (offset >>> CHUNK_SHIFT)];
    }

    synchronized long acquire(int tag, Object meta) {
        if (closed) {
            throw new IllegalStateException("allocator is closed");
        }
        JfrEvents.ChunkMapped event = new JfrEvents.ChunkMapped();
        event.begin(); // a chunk serves thousands of blocks: the clock read costs nothing here
        if (retainedCount > 0) {
            // Still committed and still counted in the budget: hand it over as it is.
            int index = retained[--retainedCount];
            claim(index, tag, meta);
            long chunk = base + ((long) index << CHUNK_SHIFT);
            mapped(event, chunk, tag, true);
            return chunk;
        }
        if (freeCount == 0 && neverUsed == owner.length) {
            throw new OutOfMemoryError("hakmem: pooled address space of " + capacity + " bytes is exhausted");
        }
        budget.take(CHUNK_SIZE);
        int index = freeCount > 0 ? freeChunks[--freeCount] : neverUsed++;
        long chunk = base + ((long) index << CHUNK_SHIFT);
        try {
            pages.commit(chunk, CHUNK_SIZE);
        } catch (RuntimeException | Error e) {
            freeChunks[freeCount++] = index;
            budget.give(CHUNK_SIZE);
            throw e;
        }
        claim(index, tag, meta);
        mapped(event, chunk, tag, false);
        return chunk;
    }

    private void claim(int index, int tag, Object meta) {
        owner[index] = tag;
        attachment[index] = meta;
        if (tag < tracked.length && tracked[tag] != 0) {
            char[] m = new char[SHARD_MARK + 1];
            m[SHARD_MARK] = (char) (tracked[tag] - 1);
            marks[index] = m;
        }
    }

    synchronized void release(int tag, long chunk) {
        long offset = chunk - base;
        if ((offset & (CHUNK_SIZE - 1)) != 0 || Long.compareUnsigned(offset, capacity) >= 0
                || owner[(int) (offset >>> CHUNK_SHIFT)] != tag) {
            throw new IllegalArgumentException("0x" + Long.toHexString(chunk) + " is not a chunk of owner " + tag);
        }
        int index = (int) (offset >>> CHUNK_SHIFT);
        owner[index] = NONE;
        attachment[index] = null;
        marks[index] = null;
        JfrEvents.ChunkUnmapped event = new JfrEvents.ChunkUnmapped();
        event.begin();
        if (!closed && (long) (retainedCount + 1) * CHUNK_SIZE <= retainLimit) {
            retained[retainedCount++] = index;
            unmapped(event, chunk, tierOf(tag), shardOf(tag), true);
            return;
        }
        if (!closed) {
            decommit(chunk);
        }
        freeChunks[freeCount++] = index;
        budget.give(CHUNK_SIZE);
        if (!closed) { // a closing allocator gives every page back at once (retire), with no event per chunk
            unmapped(event, chunk, tierOf(tag), shardOf(tag), false);
        }
    }

    /** The attachment of the chunk holding {@code address} if owner {@code tag} holds it, else null. */
    Object attachment(int tag, long address) {
        long offset = address - base;
        if (Long.compareUnsigned(offset, capacity) >= 0) {
            return null;
        }
        int index = (int) (offset >>> CHUNK_SHIFT);
        return owner[index] == tag ? attachment[index] : null;
    }

    /** Chunks currently held by owner {@code tag}, in address order. */
    synchronized long[] chunksOf(int tag) {
        return java.util.stream.IntStream.range(0, neverUsed).filter(i -> owner[i] == tag)
                .mapToLong(i -> base + ((long) i << CHUNK_SHIFT)).toArray();
    }

    /**
     * A chunk source whose chunks carry owner tag {@code tag} (> 0), counting its core's dirty pages in
     * {@code tierDirty}, which the sources of the tier's other {@code tierCores - 1} shards share.
     */
    public Source source(int tag, AtomicLong tierDirty, int tierCores) {
        if (tag <= NONE || tierCores < 1) {
            throw new IllegalArgumentException("owner tag must be > 0 and tier cores >= 1: " + tag + ", " + tierCores);
        }
        return new Source(this, tag, false, tierDirty, tierCores);
    }

    /** A source over a space of its own, which closing the source unmaps. */
    public ChunkSource source() {
        return new Source(this, 1, true, new AtomicLong(), 1);
    }

    /** Unmaps the whole reservation, committed chunks included. */
    @Override
    public synchronized void close() {
        if (!closed) {
            beginClose();
            pages.unmap(mapping, mappingLength);
        }
    }

    /**
     * First step of an allocator's close: from here on no chunk is acquired, no chunk released is
     * decommitted (a call racing the close may still write to its blocks), and thread caches find no
     * marks, so their next request fails instead of touching a chunk.
     */
    synchronized void beginClose() {
        if (heldAtClose == null) {
            heldAtClose = new boolean[owner.length];
            for (int i = 0; i < neverUsed; i++) {
                heldAtClose[i] = owner[i] != NONE;
            }
        }
        closed = true;
        // Should a core keep a chunk, thread caches still find no marks from here on.
        java.util.Arrays.fill(marks, null);
    }

    /**
     * Last step of an allocator's close: unmaps the reservation but for the chunks held when the close
     * began, whose pages go back to the OS while their range stays mapped (reading as zero), so a call
     * that raced the close and still writes to a block it had cannot fault. Returns what unmaps those,
     * to run once no call can still be inside the allocator.
     */
    synchronized Runnable retire() {
        beginClose();
        java.util.List<long[]> kept = new java.util.ArrayList<>();
        long from = mapping; // start of the range to unmap now
        int i = 0;
        while (i < owner.length) {
            if (!heldAtClose[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < owner.length && heldAtClose[j]) {
                j++;
            }
            long start = base + ((long) i << CHUNK_SHIFT);
            long length = (long) (j - i) << CHUNK_SHIFT;
            if (start > from) {
                unmapQuietly(from, start - from);
            }
            try {
                pages.drop(start, length);
                kept.add(new long[] {start, length});
            } catch (RuntimeException | OutOfMemoryError refused) {
                unmapQuietly(start, length); // cannot keep it without its pages: a racing call may fault
            }
            from = start + length;
            i = j;
        }
        if (mapping + mappingLength > from) {
            unmapQuietly(from, mapping + mappingLength - from);
        }
        PageSource os = pages;
        return () -> kept.forEach(r -> {
            try {
                os.unmap(r[0], r[1]);
            } catch (RuntimeException | OutOfMemoryError refused) {
                // Nothing more to do: the range stays mapped until the process ends; the others go on.
            }
        });
    }

    /** Unmaps a range of a closing space; a refusal leaves it mapped (counted), and the close goes on. */
    private void unmapQuietly(long address, long length) {
        try {
            pages.unmap(address, length);
        } catch (RuntimeException | OutOfMemoryError e) {
            refusals++;
        }
    }

    /** The view of a space a tier core gets. */
    public static final class Source implements ChunkSource {
        private final ChunkSpace space;
        private final int tag;
        private final boolean ownsSpace;
        /** Shared with the sources of the tier's other shards. */
        private final AtomicLong tierDirty;
        private final int tierCores;
        private long reserved;

        Source(ChunkSpace space, int tag, boolean ownsSpace, AtomicLong tierDirty, int tierCores) {
            this.space = space;
            this.tag = tag;
            this.ownsSpace = ownsSpace;
            this.tierDirty = tierDirty;
            this.tierCores = tierCores;
        }

        @Override
        public long chunkSize() {
            return CHUNK_SIZE;
        }

        @Override
        public long acquire(Object attachment) {
            long chunk;
            try {
                chunk = space.acquire(tag, attachment);
            } catch (OutOfMemoryError e) {
                Runnable relief = space.onPressure;
                if (relief == null) {
                    throw e;
                }
                relief.run();
                chunk = space.acquire(tag, attachment);
            }
            reserved += CHUNK_SIZE;
            return chunk;
        }

        @Override
        public void release(long chunk) {
            space.release(tag, chunk);
            reserved -= CHUNK_SIZE;
        }

        @Override
        public Object attachment(long address) {
            return space.attachment(tag, address);
        }

        @Override
        public void discard(long address, long length) {
            if (((address | length) & (OsMemory.PAGE_SIZE - 1)) != 0 || length <= 0 || !ownsRange(address, length)) {
                throw new IllegalArgumentException("discard(0x" + Long.toHexString(address) + ", " + length
                        + ") is not a page range of this source's chunks");
            }
            try {
                space.pages.discard(address, length);
            } catch (RuntimeException | OutOfMemoryError e) {
                // The pages stay resident though the core counts them discarded: memory, not correctness.
                synchronized (space) {
                    space.refusals++;
                }
            }
        }

        private boolean ownsRange(long address, long length) {
            for (long at = address & -CHUNK_SIZE; at < address + length; at += CHUNK_SIZE) {
                if (space.attachment(tag, at) == null) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public long pageSize() {
            return OsMemory.PAGE_SIZE;
        }

        @Override
        public long addTierDirty(long delta) {
            return delta == 0 ? tierDirty.get() : tierDirty.addAndGet(delta);
        }

        @Override
        public int tierCores() {
            return tierCores;
        }

        @Override
        public long reservedBytes() {
            return reserved;
        }

        @Override
        public void close() {
            for (long chunk : space.chunksOf(tag)) {
                release(chunk);
            }
            if (ownsSpace) {
                space.close();
            }
        }
    }
}
