package hakmem.api;

/**
 * An allocator as JMX shows it, registered as {@code hakmem:type=Allocator,name=<name>} with the platform
 * MBean server when the allocator is built with {@link Hakmem.Builder#jmx(boolean) jmx(true)}, a
 * {@link Hakmem.Builder#name(String) name} or {@code -Dhakmem.jmx=true}, and unregistered by
 * {@link Allocator#close()}. Each attribute takes a fresh {@link Allocator#stats()} snapshot, so reading
 * several is not atomic; {@link #getReport()} gives one consistent snapshot in full.
 */
public interface AllocatorMXBean {

    /** The name in this bean's {@code ObjectName}. */
    String getName();

    /** {@code LOCKED}, {@code SHARDED} or {@code TLS}. */
    String getConcurrency();

    /** {@link AllocatorStats#reservedBytes()}. */
    long getReservedBytes();

    /** {@link AllocatorStats#retainedBytes()}. */
    long getRetainedBytes();

    /** {@link AllocatorStats#memoryLimit()}: {@code Long.MAX_VALUE} when unlimited. */
    long getMemoryLimit();

    /** {@link AllocatorStats#liveBlocks()}. */
    long getLiveBlocks();

    /** {@link AllocatorStats#liveBytes()}: bytes asked for by the live blocks. */
    long getLiveBytes();

    /** {@link AllocatorStats#allocations()}. */
    long getAllocations();

    /** {@link AllocatorStats#frees()}. */
    long getFrees();

    /** {@link CacheStats#hitRate()}, 0 to 1 (0 unless TLS). */
    double getCacheHitRate();

    /** {@link CacheStats#cachedBytes()} (0 unless TLS). */
    long getCachedBytes();

    /** {@link AllocatorStats#learner()}: the learner's id and state, or {@code off}. */
    String getLearner();

    /** {@link AllocatorStats#report()}. */
    String getReport();

    /** {@link Allocator#trim()}: returns cached and empty memory to the OS now. */
    void trim();
}
