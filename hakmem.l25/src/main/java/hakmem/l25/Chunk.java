package hakmem.l25;

import hakmem.api.spi.DirtyPages;

/**
 * Out-of-band metadata of one 2 MiB chunk of 32 pages of 64 KiB. A block of class {@code c} is a run of
 * {@code 2^c} pages starting at a page index that is a multiple of {@code 2^c}; its first page (the
 * head) carries the block's state, shard and requested size, the others are marked {@link #BODY}.
 *
 * <p>Free pages are either clean (discarded, or never touched) or dirty ({@link #dirty}: given back recently
 * and kept, within the core's budget, so the next block placed there needs no page faults). The chunk
 * sits in the core's fit list of {@link #maxFree}, the largest class it has a free aligned run for.
 */
final class Chunk {

    static final int PAGES = 32;

    static final byte FREE = 0;
    /** Head page of a block handed out. */
    static final byte LIVE = 1;
    /** Head page of a freed block waiting in a shard's cache. */
    static final byte CACHED = 2;
    /** A page of a block after its head. */
    static final byte BODY = 3;

    /** Positions where a naturally aligned run of {@code 2^c} pages may start, c = 0 .. 5. */
    private static final int[] ALIGNED_STARTS = {0xFFFF_FFFF, 0x5555_5555, 0x1111_1111, 0x0101_0101, 0x0001_0001, 1};

    /** The core that acquired the chunk: a chunk of another core of the same source is not ours. */
    final L25Core core;
    /** Bit p set: page p belongs to a block, live or cached. */
    int used;
    /** Which free pages are not discarded since they were last used (the core's {@code DirtyPages}). */
    final DirtyPages.Pages dirty = new DirtyPages.Pages(this);
    final byte[] state = new byte[PAGES];
    /** Class of the block covering each page (every page of the block). */
    final byte[] sizeClass = new byte[PAGES];
    /** Shard of the block, at its head: the shard of the site that last allocated it. */
    final byte[] shard = new byte[PAGES];
    /** Bytes asked for the live block, at its head. */
    final int[] requested = new int[PAGES];
    long base;
    /** Position in the core's chunk list. */
    int index;
    /** Largest class with a free aligned run here, -1 when none; the core's fit list this chunk is on. */
    int maxFree = -1;
    Chunk prevFit;
    Chunk nextFit;

    Chunk(L25Core core) {
        this.core = core;
    }

    /** Bit q of the result: the aligned run of {@code 2^c} pages at q is clear in {@code occupied}. */
    private static int clearRuns(int occupied, int c) {
        int f = ~occupied;
        for (int k = 0; k < c && f != 0; k++) {
            f &= (f >>> (1 << k)) & ALIGNED_STARTS[k + 1]; // both halves of the run at q are clear
        }
        return f;
    }

    /**
     * First page of a naturally aligned run of {@code 2^c} pages all clear in {@code occupied}, or -1.
     * Prefers a run whose buddy (the other half of the enclosing run of {@code 2^(c+1)}) is taken, so
     * larger free runs are split only when no exact hole is left.
     */
    static int findAligned(int occupied, int c) {
        int f = clearRuns(occupied, c);
        if (f == 0) {
            return -1;
        }
        int half = 1 << c;
        int pairs = f & (f >>> half) & ALIGNED_STARTS[c + 1];
        int lonely = f & ~(pairs | (pairs << half));
        return Integer.numberOfTrailingZeros(lonely != 0 ? lonely : f);
    }

    /** Largest class with a naturally aligned run clear in {@code occupied}, or -1. */
    static int maxFreeClass(int occupied) {
        int f = ~occupied;
        int c = -1;
        for (int k = 0; k < L25Core.CLASSES && f != 0; k++) {
            c = k;
            f &= (f >>> (1 << k)) & ALIGNED_STARTS[k + 1];
        }
        return c;
    }

    /** Page mask of a block of class {@code c} whose head is page {@code p}. */
    static int pageMask(int p, int c) {
        return (int) ((1L << (1 << c)) - 1) << p;
    }

    /** Head page of the block covering page {@code p} (which must be used). */
    int headOf(int p) {
        return p & -(1 << sizeClass[p]);
    }

    /** Pages of blocks waiting in caches: they can be taken back if the chunk needs room. */
    int cachedPages() {
        int mask = 0;
        for (int p = 0; p < PAGES; p++) {
            if (state[p] == CACHED) {
                mask |= pageMask(p, sizeClass[p]);
            }
        }
        return mask;
    }
}
