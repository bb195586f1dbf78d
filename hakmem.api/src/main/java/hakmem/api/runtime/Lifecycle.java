package hakmem.api.runtime;

/**
 * Whether an allocator is still open: set once by {@code close()}, read by every locked section after
 * it takes its lock, so a call racing {@code close()} either completes before the cores close or
 * throws {@link IllegalStateException}.
 */
final class Lifecycle {

    private volatile boolean closed;

    /** Marks the allocator closed; returns whether this call did it (false: it was closed already). */
    synchronized boolean close() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed");
        }
    }
}
