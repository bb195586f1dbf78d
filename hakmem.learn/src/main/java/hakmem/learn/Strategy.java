package hakmem.learn;

import hakmem.api.spi.Policy;

/**
 * One candidate the engine ranks: a named vector of knobs. For now the knobs are the three the hot path
 * reads from {@link Policy}; each knob that lands in {@code Policy} becomes one more component here, so a
 * strategy stays a plain value that {@link #toPolicy(Policy)} turns into the snapshot to publish.
 *
 * <p>The name is the strategy's identity in the ELO table and in every transition's reason, so it must
 * be non-blank; the knobs are checked by the same rules as {@code Policy}'s.
 *
 * @param name               stable label, e.g. {@code "big-cache-32"}
 * @param bigCacheBlocks     as {@link Policy#bigCacheBlocks()}
 * @param bigCacheBytes      as {@link Policy#bigCacheBytes()}
 * @param retainedChunkBytes as {@link Policy#retainedChunkBytes()}
 */
record Strategy(String name, int bigCacheBlocks, long bigCacheBytes, long retainedChunkBytes) {

    Strategy {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("strategy name must not be blank: " + (name == null ? null : '"' + name + '"'));
        }
        // Policy states the knobs' ranges once; building one checks them with its messages.
        new Policy(bigCacheBlocks, bigCacheBytes, retainedChunkBytes);
    }

    /** The strategy that reproduces {@code policy}, under {@code name}. */
    static Strategy of(String name, Policy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("policy: null");
        }
        return new Strategy(name, policy.bigCacheBlocks(), policy.bigCacheBytes(), policy.retainedChunkBytes());
    }

    /**
     * The snapshot the allocation paths read while this strategy runs: its knobs, and {@code base}'s
     * for the knobs strategies do not vary (the pool max and W_MAX the allocator started with).
     */
    Policy toPolicy(Policy base) {
        return new Policy(bigCacheBlocks, bigCacheBytes, retainedChunkBytes, base.poolMaxBytes(), base.roundingSlack());
    }
}
