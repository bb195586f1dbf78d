package hakmem.api.spi;

/** A running learner bound to one allocator. */
public interface Learner extends AutoCloseable {

    /** Its state in a word for stats, e.g. {@code "LEARN"}, {@code "FROZEN"}. */
    String state();

    /** Stops learning; called once when the allocator closes. Must not throw. */
    @Override
    void close();
}
