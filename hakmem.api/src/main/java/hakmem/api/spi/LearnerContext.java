package hakmem.api.spi;

import hakmem.api.AllocatorStats;

/** What a learner sees of its allocator and the one way it steers it. */
public interface LearnerContext {

    /** A fresh stats snapshot (takes each tier's lock briefly: call it from the learner's thread only). */
    AllocatorStats stats();

    /** The policy the allocator follows now. */
    Policy policy();

    /** Makes {@code policy} the one the hot path reads from now on. */
    void publish(Policy policy);
}
