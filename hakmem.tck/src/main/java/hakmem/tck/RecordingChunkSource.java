package hakmem.tck;

import hakmem.api.spi.ChunkSource;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A {@link ChunkSource} that keeps its own account of the chunks a core holds and checks every call the
 * core makes: a chunk released must be one the core holds and must hold no live block; a discarded range
 * must be whole pages of a held chunk and hold no live block (discarding a live block's pages would wipe
 * the user's data). "Live" is what the {@link Guard} says, normally a {@link CoreDriver}'s model. It can
 * also refuse chunks past a limit, as an allocator at its memory limit does, to test how a core fails.
 *
 * <p>Single-threaded, like the core it serves. Violations throw {@link AssertionError} from inside the
 * core's call, so the stack shows which core method broke the rule.
 */
public final class RecordingChunkSource implements ChunkSource {

    /** What the source checks releases and discards against. */
    @FunctionalInterface
    public interface Guard {
        /** A live block overlapping {@code [from, to)}, or {@code null}. */
        Block liveIn(long from, long to);
    }

    private final ChunkSource delegate;
    private final long chunkSize;
    private final TreeSet<Long> held = new TreeSet<>();
    private Guard guard;
    private int limit = Integer.MAX_VALUE;
    private long acquires;
    private long refusals;
    private long releases;
    private long discards;

    /** A source over a standalone reservation of {@code capacity} bytes of address space. */
    public RecordingChunkSource(long capacity) {
        this(ChunkSource.standalone(capacity));
    }

    /** Records and checks the calls made to {@code delegate}, which this source then owns. */
    public RecordingChunkSource(ChunkSource delegate) {
        this.delegate = delegate;
        this.chunkSize = delegate.chunkSize();
    }

    /** Checks releases and discards against {@code guard} from now on ({@code null}: no check). */
    public void guard(Guard guard) {
        this.guard = guard;
    }

    /** Refuses ({@link OutOfMemoryError}) any acquire while {@code chunks} chunks are held. */
    public void limitChunks(int chunks) {
        this.limit = chunks;
    }

    // ---------------------------------------------------------------- the account

    /** Bases of the chunks held now, ascending. */
    public List<Long> held() {
        return new ArrayList<>(held);
    }

    /** Bytes of the chunks held now. */
    public long heldBytes() {
        return held.size() * chunkSize;
    }

    /** Whether the chunk containing {@code address} is held now. */
    public boolean holds(long address) {
        return held.contains(address & -chunkSize);
    }

    /** Chunks handed out so far. */
    public long acquires() {
        return acquires;
    }

    /** Acquires refused so far, by the limit or by the delegate. */
    public long refusals() {
        return refusals;
    }

    public long releases() {
        return releases;
    }

    public long discards() {
        return discards;
    }

    /** Calls that change memory (acquires tried, releases, discards): unchanged across a call that must change nothing. */
    public long events() {
        return acquires + refusals + releases + discards;
    }

    // ---------------------------------------------------------------- ChunkSource

    @Override
    public long chunkSize() {
        return chunkSize;
    }

    @Override
    public long acquire(Object attachment) {
        if (held.size() >= limit) {
            refusals++;
            throw new OutOfMemoryError("kit chunk source: limit of " + limit + " chunks reached");
        }
        long chunk;
        try {
            chunk = delegate.acquire(attachment);
        } catch (OutOfMemoryError e) {
            refusals++;
            throw e;
        }
        if ((chunk & (chunkSize - 1)) != 0 || !held.add(chunk)) {
            throw new AssertionError("the chunk source handed out 0x" + Long.toHexString(chunk) + " twice or misaligned");
        }
        acquires++;
        return chunk;
    }

    @Override
    public void release(long chunk) {
        if (!held.remove(chunk)) {
            throw new AssertionError("released 0x" + Long.toHexString(chunk) + ", which is not a chunk the core holds");
        }
        Block b = guard == null ? null : guard.liveIn(chunk, chunk + chunkSize);
        if (b != null) {
            throw new AssertionError("released chunk 0x" + Long.toHexString(chunk) + " while " + b + " in it is live");
        }
        releases++;
        delegate.release(chunk);
    }

    @Override
    public Object attachment(long address) {
        return delegate.attachment(address);
    }

    @Override
    public void discard(long address, long length) {
        long page = delegate.pageSize();
        if (length < 0 || address % page != 0 || length % page != 0) {
            throw new AssertionError("discard(0x" + Long.toHexString(address) + ", " + length
                    + "): not whole pages of " + page + " B");
        }
        if (length > 0) {
            long chunk = address & -chunkSize;
            if (!held.contains(chunk) || ((address + length - 1) & -chunkSize) != chunk) {
                throw new AssertionError("discard(0x" + Long.toHexString(address) + ", " + length
                        + ") is not inside one chunk the core holds");
            }
            Block b = guard == null ? null : guard.liveIn(address, address + length);
            if (b != null) {
                throw new AssertionError("discard(0x" + Long.toHexString(address) + ", " + length + ") wipes live " + b);
            }
        }
        discards++;
        delegate.discard(address, length);
    }

    @Override
    public long pageSize() {
        return delegate.pageSize();
    }

    @Override
    public long addTierDirty(long delta) {
        return delegate.addTierDirty(delta);
    }

    @Override
    public int tierCores() {
        return delegate.tierCores();
    }

    @Override
    public long reservedBytes() {
        return delegate.reservedBytes();
    }

    @Override
    public void close() {
        held.clear();
        delegate.close();
    }
}
