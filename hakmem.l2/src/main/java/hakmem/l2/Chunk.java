package hakmem.l2;

import hakmem.api.spi.DirtyPages;

/**
 * Out-of-band metadata of one 2 MiB chunk: which of its 32 pages of 64 KiB are carved into runs, the
 * run covering each page (so a block's run is one array read away from its address), and which free
 * pages are dirty (given back by a run and not discarded yet, so the next run there faults no page).
 */
final class Chunk {

    static final int PAGES = 32;

    /** The core that acquired the chunk: a chunk of another core of the same source is not ours. */
    final L2Core core;
    /** Bit p set: page p belongs to a run. */
    int used;
    /** Which free pages are not discarded since a run last used them (the core's {@code DirtyPages}). */
    final DirtyPages.Pages dirty = new DirtyPages.Pages(this);
    /** The run covering each page, null for a free page. */
    final Run[] runs = new Run[PAGES];
    /** Base address, set once the source has mapped the chunk. */
    long base;
    /** Position in the core's chunk list. */
    int index;

    Chunk(L2Core core) {
        this.core = core;
    }

    /** First page of a free stretch of {@code pages} pages, or -1. */
    int findFree(int pages) {
        int fits = ~used;
        for (int k = 1; k < pages; k++) {
            fits &= fits >>> 1; // bit p stays set while pages p .. p+k are all free
        }
        return fits == 0 ? -1 : Integer.numberOfTrailingZeros(fits);
    }
}
