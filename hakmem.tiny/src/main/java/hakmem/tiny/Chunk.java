package hakmem.tiny;

/**
 * The tiny tier's metadata for one 2 MiB chunk (its {@link hakmem.api.spi.ChunkSource} attachment):
 * 32 slots of 64 KiB, each either a {@link Slab} assigned to a size class or free. A free slot's pages are
 * untouched (fresh chunk) or were given back to the OS when its slab emptied, so it holds no memory.
 */
final class Chunk {

    static final int SHIFT = 21;
    static final long SIZE = 1L << SHIFT;
    static final int SLABS = (int) (SIZE >>> Slab.SHIFT);
    static final int ALL_FREE = -1;

    /** Set right after the source maps the chunk (the source needs this object first). */
    long base;
    final Slab[] slabs = new Slab[SLABS];
    /** Bit {@code i} set: slot {@code i} is free ({@code slabs[i] == null}). */
    int freeSlots = ALL_FREE;

    /** Links of the core's list of all chunks. */
    Chunk prev;
    Chunk next;
    /** Links of the core's list of chunks with a free slot ({@code freeSlots != 0}). */
    Chunk prevWithFree;
    Chunk nextWithFree;
    boolean inFreeList;
}
