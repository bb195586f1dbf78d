package hakmem.api.runtime;

import java.util.concurrent.atomic.AtomicLong;

/** Bytes mapped from the OS by one allocator, against its memory limit. Shared by chunks and big blocks. */
public final class Budget {

    private final long limit;
    private final AtomicLong reserved = new AtomicLong();

    public Budget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("memory limit must be > 0: " + limit);
        }
        this.limit = limit;
    }

    /** Counts {@code bytes} as mapped, or throws OutOfMemoryError (counting nothing) past the limit. */
    public void take(long bytes) {
        long now;
        do {
            now = reserved.get();
            if (bytes > limit - now) {
                throw new OutOfMemoryError("hakmem: memory limit of " + limit + " bytes exceeded: " + now
                        + " bytes mapped, " + bytes + " more needed");
            }
        } while (!reserved.compareAndSet(now, now + bytes));
    }

    /** Whether {@code bytes} more would fit now. */
    public boolean fits(long bytes) {
        return bytes <= limit - reserved.get();
    }

    public void give(long bytes) {
        reserved.addAndGet(-bytes);
    }

    public long reserved() {
        return reserved.get();
    }

    public long limit() {
        return limit;
    }
}
