package hakmem.bench;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;

import java.lang.foreign.MemorySegment;

/**
 * Netty's pooled allocators, direct buffers: {@link PooledByteBufAllocator} (jemalloc-like arenas with
 * thread caches, here turned on for every thread as a server's event loops have them) and
 * {@link AdaptiveByteBufAllocator} (Netty 4.2's size-adaptive default).
 *
 * <p>Netty gives out {@link ByteBuf} objects, not raw addresses, and frees by {@code release()}: this
 * adapter maps {@code malloc} to {@code directBuffer(size, size)} and {@code free} to {@code release()}
 * through a {@link HandleTable} (handle = slot of the buffer, address = the buffer's memory address),
 * whose cost (a thread-local lookup and two array writes per call) is counted in Netty's figures. The
 * address comes from {@code memoryAddress()} when Netty uses {@code sun.misc.Unsafe}, else from the
 * buffer's NIO view. Reserved bytes are Netty's own {@code usedDirectMemory()}.
 */
public final class NettyBackend extends HandleBackend<ByteBuf> {

    private final String name;
    private final ByteBufAllocator allocator;

    private NettyBackend(String name, ByteBufAllocator allocator) {
        this.name = name;
        this.allocator = allocator;
    }

    public static NettyBackend pooled() {
        return new NettyBackend("netty-pooled", new PooledByteBufAllocator(true,
                PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
                PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(),
                PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(),
                true));
    }

    public static NettyBackend adaptive() {
        return new NettyBackend("netty-adaptive", new AdaptiveByteBufAllocator(true, true));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long malloc(long size) {
        int n = Math.toIntExact(size);
        ByteBuf buf = allocator.directBuffer(n, n);
        long address = buf.hasMemoryAddress() ? buf.memoryAddress()
                : MemorySegment.ofBuffer(buf.internalNioBuffer(0, n)).address();
        return put(buf, address, size);
    }

    @Override
    void release(ByteBuf buf) {
        buf.release();
    }

    @Override
    public long reservedBytes() {
        return allocator instanceof ByteBufAllocatorMetricProvider m ? m.metric().usedDirectMemory() : -1;
    }
}
