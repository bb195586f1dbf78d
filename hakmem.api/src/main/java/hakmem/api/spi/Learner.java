package hakmem.api.spi;

/**
 * A running learner bound to one allocator, made by {@link LearnerProvider#start}; the allocator reads its
 * {@link #state()} for stats and closes it when it closes itself.
 * {@snippet :
 * Learner learner = provider.start(context);     // the allocator does this once, when it is built
 * String first = learner.state().lines().findFirst().orElse("");   // e.g. "BALANCED FROZEN default"
 * learner.close();                               // the allocator does this in close()
 * }
 */
public interface Learner extends AutoCloseable {

    /**
     * Its state for stats, from any thread: a first line of a few words (e.g. {@code "BALANCED FROZEN
     * default"}), then, on further lines, whatever details it keeps (its candidates' ratings, its
     * transitions and why, what it learned per site). Must not block on the allocator.
     */
    String state();

    /** Stops learning; called once when the allocator closes. Must not throw. */
    @Override
    void close();
}
