package hakmem.tiny;

/**
 * 64 KiB of a chunk serving blocks of one size class: block {@code i} lies at {@code base + i * blockSize}.
 *
 * <p>All bookkeeping is here, on the Java heap, never in the slab's memory: {@link #freeStack}
 * holds the indices of the free blocks ({@code freeStack[0 .. top)}, popped from the top, so the most
 * recently freed block is reused first while it is still in cache), and {@link #requested} the size asked
 * for each live block, 0 for a free one. That array is the slab's live map: every request is at least one
 * byte, so {@code requested[i] != 0} tells a live block from a free one in O(1) (double-free detection),
 * and the one store that records the size for the live-bytes counters also marks the block live; a
 * separate live bitmap would cost a second read-modify-write on each allocate and free for nothing more.
 * {@code top + (blocks with requested != 0) == capacity} always.
 */
final class Slab {

    static final int SHIFT = 16;
    static final int SIZE = 1 << SHIFT;

    static final byte CURRENT = 0;
    static final byte PARTIAL = 1;
    static final byte FULL = 2;
    static final byte RETAINED = 3;
    /** The per-class placeholder {@link SizeClass#none}, or a slab handed back to its chunk. */
    static final byte DETACHED = 4;

    final Chunk chunk;
    /** Index of this slab in its chunk, 0..31. */
    final int slot;
    final long base;
    final SizeClass sizeClass;
    // Copies of the class's constants, so that free reads them from the slab it already holds.
    final int blockSize;
    final int capacity;
    final long magic;

    final char[] freeStack;
    int top;
    /** Bytes asked for block {@code i}, or 0 while it is free. */
    final char[] requested;

    byte state;
    /** Links of {@link SizeClass#partial} (both) and {@link SizeClass#retained} ({@code next} only). */
    Slab prev;
    Slab next;

    Slab(Chunk chunk, int slot, SizeClass sizeClass) {
        this.chunk = chunk;
        this.slot = slot;
        this.base = chunk == null ? 0 : chunk.base + ((long) slot << SHIFT);
        this.sizeClass = sizeClass;
        this.blockSize = sizeClass.blockSize;
        this.magic = sizeClass.magic;
        int n = chunk == null ? 0 : sizeClass.capacity;
        this.capacity = n;
        this.freeStack = new char[n];
        // Lowest index on top: a fresh slab hands its blocks out in address order.
        for (int j = 0; j < n; j++) {
            freeStack[j] = (char) (n - 1 - j);
        }
        this.top = n;
        this.requested = new char[n];
        this.state = DETACHED;
    }

    static Slab none(SizeClass sizeClass) {
        return new Slab(null, 0, sizeClass);
    }

    /**
     * The multiplier that turns a division by {@code blockSize} into a multiply and shift:
     * {@code floor(2^32 / d) + 1}. For an offset {@code x < 2^16} the result {@code (x * m) >>> 32} is
     * {@code x / d + x * e / 2^32} with {@code 0 < e <= 1}, an error below {@code 2^-16}; the fraction of
     * {@code x / d} is at most {@code 1 - 1/d <= 1 - 2^-10}, so the floor never moves.
     */
    static long magicFor(int blockSize) {
        return (1L << 32) / blockSize + 1;
    }
}
