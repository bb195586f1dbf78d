package hakmem.api.spi;

/**
 * The knobs the hot path reads, published as one immutable snapshot (a plain read, no lock, no atomic
 * read-modify-write). A learner replaces the whole snapshot; it never mutates one in place.
 *
 * <p>Pinning the knobs without a learner, or publishing a snapshot from one:
 * {@snippet :
 * Allocator heap = Hakmem.builder().learning(false)
 *         .policy(new Policy(0, 0, 0).withRoundingSlack(1.0)) // nothing kept for reuse, no rounding up
 *         .build();
 *
 * context.publish(new Policy(32, 256L << 20, 64L << 20)); // in a learner: the whole snapshot at once
 * }
 *
 * @param bigCacheBlocks most freed big-block mappings kept for reuse (hakmem's BigCache), 0 to disable
 * @param bigCacheBytes  most bytes kept in those mappings
 * @param retainedChunkBytes most bytes of chunks the tiers released kept committed (pages resident) for
 *                       reuse, so a burst that comes back does not fault every page in again; 0 to give
 *                       them back at once. {@code trim()} gives them back in any case.
 * @param poolMaxBytes   the largest request the pool tiers serve; larger ones take the big-block path
 *                       (1 B to {@code Allocator.MAX_SIZE}; past the largest tier's range it changes nothing).
 *                       Requests the thread caches serve are not affected: their sizes are fixed when the
 *                       allocator is built. Read on the locked paths, once a request.
 * @param roundingSlack  W_MAX, 1 to 64: a tier that rounds requests up to a larger class (l25) may hand a
 *                       request of {@code s} bytes a cached block of up to {@code roundingSlack * s} bytes;
 *                       below 2 every request keeps to its own class. Given to every tier core
 *                       ({@link TierCore#apply}) under its lock when published.
 */
public record Policy(int bigCacheBlocks, long bigCacheBytes, long retainedChunkBytes, long poolMaxBytes,
                     double roundingSlack) {

    /** Every request a pool tier covers goes to it. */
    public static final long NO_POOL_MAX = Long.MAX_VALUE >>> 1;
    /** W_MAX when none is given: a request never takes a block over twice its size. */
    public static final double DEFAULT_SLACK = 2.0;

    /** The policy an allocator starts with. */
    public static final Policy DEFAULT = new Policy(16, 64L << 20, 128L << 20);
    /** Little kept for reuse: for idle phases, when memory held is what counts. */
    public static final Policy LEAN = new Policy(2, 8L << 20, 8L << 20);
    /** Much kept for reuse: for bursts of big short-lived blocks that would otherwise be mapped anew each time. */
    public static final Policy ROOMY = new Policy(64, 512L << 20, 256L << 20);

    /** Checks the bounds of each knob. */
    public Policy {
        if (bigCacheBlocks < 0 || bigCacheBlocks > 4096) {
            throw new IllegalArgumentException("bigCacheBlocks must be 0..4096: " + bigCacheBlocks);
        }
        if (bigCacheBytes < 0) {
            throw new IllegalArgumentException("bigCacheBytes must be >= 0: " + bigCacheBytes);
        }
        if (retainedChunkBytes < 0) {
            throw new IllegalArgumentException("retainedChunkBytes must be >= 0: " + retainedChunkBytes);
        }
        if (poolMaxBytes < 1) {
            throw new IllegalArgumentException("poolMaxBytes must be >= 1: " + poolMaxBytes);
        }
        if (!(roundingSlack >= 1.0 && roundingSlack <= 64.0)) {
            throw new IllegalArgumentException("roundingSlack (W_MAX) must be in [1, 64]: " + roundingSlack);
        }
    }

    /** The big-block cache and retained chunks as given; every request a tier covers goes to it, W_MAX 2. */
    public Policy(int bigCacheBlocks, long bigCacheBytes, long retainedChunkBytes) {
        this(bigCacheBlocks, bigCacheBytes, retainedChunkBytes, NO_POOL_MAX, DEFAULT_SLACK);
    }

    /** This policy with requests over {@code bytes} sent to the big-block path. */
    public Policy withPoolMaxBytes(long bytes) {
        return new Policy(bigCacheBlocks, bigCacheBytes, retainedChunkBytes, bytes, roundingSlack);
    }

    /** This policy with W_MAX {@code slack}. */
    public Policy withRoundingSlack(double slack) {
        return new Policy(bigCacheBlocks, bigCacheBytes, retainedChunkBytes, poolMaxBytes, slack);
    }
}
