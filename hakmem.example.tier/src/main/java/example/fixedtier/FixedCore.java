package example.fixedtier;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One single-threaded core of the example tier: chunks from the {@link ChunkSource} cut into 64-byte
 * blocks, block {@code i} at {@code base + 64 i}, so every block is 64-byte aligned. Metadata lives on
 * the Java heap ({@link Chunk}), never in the blocks: a write after free cannot corrupt the core, and a
 * free is checked (foreign, interior, double) before anything changes.
 *
 * <p>Allocation pops a free index from the current chunk; when it has none, a chunk with free blocks
 * becomes current, else a new chunk is acquired (the only step that can fail, before any change). A
 * chunk other than the current one that empties goes back to the source at once; the current one stays
 * until {@link #trim()}, so a core that frees and allocates around one block does not map and unmap.
 */
final class FixedCore implements TierCore {

    static final String ID = "fixed64";
    static final int BLOCK = 64;

    /** One chunk: its free block indices ({@code free[0 .. top)}) and the size asked for each block (0: free). */
    private static final class Chunk {
        final FixedCore core;
        final char[] free;
        final byte[] requested;
        long base;
        int top;
        int live;
        /** Position in {@link #held}. */
        int index;
        /** In {@link #partial}. */
        boolean listed;

        Chunk(FixedCore core, int blocks) {
            this.core = core;
            this.free = new char[blocks];
            this.requested = new byte[blocks];
            for (int i = 0; i < blocks; i++) {
                free[i] = (char) (blocks - 1 - i); // lowest index on top: blocks go out in address order
            }
            this.top = blocks;
        }
    }

    private final ChunkSource chunks;
    private final int blocksPerChunk;
    private final ArrayList<Chunk> held = new ArrayList<>();
    /** Chunks with free blocks, other than the current one. */
    private final ArrayDeque<Chunk> partial = new ArrayDeque<>();
    private Chunk current;
    private long allocations;
    private long frees;
    private long liveBytes;
    private boolean closed;

    FixedCore(ChunkSource chunks) {
        long n = chunks.chunkSize() / BLOCK;
        if (n < 1 || n > Character.MAX_VALUE + 1) {
            throw new IllegalArgumentException(ID + " needs chunks of 64 B to 4 MiB, not " + chunks.chunkSize());
        }
        this.chunks = chunks;
        this.blocksPerChunk = (int) n;
    }

    @Override
    public long allocate(long size, long alignment, int site) {
        if (size < 1 || size > BLOCK) {
            throw new IllegalArgumentException(ID + " serves sizes 1.." + BLOCK + ": " + size);
        }
        if (alignment > BLOCK) {
            return 0; // blocks are 64-byte aligned, no more
        }
        Chunk c = current;
        if (c == null || c.top == 0) {
            c = nextChunk();
        }
        int i = c.free[--c.top];
        c.requested[i] = (byte) size;
        c.live++;
        allocations++;
        liveBytes += size;
        return c.base + (long) i * BLOCK;
    }

    /** A chunk with a free block becomes current; the old current one, full, waits on no list until a free. */
    private Chunk nextChunk() {
        if (closed) {
            throw new IllegalStateException(ID + " core is closed");
        }
        Chunk c = partial.poll();
        if (c != null) {
            c.listed = false;
        } else {
            Chunk fresh = new Chunk(this, blocksPerChunk);
            fresh.base = chunks.acquire(fresh); // may throw OutOfMemoryError: nothing has changed yet
            fresh.index = held.size();
            held.add(fresh);
            c = fresh;
        }
        current = c;
        return c;
    }

    @Override
    public void free(long address) {
        Chunk c = chunkOf(address);
        int i = liveIndex(c, address);
        liveBytes -= c.requested[i];
        c.requested[i] = 0;
        c.free[c.top++] = (char) i;
        c.live--;
        frees++;
        if (c != current) {
            if (c.live == 0) {
                if (c.listed) {
                    partial.remove(c);
                }
                release(c);
            } else if (!c.listed) {
                c.listed = true;
                partial.add(c);
            }
        }
    }

    @Override
    public long usableSize(long address) {
        liveIndex(chunkOf(address), address);
        return BLOCK;
    }

    @Override
    public long[] classSizes() {
        return new long[] {BLOCK};
    }

    private Chunk chunkOf(long address) {
        if (chunks.attachment(address) instanceof Chunk c && c.core == this) {
            return c;
        }
        throw new InvalidAddressException(address, Reason.UNKNOWN, "not in a chunk of the " + ID + " tier");
    }

    /** The index of the live block starting at {@code address} in {@code c}; throws naming why not, changing nothing. */
    private static int liveIndex(Chunk c, long address) {
        long offset = address - c.base;
        if (offset % BLOCK != 0) {
            long block = address - offset % BLOCK;
            throw new InvalidAddressException(address, Reason.INTERIOR, (address - block) + " B into the " + BLOCK
                    + "-byte block at 0x" + Long.toHexString(block));
        }
        int i = (int) (offset / BLOCK);
        if (c.requested[i] == 0) {
            throw new InvalidAddressException(address, Reason.DOUBLE_FREE, "a free block of the " + ID + " tier");
        }
        return i;
    }

    private void release(Chunk c) {
        Chunk last = held.removeLast();
        if (last != c) {
            held.set(c.index, last);
            last.index = c.index;
        }
        chunks.release(c.base);
    }

    @Override
    public void trim() {
        if (current != null && current.live == 0) {
            release(current);
            current = null;
        }
    }

    @Override
    public TierStats stats() {
        long live = allocations - frees;
        long reserved = (long) held.size() * chunks.chunkSize();
        return new TierStats(ID, allocations, frees, live, liveBytes, live * BLOCK, chunks.reservedBytes(),
                List.of(new ClassStats(BLOCK, allocations, frees, live, liveBytes, held.size(), reserved)));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Chunk c : held) {
            chunks.release(c.base);
        }
        held.clear();
        partial.clear();
        current = null;
    }
}
