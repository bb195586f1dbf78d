package hakmem.api;

import java.util.List;
import java.util.NoSuchElementException;

/**
 * A snapshot of an allocator's counters. {@link #toString()} is the readable {@link #report()}; the
 * components and the methods below give the exact numbers.
 *
 * <p>Accounting: every byte reserved from the OS is live in a block (handed out), cached, free in a tier, or
 * retained, so in a snapshot taken while no other thread calls the allocator
 * {@code reservedBytes == handedBytes() + cachedBytes() + freeBytes() + retainedBytes}, and each tier's
 * {@link TierStats} adds up the same way. Metadata is on the Java heap and reserves nothing.
 *
 * @param concurrency   the variant in use
 * @param tiers         each tier in size order, then the big-block path ({@code "big"})
 * @param reservedBytes bytes mapped from the OS in all: the tiers', the big blocks' and {@code retainedBytes}
 * @param retainedBytes bytes of chunks released by the tiers and kept committed for reuse
 * @param memoryLimit   the limit on {@code reservedBytes}, {@code Long.MAX_VALUE} when unlimited
 * @param learner       the learner's id and state, or {@code "off"}: a first line of a few words, then
 *                      the learner's details on further lines (its policy, ratings, transitions, sites)
 * @param caches        the thread caches' counters ({@link CacheStats#NONE} unless TLS)
 * @param locks         contention on the allocator's locks, one entry per kind: each tier's cores, the
 *                      thread caches' depots (TLS), the big-block path
 */
public record AllocatorStats(Concurrency concurrency, List<TierStats> tiers, long reservedBytes,
                             long retainedBytes, long memoryLimit, String learner, CacheStats caches,
                             List<LockStats> locks) {

    /** Copies {@code tiers} and {@code locks}: the snapshot does not change. */
    public AllocatorStats {
        tiers = List.copyOf(tiers);
        locks = List.copyOf(locks);
    }

    /** The stats of tier {@code id} ({@code "big"} for the big-block path). */
    public TierStats tier(String id) {
        for (TierStats t : tiers) {
            if (t.tier().equals(id)) {
                return t;
            }
        }
        throw new NoSuchElementException("no tier '" + id + "' in this allocator; it has "
                + tiers.stream().map(TierStats::tier).toList());
    }

    /** @return the allocations of every tier */
    public long allocations() {
        return tiers.stream().mapToLong(TierStats::allocations).sum();
    }

    /** @return the frees of every tier */
    public long frees() {
        return tiers.stream().mapToLong(TierStats::frees).sum();
    }

    /** @return the blocks live in every tier */
    public long liveBlocks() {
        return tiers.stream().mapToLong(TierStats::liveBlocks).sum();
    }

    /** Bytes asked for by all live blocks. */
    public long liveBytes() {
        return tiers.stream().mapToLong(TierStats::liveBytes).sum();
    }

    /** Bytes handed out in all live blocks (their usable sizes). */
    public long handedBytes() {
        return tiers.stream().mapToLong(TierStats::handedBytes).sum();
    }

    /** Bytes of free blocks kept whole for reuse: thread caches, tiers' own caches, the big-block cache. */
    public long cachedBytes() {
        return tiers.stream().mapToLong(TierStats::cachedBytes).sum();
    }

    /** Bytes the tiers reserve that are neither handed out nor cached (see {@link TierStats#freeBytes()}). */
    public long freeBytes() {
        return tiers.stream().mapToLong(TierStats::freeBytes).sum();
    }

    /**
     * A multi-line report for people: a header (variant, bytes reserved, retained and the limit, the
     * learner), the thread caches (TLS), a table of the tiers (allocations, frees, live blocks, live,
     * handed, wasted, cached, free and reserved bytes), lock contention (a table, or one line when
     * none) and, for each tier with classes, a table of its classes (block size, allocations, frees,
     * live blocks, live bytes, cached blocks, slabs, reserved bytes; classes never used are left out). Counts and block sizes are exact, other bytes in B, KiB, MiB, GiB with
     * one decimal. Its layout may change between versions: read the components to process numbers.
     */
    public String report() {
        return StatsReport.of(this);
    }

    /**
     * The {@link #report()}: printing a snapshot is how a person reads it, and the record's generated
     * one-line form of nested records is unreadable.
     */
    @Override
    public String toString() {
        return report();
    }
}
