package hakmem.bench;

/**
 * A baseline that gives out objects instead of raw addresses: handles index a {@link HandleTable} of
 * them, and a free releases the object in the way of its allocator.
 *
 * @param <T> what one block is (an {@code Arena}, a {@code ByteBuf})
 */
abstract class HandleBackend<T> implements Backend {

    private final HandleTable<T> table = new HandleTable<>(HandleTable.DEFAULT_CAPACITY);

    /** Stores a new block and returns its handle. */
    final long put(T block, long address, long size) {
        return table.put(block, address, size);
    }

    /** Gives {@code block} back to its allocator. */
    abstract void release(T block);

    @Override
    public final void free(long handle) {
        release(table.remove(handle));
    }

    @Override
    public final long address(long handle) {
        return table.address(handle);
    }

    @Override
    public final long liveBlocks() {
        return table.liveBlocks();
    }

    @Override
    public final long liveBytes() {
        return table.liveBytes();
    }

    @Override
    public void close() {
    }
}
