package hakmem.api.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An {@link Arena} whose memory comes from a {@link PooledAllocator}'s pools and whose {@link #close()}
 * gives it all back. Temporal safety is the JDK's own: each pooled arena keeps an inner JDK arena
 * ({@link Arena#ofConfined()} or {@link Arena#ofShared()}) that backs no memory, and every segment it
 * returns is scoped to that inner arena. Owner-thread checks, "already closed", a close refused while a
 * downcall holds a segment, and the shared close's handshake with threads in the middle of an access are
 * therefore exactly the JDK's.
 *
 * <p>Protocol: {@code allocate} takes a zeroed block from the allocator, scopes it to the inner arena
 * (which checks the owner thread and that the arena is open, before anything of ours is touched), then
 * records it. {@code close} closes the inner arena first: once that returns, no segment of this arena can
 * be reached, so the blocks can go back to the pools and be handed to anyone else. A block therefore
 * never outlives its arena's segments.
 *
 * <p>Bookkeeping: a growable array of block addresses. The confined arena touches it only after the inner
 * arena's owner check passed, so from the owner thread alone. The shared arena guards it with the arena's
 * monitor and a {@code closed} flag set under that monitor: an allocation that records its block before
 * the close takes the array has it freed by that close (the segment it returns is already dead, as one a
 * JDK arena hands out while it closes); one that comes after frees its block itself and throws.
 *
 * <p>Rejected: a scope of our own (it would have to re-create the JDK's thread checks and shared-close
 * handshake, which are not public); freeing blocks before closing the inner arena (a racing access
 * could touch a block already handed to someone else).
 */
abstract sealed class PooledArena implements Arena {

    private static final int FIRST_CAPACITY = 8;

    final PooledAllocator allocator;
    final Arena inner;
    /** Addresses of the blocks held, {@code count} of them; null once closed. */
    long[] blocks = new long[FIRST_CAPACITY];
    int count;

    private PooledArena(PooledAllocator allocator, Arena inner) {
        this.allocator = allocator;
        this.inner = inner;
    }

    static Arena confined(PooledAllocator allocator) {
        return new Confined(allocator);
    }

    static Arena shared(PooledAllocator allocator) {
        return new Shared(allocator);
    }

    @Override
    public final MemorySegment.Scope scope() {
        return inner.scope();
    }

    /**
     * A zeroed block from the pools, scoped to the inner arena; on the JDK's refusal the block goes back.
     * Zeroed before it is scoped or recorded, while no one else can reach it, so a racing close has
     * nothing to abort. A bad alignment takes the public path, which throws the allocator's exception.
     */
    final MemorySegment scoped(long byteSize, long byteAlignment) {
        boolean valid = byteAlignment > 0 && (byteAlignment & (byteAlignment - 1)) == 0
                && byteAlignment <= PooledAllocator.MAX_ALIGNMENT;
        long p = valid
                ? allocator.allocate(byteSize, byteAlignment, 0, true)
                : allocator.allocate(byteSize, byteAlignment).address();
        try {
            return MemorySegment.ofAddress(p).reinterpret(byteSize, inner, null);
        } catch (RuntimeException e) {
            allocator.free(p);
            throw e;
        }
    }

    final void record(long p) {
        long[] b = blocks;
        if (count == b.length) {
            b = blocks = java.util.Arrays.copyOf(b, b.length * 2);
        }
        b[count++] = p;
    }

    /**
     * Frees the first {@code n} of {@code held}, all of them even if some throw (a block the user also
     * passed to {@code free} is a double free); the first failure is thrown after, the rest suppressed.
     * Nothing to free once the allocator is closed: its close gave every page back.
     */
    final void freeAll(long[] held, int n) {
        RuntimeException failure = null;
        for (int i = 0; i < n && !allocator.isClosed(); i++) {
            try {
                allocator.free(held[i]);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Owner thread only, as the inner confined arena enforces before the bookkeeping is touched. */
    private static final class Confined extends PooledArena {

        Confined(PooledAllocator allocator) {
            super(allocator, Arena.ofConfined());
        }

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            MemorySegment s = scoped(byteSize, byteAlignment);
            record(s.address());
            return s;
        }

        @Override
        public void close() {
            inner.close(); // throws WrongThreadException or IllegalStateException as the JDK's arena does
            long[] held = blocks;
            blocks = null;
            freeAll(held, count);
        }
    }

    /** Any thread; the block array is guarded by this arena's monitor. */
    private static final class Shared extends PooledArena {

        /** Guarded by {@code this}; set once the close has taken the block array. */
        private boolean closed;

        Shared(PooledAllocator allocator) {
            super(allocator, Arena.ofShared());
        }

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            MemorySegment s = scoped(byteSize, byteAlignment);
            boolean recorded;
            synchronized (this) {
                recorded = !closed;
                if (recorded) {
                    record(s.address());
                }
            }
            if (!recorded) {
                allocator.free(s.address());
                throw new IllegalStateException("Already closed");
            }
            return s;
        }

        @Override
        public void close() {
            inner.close(); // the JDK's handshake: once it returns, no thread is inside a segment of ours
            long[] held;
            int n;
            synchronized (this) {
                closed = true;
                held = blocks;
                n = count;
                blocks = null;
            }
            freeAll(held, n);
        }
    }
}
