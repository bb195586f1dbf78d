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
 * <p>Small segments (up to {@value #CARVED_MAX} bytes, alignment up to {@value #REGION_ALIGNMENT}) are carved
 * one after another from regions: blocks of 2 KiB, doubling up to 32 KiB, taken from the pools when the
 * last is used up; each segment is zeroed as it is carved (a region is never carved twice). Larger or
 * more aligned segments take a block of their own. A region, like any block, goes back only at close.
 *
 * <p>Bookkeeping: a growable array of block addresses (regions and blocks of their own). The confined
 * arena touches it only after the inner arena's owner check passed, so from the owner thread alone. The shared arena guards it with the arena's
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
    /** Largest segment carved from a region; a larger one takes a block of its own. */
    static final long CARVED_MAX = 1024;
    /** Most alignment a carved segment may ask; regions are aligned to it. */
    static final long REGION_ALIGNMENT = 16;
    private static final long FIRST_REGION = 2048;
    private static final long LAST_REGION = 32 << 10;

    final PooledAllocator allocator;
    final Arena inner;
    /** Addresses of the blocks held, {@code count} of them; null once closed. */
    long[] blocks = new long[FIRST_CAPACITY];
    int count;
    /**
     * The region being carved, scoped to the inner arena (null before the first); below, its address,
     * its next free byte and its end (all 0 before the first).
     */
    MemorySegment region;
    long base;
    long top;
    long end;
    /** Bytes of the next region. */
    long nextRegion = FIRST_REGION;

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

    /** Whether a segment of this size and alignment is carved from a region. */
    static boolean carved(long byteSize, long byteAlignment) {
        return byteSize > 0 && byteSize <= CARVED_MAX && byteAlignment > 0 && byteAlignment <= REGION_ALIGNMENT
                && (byteAlignment & (byteAlignment - 1)) == 0;
    }

    /** Where a carved segment of {@code byteSize} at {@code byteAlignment} starts in the current region, or 0. */
    final long fit(long byteSize, long byteAlignment) {
        long at = (top + byteAlignment - 1) & -byteAlignment;
        return top != 0 && at + byteSize <= end ? at : 0;
    }

    /**
     * Takes the next region from the pools, scoped to the inner arena (whose checks refuse a wrong
     * thread or a closed arena before anything is recorded; the block then goes back), and records it.
     */
    final void newRegion() {
        long size = nextRegion;
        long r = allocator.allocate(size, REGION_ALIGNMENT, 0, false);
        MemorySegment scoped;
        try {
            scoped = MemorySegment.ofAddress(r).reinterpret(size, inner, null);
            record(r);
        } catch (RuntimeException | Error e) {
            allocator.free(r);
            throw e;
        }
        region = scoped;
        base = r;
        top = r;
        end = r + size;
        nextRegion = Math.min(size * 2, LAST_REGION);
    }

    /**
     * The carved segment at {@code at}: a slice of the region, zeroed. The fill is an access, so the
     * JDK checks the owner thread and that the arena is open before it writes.
     */
    final MemorySegment carve(long at, long byteSize) {
        return region.asSlice(at - base, byteSize).fill((byte) 0);
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
            if (carved(byteSize, byteAlignment)) {
                allocator.checkOpen(); // as a block of its own would: a closed allocator wins
                long at = fit(byteSize, byteAlignment); // reads only, so a wrong thread changes nothing
                if (at == 0) {
                    newRegion();
                    at = fit(byteSize, byteAlignment);
                }
                MemorySegment s = carve(at, byteSize); // the JDK's checks, before the bookkeeping moves
                top = at + byteSize;
                return s;
            }
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
            if (carved(byteSize, byteAlignment)) {
                allocator.checkOpen(); // as a block of its own would: a closed allocator wins
                long at;
                MemorySegment slice;
                long sliceBase;
                synchronized (this) {
                    if (closed) {
                        throw new IllegalStateException("Already closed");
                    }
                    at = fit(byteSize, byteAlignment);
                    if (at == 0) {
                        newRegion();
                        at = fit(byteSize, byteAlignment);
                    }
                    top = at + byteSize;
                    slice = region; // the one the segment is in, even if another thread takes a new one
                    sliceBase = base;
                }
                // A close racing this one makes the fill throw (the JDK's scope check and the shared
                // close's handshake): the region goes back with the close, never before.
                return slice.asSlice(at - sliceBase, byteSize).fill((byte) 0);
            }
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
