package hakmem.api;

import java.util.List;

/**
 * Counters of one tier (all its cores together), or of the big-block path ({@code tier() == "big"}).
 *
 * <p>Every byte a tier reserves is in exactly one of three states, so that, in a snapshot taken while no
 * other thread calls the allocator, {@code reservedBytes == handedBytes + cachedBytes + freeBytes}
 * (and {@code handedBytes == liveBytes + wasteBytes()}). The allocator's metadata lives on the Java heap,
 * never in reserved memory, so it has no term here.
 *
 * @param tier          the tier's id
 * @param allocations   blocks handed out since creation
 * @param frees         blocks returned since creation
 * @param liveBlocks    blocks handed out and not yet returned
 * @param liveBytes     bytes asked for by the live blocks
 * @param handedBytes   bytes handed out in the live blocks (their usable sizes)
 * @param reservedBytes bytes mapped from the OS and held by this tier
 * @param cachedBytes   bytes of free blocks kept whole for reuse outside the tier's slabs: in thread caches,
 *                      their away buffers and depots (TLS), in the tier's own caches of freed blocks (l25's
 *                      per-site caches), or the big-block path's cache of freed mappings
 * @param freeBytes     the rest of what the tier reserves, counted from its own structures: free blocks in
 *                      slabs and runs, the tail of a slab or run past its last whole block, free pages of held
 *                      chunks (kept dirty or discarded) and spare chunks; for the big-block path, mappings
 *                      the OS refused to unmap, kept and retried by {@code trim()}
 * @param classes       per size class, where the tier has classes
 */
public record TierStats(String tier, long allocations, long frees, long liveBlocks, long liveBytes,
                        long handedBytes, long reservedBytes, long cachedBytes, long freeBytes, List<ClassStats> classes) {

    /** Copies {@code classes}: the snapshot does not change. */
    public TierStats {
        classes = List.copyOf(classes);
    }

    /**
     * Counters of a tier that does not break down what it reserves beyond its live blocks: nothing cached,
     * and everything else ({@code reservedBytes - handedBytes}) counted as free.
     */
    public TierStats(String tier, long allocations, long frees, long liveBlocks, long liveBytes, long handedBytes,
                     long reservedBytes, List<ClassStats> classes) {
        this(tier, allocations, frees, liveBlocks, liveBytes, handedBytes, reservedBytes, 0, reservedBytes - handedBytes,
                classes);
    }

    /** Internal waste of the live blocks: bytes handed out minus bytes asked. */
    public long wasteBytes() {
        return handedBytes - liveBytes;
    }

    /** Sums counters of several cores of the same tier, class by class. */
    public static TierStats sum(String tier, List<TierStats> parts) {
        long a = 0, f = 0, lb = 0, by = 0, h = 0, r = 0, cached = 0, free = 0;
        var byClass = new java.util.TreeMap<Long, ClassStats>();
        for (TierStats p : parts) {
            a += p.allocations; f += p.frees; lb += p.liveBlocks; by += p.liveBytes; h += p.handedBytes; r += p.reservedBytes;
            cached += p.cachedBytes; free += p.freeBytes;
            for (ClassStats c : p.classes) {
                byClass.merge(c.blockSize(), c, (x, y) -> new ClassStats(x.blockSize(),
                        x.allocations() + y.allocations(), x.frees() + y.frees(), x.liveBlocks() + y.liveBlocks(),
                        x.liveBytes() + y.liveBytes(), x.slabs() + y.slabs(), x.reservedBytes() + y.reservedBytes(),
                        x.cachedBlocks() + y.cachedBlocks()));
            }
        }
        return new TierStats(tier, a, f, lb, by, h, r, cached, free, List.copyOf(byClass.values()));
    }
}
