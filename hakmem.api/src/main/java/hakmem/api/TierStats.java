package hakmem.api;

import java.util.List;

/**
 * Counters of one tier (all its cores together), or of the big-block path ({@code tier() == "big"}).
 *
 * @param tier          the tier's id
 * @param allocations   blocks handed out since creation
 * @param frees         blocks returned since creation
 * @param liveBlocks    blocks handed out and not yet returned
 * @param liveBytes     bytes asked for by the live blocks
 * @param handedBytes   bytes handed out in the live blocks (their usable sizes)
 * @param reservedBytes bytes mapped from the OS and held by this tier
 * @param classes       per size class, where the tier has classes
 */
public record TierStats(String tier, long allocations, long frees, long liveBlocks, long liveBytes,
                        long handedBytes, long reservedBytes, List<ClassStats> classes) {

    public TierStats {
        classes = List.copyOf(classes);
    }

    /** Internal waste of the live blocks: bytes handed out minus bytes asked. */
    public long wasteBytes() {
        return handedBytes - liveBytes;
    }

    /** Sums counters of several cores of the same tier, class by class. */
    public static TierStats sum(String tier, List<TierStats> parts) {
        long a = 0, f = 0, lb = 0, by = 0, h = 0, r = 0;
        var byClass = new java.util.TreeMap<Long, ClassStats>();
        for (TierStats p : parts) {
            a += p.allocations; f += p.frees; lb += p.liveBlocks; by += p.liveBytes; h += p.handedBytes; r += p.reservedBytes;
            for (ClassStats c : p.classes) {
                byClass.merge(c.blockSize(), c, (x, y) -> new ClassStats(x.blockSize(),
                        x.allocations() + y.allocations(), x.frees() + y.frees(), x.liveBlocks() + y.liveBlocks(),
                        x.liveBytes() + y.liveBytes(), x.slabs() + y.slabs(), x.reservedBytes() + y.reservedBytes(),
                        x.cachedBlocks() + y.cachedBlocks()));
            }
        }
        return new TierStats(tier, a, f, lb, by, h, r, List.copyOf(byClass.values()));
    }
}
