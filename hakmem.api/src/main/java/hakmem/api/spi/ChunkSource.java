package hakmem.api.spi;

import hakmem.api.runtime.ChunkSpace;

/**
 * Where a tier core takes memory from: chunks of {@link #chunkSize()} bytes, aligned to their size, so
 * that {@code address & -chunkSize()} finds a block's chunk in O(1). The source remembers one
 * attachment (the core's out-of-band metadata for the chunk) per chunk it hands out.
 *
 * <p>A source given to a core is used from that core's thread only (see {@link TierCore}).
 *
 * <p>What a core does with its source:
 * {@snippet :
 * long chunk = chunks.acquire(meta);                 // chunkSize() bytes, aligned to chunkSize(), zero-filled
 * SlabMeta m = (SlabMeta) chunks.attachment(p);      // for any address p: its chunk's metadata, or null
 * chunks.discard(chunk + 4 * chunks.pageSize(), chunks.pageSize()); // a free page's memory back, still mapped
 * chunks.release(chunk);                             // the whole chunk back to the allocator
 * }
 * and a core driven alone, in a test or a tool:
 * {@snippet :
 * try (ChunkSource chunks = ChunkSource.standalone(64L << 20)) {
 *     TierCore core = new Fixed64Provider().create(chunks);
 *     long p = core.allocate(48, 16, 0);
 *     core.free(p);
 *     core.close();
 * }
 * }
 */
public interface ChunkSource extends AutoCloseable {

    /** Size and alignment of every chunk, a power of two (2 MiB). */
    long chunkSize();

    /**
     * Maps a chunk (readable, writable) and remembers {@code attachment} for it. A fresh chunk is
     * zero-filled; one the allocator kept committed after a release may still hold old data.
     *
     * @throws OutOfMemoryError when the allocator's memory limit or address space is exhausted
     */
    long acquire(Object attachment);

    /** Unmaps a chunk this source handed out; its memory goes back to the OS. */
    void release(long chunk);

    /**
     * The attachment of the chunk containing {@code address} if this source handed that chunk out and
     * has not released it, else {@code null}. Never throws: any long is a valid question.
     */
    Object attachment(long address);

    /**
     * Gives the pages of {@code [address, address + length)} back to the OS (madvise DONTNEED): they
     * stay mapped and read as zero on next touch. Both values must be multiples of {@link #pageSize()}.
     */
    void discard(long address, long length);

    /** The OS page size. */
    long pageSize();

    /**
     * Adds {@code delta} to the bytes of free pages kept undiscarded ({@link DirtyPages}) by all the cores
     * of this source's tier, every shard's together, and returns the new total ({@code 0} reads it).
     * Their floor is one for the tier, so more shards do not keep more. Thread-safe.
     */
    long addTierDirty(long delta);

    /** How many cores share the count of {@link #addTierDirty} (the tier's shards). */
    int tierCores();

    /** Bytes currently mapped through this source (its chunks). */
    long reservedBytes();

    /** Releases every chunk this source still holds. */
    @Override
    void close();

    /**
     * A source of its own, outside any allocator: for driving a tier core alone in tests and tools.
     * Close it to unmap everything.
     *
     * @param capacity bytes of address space to reserve (rounded up to whole chunks)
     */
    static ChunkSource standalone(long capacity) {
        return ChunkSpace.reserve(capacity, Long.MAX_VALUE).source();
    }
}
