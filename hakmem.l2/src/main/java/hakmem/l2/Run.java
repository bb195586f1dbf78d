package hakmem.l2;

/**
 * Out-of-band metadata of one run: consecutive 64 KiB pages of a chunk cut into blocks of one class.
 * Block {@code i} lies at {@code base + i * blockSize}; bit {@code i} of {@link #freeMask} says it is
 * free, and {@link #requested}{@code [i]} holds the size asked for while it is live.
 *
 * <p>A run is in exactly one state: its class's current run (allocation target, may be empty), on its
 * class's partial list (some blocks live, some free), full (no free block; on no list until a free),
 * or its class's spare (empty, kept back for the next run of that class).
 */
final class Run {

    final Chunk chunk;
    final int firstPage;
    final int pages;
    final long base;
    final int sizeClass;
    final int blockSize;
    final int capacity;
    final long fullMask;
    final long reciprocal;
    /** Bit i set: block i is free. */
    long freeMask;
    final int[] requested;
    /** Partial-list links, meaningful while {@link #partial}. */
    Run prev;
    Run next;
    boolean partial;

    Run(Chunk chunk, int firstPage, int sizeClass) {
        this.chunk = chunk;
        this.firstPage = firstPage;
        this.pages = SizeClass.RUN_PAGES[sizeClass];
        this.base = chunk.base + ((long) firstPage << SizeClass.PAGE_SHIFT);
        this.sizeClass = sizeClass;
        this.blockSize = SizeClass.BLOCK[sizeClass];
        this.capacity = SizeClass.CAPACITY[sizeClass];
        this.fullMask = SizeClass.FULL_MASK[sizeClass];
        this.reciprocal = SizeClass.RECIPROCAL[sizeClass];
        this.freeMask = fullMask;
        this.requested = new int[capacity];
    }

    long bytes() {
        return (long) pages << SizeClass.PAGE_SHIFT;
    }

    /** Page mask of the run within its chunk. */
    int pageMask() {
        return ((1 << pages) - 1) << firstPage;
    }

    boolean isEmpty() {
        return freeMask == fullMask;
    }
}
