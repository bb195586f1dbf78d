package hakmem.api.spi;

import java.util.function.Consumer;

/**
 * Free pages a tier core keeps undiscarded ("dirty": a block placed on them later faults no page in),
 * shared by the tiers that hand out whole pages. The floor is the tier's, however many shards (cores)
 * it has: a core keeps a page while the tier's cores together keep at most {@code floor} bytes (a count
 * they share, {@link ChunkSource#addTierDirty}), or while this core keeps at most its share of the floor
 * (floor over the cores: shards that went idle holding the floor do not leave the busy ones none) or
 * {@code held >>> ratioShift}, {@code held} being what it has in use (jemalloc's old dirty ratio: a big
 * heap churning keeps proportionally more). Pages past that are discarded at once (madvise), and when
 * the allowance shrinks the chunks dirtied longest ago are discarded first.
 *
 * <p>A core tells the shared count of its changes a grain at a time (at most {@link #GRAIN}, and no
 * more than its share unless that is under a page, so what the cores have not told yet stays within
 * the floor), so the cores of a busy tier do not all write one cache line on every page. A tier thus keeps at most three times its floor plus
 * an eighth (for a shift of 3) of what its cores hold, and a core alone at most {@link #budget}.
 *
 * <p>A chunk has at most 32 pages, tracked in an int mask. Single-threaded, like the core that owns
 * it, but for the shared count.
 *
 * <p>In a core of 64 KiB pages (32 to a chunk) with a floor of 16 MiB for the tier:
 * {@snippet :
 * DirtyPages dirty = new DirtyPages(chunks, 16, 16L << 20, 3);  // pages of 2^16 B; budget grows as held >>> 3
 * DirtyPages.Pages pages = new DirtyPages.Pages(chunkMeta);     // one per chunk the core holds
 *
 * dirty.take(pages, 0b0110);                   // pages 1 and 2 go into use: no longer dirty
 * dirty.give(pages, chunk, 0b0110, heldBytes);  // freed again: kept dirty within the allowance, else discarded
 * dirty.forget(pages);                         // before the chunk is released
 * chunks.release(chunk);
 * }
 */
public final class DirtyPages {

    /** Most bytes a core's count may differ from what the tier's count has of it. */
    public static final long GRAIN = 1L << 20;

    /** One chunk's dirty pages and its place in the oldest-first list; a core keeps one per chunk. */
    public static final class Pages {
        private final Object owner;
        private long base;
        private int mask;
        private Pages prev;
        private Pages next;

        /** @param owner the core's metadata for the chunk, for diagnostics */
        public Pages(Object owner) {
            this.owner = owner;
        }

        /** Bit p set: page p is free and not discarded since it was last used. */
        public int mask() {
            return mask;
        }

        /** @return the core's metadata for the chunk, as given to the constructor */
        public Object owner() {
            return owner;
        }
    }

    private final ChunkSource chunks;
    private final int pageShift;
    private final long floor;
    private final int ratioShift;
    /** This core's share of the floor. */
    private final long share;
    /** This core's grain: see the class comment. */
    private final long grain;
    private long bytes;
    /** Of {@code bytes}, what the tier's count has. */
    private long told;
    private Pages head;
    private Pages tail;

    /**
     * @param pageShift  log2 of the page size the core works in (pages per chunk at most 32)
     * @param floor      bytes the tier's cores together keep undiscarded however little they hold
     * @param ratioShift the budget grows as held bytes >>> this
     */
    public DirtyPages(ChunkSource chunks, int pageShift, long floor, int ratioShift) {
        if (floor < 0) {
            throw new IllegalArgumentException("dirty budget must be >= 0: " + floor);
        }
        if ((chunks.chunkSize() >>> pageShift) > 32 || (1L << pageShift) % chunks.pageSize() != 0) {
            throw new IllegalArgumentException("pages of 2^" + pageShift + " B do not fit 32 to a chunk of "
                    + chunks.chunkSize() + " B in OS pages of " + chunks.pageSize() + " B");
        }
        this.chunks = chunks;
        this.pageShift = pageShift;
        this.floor = floor;
        this.ratioShift = ratioShift;
        this.share = floor / chunks.tierCores();
        this.grain = Math.min(GRAIN, Math.max(1L << pageShift, share));
    }

    /** Most bytes of free pages this core keeps undiscarded while it has {@code held} bytes in use. */
    public long budget(long held) {
        return Math.max(floor, held >>> ratioShift);
    }

    /** Bytes of this core's dirty pages now. */
    public long bytes() {
        return bytes;
    }

    /** Pages {@code mask} of a chunk go back into use: whichever were dirty no longer are. */
    public void take(Pages p, int mask) {
        int m = p.mask & mask;
        if (m != 0) {
            count(-size(m));
            p.mask &= ~mask;
            if (p.mask == 0) {
                unlink(p);
            }
        }
    }

    /**
     * Free pages {@code mask} of the chunk at {@code base} stay dirty within the allowance (the class
     * comment), else they are discarded; then, as the allowance may have shrunk, the chunks dirtied
     * longest ago are discarded until it holds.
     */
    public void give(Pages p, long base, int mask, long held) {
        long b = size(mask);
        long own = Math.max(held >>> ratioShift, share);
        if (b != 0) {
            // Its own allowance first: then a core within it never reads the line all the tier's cores write.
            if (bytes + b <= own || tierBytes() + b <= floor) {
                if (p.mask == 0) {
                    p.base = base;
                    link(p);
                }
                p.mask |= mask;
                count(b);
            } else {
                discard(base, mask);
            }
        }
        while (bytes > own && tierBytes() > floor) {
            discardChunk(head);
        }
    }

    /** The chunk leaves the core: its dirty pages are forgotten, not discarded (releasing it frees them). */
    public void forget(Pages p) {
        if (p.mask != 0) {
            count(-size(p.mask));
            p.mask = 0;
            unlink(p);
        }
    }

    /** Discards every dirty page. */
    public void discardAll() {
        while (head != null) {
            discardChunk(head);
        }
        settle();
    }

    /** Forgets everything without discarding: the core released all its chunks. */
    public void clear() {
        for (Pages p = head; p != null; ) {
            Pages next = p.next;
            p.mask = 0;
            p.prev = null;
            p.next = null;
            p = next;
        }
        head = null;
        tail = null;
        bytes = 0;
        settle();
    }

    /**
     * Visits the chunks with dirty pages, oldest first, checking the list's links and counts on the
     * way; throws IllegalStateException on an inconsistency.
     */
    public void forEach(Consumer<Pages> visit) {
        Pages prev = null;
        long listed = 0;
        for (Pages p = head; p != null; p = p.next) {
            if (p.prev != prev || p.mask == 0) {
                throw new IllegalStateException("dirty list broken at 0x" + Long.toHexString(p.base));
            }
            listed += size(p.mask);
            visit.accept(p);
            prev = p;
        }
        if (prev != tail || listed != bytes) {
            throw new IllegalStateException("dirty list holds " + listed + " bytes, counted " + bytes);
        }
    }

    private long size(int mask) {
        return (long) Integer.bitCount(mask) << pageShift;
    }

    /** Adds {@code delta} to this core's dirty bytes, and tells the tier once they moved a grain. */
    private void count(long delta) {
        bytes += delta;
        if (Math.abs(bytes - told) >= grain) {
            settle();
        }
    }

    /** Tells the tier's count everything not told yet (trim and release: a core left idle claims nothing). */
    private void settle() {
        if (bytes != told) {
            chunks.addTierDirty(bytes - told);
            told = bytes;
        }
    }

    /** The tier's dirty bytes as this core sees them: the others' as last told, its own exactly. */
    private long tierBytes() {
        return chunks.addTierDirty(0) + bytes - told;
    }

    private void discardChunk(Pages p) {
        discard(p.base, p.mask);
        count(-size(p.mask));
        p.mask = 0;
        unlink(p);
    }

    /** Discards pages {@code mask} of the chunk at {@code base}, stretch by stretch. */
    private void discard(long base, int mask) {
        while (mask != 0) {
            int from = Integer.numberOfTrailingZeros(mask);
            int to = Integer.numberOfTrailingZeros(~(mask >>> from)) + from;
            chunks.discard(base + ((long) from << pageShift), (long) (to - from) << pageShift);
            mask &= to >= 32 ? 0 : -1 << to;
        }
    }

    private void link(Pages p) {
        p.prev = tail;
        p.next = null;
        if (tail != null) {
            tail.next = p;
        } else {
            head = p;
        }
        tail = p;
    }

    private void unlink(Pages p) {
        if (p.prev != null) {
            p.prev.next = p.next;
        } else {
            head = p.next;
        }
        if (p.next != null) {
            p.next.prev = p.prev;
        } else {
            tail = p.prev;
        }
        p.prev = null;
        p.next = null;
    }
}
