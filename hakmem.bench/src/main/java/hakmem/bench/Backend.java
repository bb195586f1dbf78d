package hakmem.bench;

/**
 * What a workload allocates through: hakmem or a baseline.
 *
 * <p>{@link #malloc} returns a <em>handle</em> and {@link #address} the memory behind it. For hakmem and
 * the C allocators the handle is the address itself ({@code address} is the identity, inlined away);
 * for baselines that hand out objects rather than addresses (one {@code Arena} per block, Netty
 * {@code ByteBuf}s) the handle indexes a table of those objects, see {@link HandleTable}.
 */
public interface Backend extends AutoCloseable {

    String name();

    /** Allocates {@code size} bytes and returns a non-zero handle to them. */
    long malloc(long size);

    /** Frees what {@link #malloc} returned, from any thread. */
    void free(long handle);

    /** The address of the first byte of the block behind {@code handle}. */
    default long address(long handle) {
        return handle;
    }

    /** Blocks allocated and not freed, as the allocator itself sees it where it can tell, else -1. */
    default long liveBlocks() {
        return -1;
    }

    /** Bytes asked for by the live blocks, where the allocator can tell, else -1. */
    default long liveBytes() {
        return -1;
    }

    /** Bytes the allocator has reserved from the OS (or holds for reuse), where it can tell, else -1. */
    default long reservedBytes() {
        return -1;
    }

    /** Gives memory held for reuse back to the OS, where the allocator can. */
    default void trim() {
    }

    /** Lines on the allocator's own counters (thread caches, lock contention) where it has them, else null. */
    default String counterReport() {
        return null;
    }

    @Override
    void close();
}
