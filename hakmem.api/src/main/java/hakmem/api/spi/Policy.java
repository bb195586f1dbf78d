package hakmem.api.spi;

/**
 * The knobs the hot path reads, published as one immutable snapshot (a plain read, no lock, no atomic
 * read-modify-write). A learner replaces the whole snapshot; it never mutates one in place.
 *
 * @param bigCacheBlocks most freed big-block mappings kept for reuse (hakmem's BigCache), 0 to disable
 * @param bigCacheBytes  most bytes kept in those mappings
 */
public record Policy(int bigCacheBlocks, long bigCacheBytes) {

    /** The policy an allocator starts with. */
    public static final Policy DEFAULT = new Policy(16, 64L << 20);

    public Policy {
        if (bigCacheBlocks < 0 || bigCacheBlocks > 4096) {
            throw new IllegalArgumentException("bigCacheBlocks must be 0..4096: " + bigCacheBlocks);
        }
        if (bigCacheBytes < 0) {
            throw new IllegalArgumentException("bigCacheBytes must be >= 0: " + bigCacheBytes);
        }
    }
}
