package hakmem.api.spi;

/** A running learner bound to one allocator. */
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
