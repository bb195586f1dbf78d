package hakmem.api.spi;

import hakmem.api.AllocatorStats;

import java.util.concurrent.ScheduledExecutorService;

/**
 * What a learner sees of its allocator and the one way it steers it. One window of a learner's thread:
 * {@snippet :
 * long[] bigTime = new long[1];
 * long lost = context.drainSamples((kind, size, site, tier, nanos, weight) -> {
 *     if (kind == SampleSink.BIG) {
 *         bigTime[0] += nanos * weight;                   // time spent mapping big blocks
 *     }
 * });
 * long held = context.bytesReserved();
 * Policy now = context.policy();
 * if (bigTime[0] > 1_000_000 && now.bigCacheBlocks() < Policy.ROOMY.bigCacheBlocks()) {
 *     context.publish(Policy.ROOMY);                     // keep more big mappings for reuse
 * }
 * }
 */
public interface LearnerContext {

    /**
     * A fresh stats snapshot. It takes each tier's lock briefly, so a learner calls it seldom (for a
     * report on demand, not every window); the samples and the counters below need no lock.
     */
    AllocatorStats stats();

    /** The policy the allocator follows now. */
    Policy policy();

    /** Makes {@code policy} the one the hot path reads from now on. */
    void publish(Policy policy);

    /**
     * Hands every sample recorded since the previous call to {@code sink}, oldest first, on the calling
     * thread; returns how many samples were lost since the previous call because their ring was full
     * (the allocating threads never wait for the learner: they overwrite the oldest).
     */
    long drainSamples(SampleSink sink);

    /** Bytes the allocator holds from the OS now ({@code AllocatorStats.reservedBytes()}), read without a lock. */
    long bytesReserved();

    /** Requests per sample on the locked pooled paths ({@link SampleSink#CORE}). */
    int samplePeriod();

    /**
     * Bytes of fresh pages mapped or committed from the OS since the allocator opened, cumulative: each
     * such page costs a page fault on first touch, which is what memory kept for reuse saves.
     */
    long bytesMapped();

    /** The name of the site with id {@code id} ({@code ""} for 0, the unlabelled requests). */
    String siteName(int id);

    /**
     * The learning mode asked for by the builder or the {@code hakmem.learning.mode} property, or null
     * for the learner's default. The learner rejects a name it does not know.
     */
    String mode();

    /**
     * The executor the user asked the learner to run its periodic work on (the builder's
     * {@code learnerExecutor}), or null: the learner runs a daemon thread of its own. A learner given one
     * starts no thread, cancels its task on {@link Learner#close()} and never shuts the executor down.
     */
    default ScheduledExecutorService executor() {
        return null;
    }
}
