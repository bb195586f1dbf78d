package hakmem.api.runtime;

import hakmem.api.LockStats;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where thread caches send blocks they cannot keep: per shard and class, a depot of full batches
 * (Bonwick's magazine depot, tcmalloc's transfer cache), each class under its own lock held for a push
 * or pop of one array; past it, the tier cores that own the blocks.
 *
 * <p>Per shard, not global: a global depot deals one thread's blocks out to every other, until the
 * blocks of each slab belong to many threads and their neighbouring marks bounce between processors on
 * every malloc and free (measured: see {@code hakmem.bench/results/}). Threads of one shard trade
 * blocks here without touching the cores' metadata; only a full depot sends a batch back to the cores,
 * and only an empty one makes a refill from them.
 */
final class Depots {

    /** Most bytes the depots of a class hold, all shards together; beyond, batches go back to the cores. */
    static final long DEPOT_BYTES = 512 << 10;

    private final ClassTable classes;
    /** Per shard, per class: a stack of full batches, {@code depth} deep. */
    private final long[][][][] full;
    private final int[][] depth;
    private final SpinLock[][] lock;
    /** The cached tiers, by index in the class table. */
    private final ShardedTier[] tiers;
    private final int[] tierByTag;
    private final ChunkSpace space;
    /** Blocks a core refused when given back: dropped, never handed out again (0 unless a fault). */
    private final AtomicLong refused = new AtomicLong();

    Depots(ClassTable classes, int shards, ShardedTier[] tiers, ChunkSpace space) {
        this.classes = classes;
        this.tiers = tiers;
        this.tierByTag = ShardedTier.indexByTag(tiers);
        this.space = space;
        int n = classes.classes();
        this.full = new long[shards][n][][];
        this.depth = new int[shards][n];
        this.lock = new SpinLock[shards][n];
        for (int s = 0; s < shards; s++) {
            for (int k = 0; k < n; k++) {
                lock[s][k] = new SpinLock();
                // DEPOT_BYTES per class in all, shared out over the shards, and at least two batches each.
                long batchBytes = classes.batch[k] * classes.classSize[k];
                full[s][k] = new long[(int) Math.max(2, DEPOT_BYTES / shards / batchBytes)][];
            }
        }
    }

    /** A full batch of class {@code k} from shard {@code shard}'s depot, or null if it has none. */
    long[] pop(int shard, int k) {
        SpinLock l = lock[shard][k];
        l.lock();
        try {
            int d = depth[shard][k];
            if (d == 0) {
                return null;
            }
            long[] batch = full[shard][k][--d];
            full[shard][k][d] = null;
            depth[shard][k] = d;
            return batch;
        } finally {
            l.unlock();
        }
    }

    /** Puts a full batch in the depot; false (nothing changed) when the depot is full. */
    boolean push(int shard, int k, long[] batch) {
        SpinLock l = lock[shard][k];
        l.lock();
        try {
            int d = depth[shard][k];
            if (d == full[shard][k].length) {
                return false;
            }
            full[shard][k][d] = batch;
            depth[shard][k] = d + 1;
            return true;
        } finally {
            l.unlock();
        }
    }

    /** Blocks of class {@code k} in all depots now. */
    long blocks(int k) {
        long blocks = 0;
        for (int s = 0; s < full.length; s++) {
            lock[s][k].lock();
            try {
                blocks += (long) depth[s][k] * classes.batch[k];
            } finally {
                lock[s][k].unlock();
            }
        }
        return blocks;
    }

    /**
     * Frees {@code items[from..to)} into the cores that own them, a lock section per run of one core's
     * blocks; returns the lock sections taken.
     */
    int giveBack(long[] items, int from, int to) {
        int trips = 0;
        int dropped = 0;
        int i = from;
        while (i < to) {
            ShardedTier tier = tierOf(items[i]);
            if (tier == null) {
                dropped++; // no block of a cached tier: never handed out again
                i++;
                continue;
            }
            int end = i + 1;
            while (end < to && tier.owns(space.ownerOf(items[end]))) {
                end++;
            }
            dropped += tier.giveBack(items, i, end);
            trips++;
            i = end;
        }
        if (dropped > 0) {
            refused.addAndGet(dropped);
        }
        return trips;
    }

    private ShardedTier tierOf(long p) {
        return ShardedTier.owning(tiers, tierByTag, space.ownerOf(p));
    }

    /**
     * Hands an ended thread's cache on: its away blocks to their cores; of each magazine, whole batches
     * to its shard's depot, where the next thread to miss takes them without touching a core (larson ends
     * a thread every round), the rest, and what a full depot refuses, to the cores.
     */
    void handOn(ThreadCache c) {
        long[] m = c.m;
        giveBack(m, ThreadCache.AWAY_COUNT + 1, ThreadCache.AWAY_COUNT + 1 + (int) m[ThreadCache.AWAY_COUNT]);
        m[ThreadCache.AWAY_COUNT] = 0;
        for (int k = 0; k < classes.classes(); k++) {
            int at = classes.header[k];
            int n = c.count(at);
            int b = classes.batch[k];
            while (c.shard() >= 0 && n >= b) {
                long[] batch = Arrays.copyOfRange(m, at + 1 + n - b, at + 1 + n);
                if (!push(c.shard(), k, batch)) {
                    break;
                }
                n -= b;
                c.setCount(at, n); // as each batch leaves, so a failure below never hands a block on twice
            }
            c.setCount(at, 0);
            giveBack(m, at + 1, at + 1 + n);
        }
    }

    /** Empties every depot into the cores. */
    void drain() {
        for (int s = 0; s < full.length; s++) {
            for (int k = 0; k < classes.classes(); k++) {
                for (long[] batch; (batch = pop(s, k)) != null; ) {
                    giveBack(batch, 0, classes.batch[k]);
                }
            }
        }
    }

    /** Every block in every depot, under each depot's lock in turn. */
    void forEachBlock(java.util.function.LongConsumer action) {
        for (int s = 0; s < full.length; s++) {
            for (int k = 0; k < classes.classes(); k++) {
                lock[s][k].lock();
                try {
                    for (int d = 0; d < depth[s][k]; d++) {
                        for (int i = 0; i < classes.batch[k]; i++) {
                            action.accept(full[s][k][d][i]);
                        }
                    }
                } finally {
                    lock[s][k].unlock();
                }
            }
        }
    }

    /** Contention on the depots' locks, all shards and classes together. */
    LockStats lockStats() {
        return SpinLock.stats("depots", Arrays.stream(lock).flatMap(Arrays::stream).toArray(SpinLock[]::new));
    }

    long refused() {
        return refused.get();
    }
}
