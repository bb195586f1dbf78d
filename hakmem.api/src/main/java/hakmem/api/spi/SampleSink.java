package hakmem.api.spi;

/**
 * Receives the samples a learner drains ({@link LearnerContext#drainSamples}). Nothing is sampled on a
 * thread cache's fast path: a thread samples one refill of its magazines in {@link #REFILL_PERIOD}; the
 * locked paths sample one request in {@link LearnerContext#samplePeriod()} (a countdown per shard, under
 * the shard's lock); every request and free on the big-block path is sampled, its calls to the OS dwarf
 * the clock reads.
 *
 * <p>Counting requests per site from one drain (each sample stands for {@code weight} requests):
 * {@snippet :
 * Map<Integer, Long> requests = new HashMap<>();
 * context.drainSamples((kind, size, site, tier, nanos, weight) -> {
 *     if (kind != SampleSink.BIG_FREE) {
 *         requests.merge(site, (long) weight, Long::sum);
 *     }
 * });
 * requests.forEach((site, n) -> System.out.println(context.siteName(site) + ": about " + n + " requests"));
 * }
 */
@FunctionalInterface
public interface SampleSink {

    /** A thread cache's refill of its magazine for the request's class (from a depot or a core). */
    int REFILL = 0;
    /** A request served by a tier core without a thread cache (LOCKED, SHARDED, large sizes, uncached threads). */
    int CORE = 1;
    /** A request served by the big-block path. */
    int BIG = 2;
    /** A free of a big block. */
    int BIG_FREE = 3;

    /** Refills per {@link #REFILL} sample: a sample's time stands for this many refills. */
    int REFILL_PERIOD = 16;

    /**
     * One sample.
     *
     * @param kind   {@link #REFILL}, {@link #CORE}, {@link #BIG} or {@link #BIG_FREE}
     * @param size   bytes asked by the request (for {@link #BIG_FREE}: the block's usable bytes)
     * @param site   the request's site id, 0 when unlabelled
     * @param tier   index of the tier that served it in {@code AllocatorStats.tiers()} order
     * @param nanos  time it took inside hakmem, locks awaited excluded
     * @param weight requests the sample stands for: for {@link #REFILL}, those the thread's cache served
     *               from that class since the class's previous sampled refill; else the path's sampling
     *               period (1 on the big-block path)
     */
    void sample(int kind, long size, int site, int tier, long nanos, int weight);
}
