package hakmem.api.spi;

/**
 * Receives the samples a learner drains ({@link LearnerContext#drainSamples}). The allocator records
 * one request in every {@link LearnerContext#samplePeriod()} on the pooled paths (a countdown per
 * thread cache class, or per shard under the shard's lock: no atomic, no clock on the fast path) and
 * every request on the big-block path, whose calls to the OS dwarf the clock reads.
 */
@FunctionalInterface
public interface SampleSink {

    /** A request served from a thread cache's magazine. */
    int HIT = 0;
    /** A request that refilled its thread cache's magazine first (from a depot or a core). */
    int REFILL = 1;
    /** A request served by a tier core without a thread cache (LOCKED, SHARDED, large sizes, uncached threads). */
    int CORE = 2;
    /** A request served by the big-block path. */
    int BIG = 3;
    /** A free of a big block. */
    int BIG_FREE = 4;

    /**
     * One sampled request.
     *
     * @param kind   {@link #HIT}, {@link #REFILL}, {@link #CORE}, {@link #BIG} or {@link #BIG_FREE}
     * @param size   bytes asked (for {@link #BIG_FREE}: the block's usable bytes)
     * @param site   the request's site id, 0 when unlabelled
     * @param tier   index of the tier that served it in {@code AllocatorStats.tiers()} order
     * @param nanos  time the request took inside hakmem, locks awaited excluded
     * @param weight how many requests this sample stands for: the sampling period of its path
     */
    void sample(int kind, long size, int site, int tier, long nanos, int weight);
}
