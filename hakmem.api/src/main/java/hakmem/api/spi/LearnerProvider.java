package hakmem.api.spi;

/**
 * A learning engine. At most one is used per allocator: the only one found, or the one handed to
 * {@code Hakmem.builder().learnerProviders(...)}; several found is an error naming them all.
 * The learner runs off the hot path (its own daemon thread) and steers the allocator only through
 * {@link LearnerContext#publish(Policy)}.
 */
public interface LearnerProvider {

    /** Stable id, e.g. {@code "elo"}. */
    String id();

    /** Starts a learner for one allocator; it runs until {@link Learner#close()}. */
    Learner start(LearnerContext context);

    /** One line for diagnostics. */
    default String description() {
        return id();
    }
}
