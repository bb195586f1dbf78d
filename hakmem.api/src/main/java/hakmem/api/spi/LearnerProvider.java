package hakmem.api.spi;

/**
 * A learning engine. At most one is used per allocator: the one named by
 * {@code Hakmem.builder().learner(id)} or the {@code hakmem.learner} property, else the only one found.
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
