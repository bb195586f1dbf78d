package hakmem.bench;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Handles for baselines that give out objects instead of raw addresses (an {@code Arena} per block, a
 * Netty {@code ByteBuf}): {@code malloc} stores the object and its address in a slot and returns
 * {@code slot + 1} as the handle; {@code free} takes the object back out. This is the adapter cost a
 * raw-address workload pays to drive such an allocator, and it is kept small so it does not hide the
 * allocator's own cost.
 *
 * <p>Protocol. Free slot numbers live in a global stack guarded by this table's monitor and, in front
 * of it, a small per-thread cache ({@link ThreadLocal}) moved to and from the global stack in batches,
 * so most {@code put}/{@code remove} calls take no lock. A slot's {@code objects}/{@code addresses}
 * entries are written by the thread that takes the slot and read by the thread that frees the handle:
 * the workload hands the handle over with a happens-before edge of its own (a monitor, a release/acquire
 * ring), which publishes the plain writes. A freed slot reaches another thread only through the global
 * stack, under the monitor, so its reuse is ordered after the free. Larson ends a thread every round:
 * when the global stack runs dry, the caches of threads that have ended are taken back (a thread seen
 * dead through {@link Thread#isAlive()} has all its writes visible), so slots do not leak with threads.
 *
 * @param <T> what a slot holds (the object to release on free)
 */
public final class HandleTable<T> {

    /** Enough for larson at 16 threads x 10000 blocks plus thread caches, at 4 MiB of heap. */
    public static final int DEFAULT_CAPACITY = 1 << 18;
    private static final int BATCH = 64;

    private final Object[] objects;
    private final long[] addresses;
    private final long[] sizes;
    private final int[] free;
    private int freeCount;
    private final ThreadLocal<Cache> caches = ThreadLocal.withInitial(this::register);
    /** Every thread's cache, guarded by this table's monitor, to take back those of ended threads. */
    private final List<Cache> registered = new ArrayList<>();
    private final LongAdder live = new LongAdder();
    private final LongAdder liveBytes = new LongAdder();

    /** One thread's slot numbers, taken from and given back to the global stack {@code BATCH} at a time. */
    private static final class Cache {
        final Thread owner = Thread.currentThread();
        final int[] slots = new int[2 * BATCH];
        int size;
    }

    private synchronized Cache register() {
        Cache c = new Cache();
        registered.add(c);
        return c;
    }

    public HandleTable(int capacity) {
        objects = new Object[capacity];
        addresses = new long[capacity];
        sizes = new long[capacity];
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
        }
        freeCount = capacity;
    }

    /** Stores {@code object} (at {@code address}, {@code size} bytes) and returns its handle, never 0. */
    public long put(T object, long address, long size) {
        Cache c = caches.get();
        if (c.size == 0) {
            refill(c);
        }
        int slot = c.slots[--c.size];
        objects[slot] = object;
        addresses[slot] = address;
        sizes[slot] = size;
        live.increment();
        liveBytes.add(size);
        return slot + 1L;
    }

    /** Removes and returns the object behind {@code handle}; throws if the handle is not live. */
    @SuppressWarnings("unchecked")
    public T remove(long handle) {
        int slot = slot(handle);
        Object o = objects[slot];
        if (o == null) {
            throw new IllegalArgumentException("handle " + handle + " is not live (double or foreign free)");
        }
        objects[slot] = null;
        live.decrement();
        liveBytes.add(-sizes[slot]);
        Cache c = caches.get();
        if (c.size == c.slots.length) {
            spill(c);
        }
        c.slots[c.size++] = slot;
        return (T) o;
    }

    public long address(long handle) {
        return addresses[slot(handle)];
    }

    public long liveBlocks() {
        return live.sum();
    }

    public long liveBytes() {
        return liveBytes.sum();
    }

    private int slot(long handle) {
        if (handle < 1 || handle > objects.length) {
            throw new IllegalArgumentException("not a handle of this table: " + handle);
        }
        return (int) (handle - 1);
    }

    private synchronized void refill(Cache c) {
        if (freeCount == 0) {
            reclaimEnded();
        }
        if (freeCount == 0) {
            throw new OutOfMemoryError("more than " + objects.length + " live blocks in the handle table");
        }
        int n = Math.min(BATCH, freeCount);
        System.arraycopy(free, freeCount - n, c.slots, 0, n);
        freeCount -= n;
        c.size = n;
    }

    /** Takes back the slots cached by threads that have ended. Holds the monitor. */
    private void reclaimEnded() {
        for (Iterator<Cache> it = registered.iterator(); it.hasNext(); ) {
            Cache dead = it.next();
            if (!dead.owner.isAlive()) {
                System.arraycopy(dead.slots, 0, free, freeCount, dead.size);
                freeCount += dead.size;
                dead.size = 0;
                it.remove();
            }
        }
    }

    private synchronized void spill(Cache c) {
        System.arraycopy(c.slots, c.size - BATCH, free, freeCount, BATCH);
        freeCount += BATCH;
        c.size -= BATCH;
    }
}
