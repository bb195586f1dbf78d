package hakmem.api.spi;

/**
 * The knobs the hot path reads, published as one immutable snapshot (a plain read, no lock, no atomic
 * read-modify-write). A learner replaces the whole snapshot; it never mutates one in place.
 *
 * @param bigCacheBlocks most freed big-block mappings kept for reuse (hakmem's BigCache), 0 to disable
 * @param bigCacheBytes  most bytes kept in those mappings
 * @param retainedChunkBytes most bytes of chunks the tiers released kept committed (pages resident) for
 *                       reuse, so a burst that comes back does not fault every page in again; 0 to give
 *                       them back at once. {@code trim()} gives them back in any case.
 *
 * <p>Pinning the knobs without a learner, or publishing a snapshot from one:
 * {@snippet :
 * Allocator heap = Hakmem.builder().learning(false)
 *         .policy(new Policy(0, 0, 0))                  // no big-block cache, no chunk kept: memory back at once
 *         .build();
 *
 * context.publish(new Policy(32, 256L << 20, 64L << 20)); // in a learner: the whole snapshot at once
 * }
 */
public record Policy(int bigCacheBlocks, long bigCacheBytes, long retainedChunkBytes) {

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
    }
}
