package hakmem.api.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * Which shard each platform thread allocates from under SHARDED (TLS caches choose their own): the one
 * fewest live threads use, chosen when the thread first asks, so up to one thread per shard allocates
 * from a core no other thread allocates from, and a thread that replaces an ended one takes over its
 * shard and its memory. A hash of the thread id would put two of N threads on one shard with odds
 * 1/N per pair, and scatter a chain of successive threads (larson's) over every shard's memory.
 *
 * <p>Virtual threads, and platform threads beyond {@code max} live ones, are hashed instead: millions
 * of entries would cost more than the collisions they avoid. Ended threads' entries are dropped when
 * the next thread registers. Lookups are a plain read of a table indexed by thread id, checked against
 * the entry's owner (an entry is immutable, so one read through a race is seen whole; a stale or
 * foreign one fails the check and the slow path puts the thread's own back).
 */
final class ThreadShards {

    private static final int TABLE = 1024;

    private record Entry(Thread owner, int shard) {
    }

    private static final Entry HASHED = new Entry(null, -1);

    private final Entry[] table = new Entry[TABLE];
    private final int[] load;
    private final int max;
    /** Live entries; guarded by itself. */
    private final List<Entry> registry = new ArrayList<>();
    private final ThreadLocal<Entry> local = ThreadLocal.withInitial(this::register);

    ThreadShards(int shards, int max) {
        this.load = new int[shards];
        this.max = max;
    }

    /** The calling thread's shard. */
    int shard() {
        Thread t = Thread.currentThread();
        Entry e = table[(int) t.threadId() & (TABLE - 1)];
        if (e != null && e.owner == t) {
            return e.shard;
        }
        return shardSlow(t);
    }

    private int shardSlow(Thread t) {
        Entry e = local.get();
        if (e == HASHED) {
            return hash(t, load.length);
        }
        table[(int) t.threadId() & (TABLE - 1)] = e;
        return e.shard;
    }

    /**
     * A thread's id scrambled, then scaled to 0..shards-1 by a multiply (Lemire's reduction; a remainder
     * costs a division).
     */
    static int hash(Thread t, int shards) {
        long mixed = (t.threadId() * 0x9E3779B97F4A7C15L) >>> 32;
        return (int) ((mixed * shards) >>> 32);
    }

    private Entry register() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return HASHED;
        }
        synchronized (registry) {
            for (int i = registry.size() - 1; i >= 0; i--) {
                Entry e = registry.get(i);
                if (!e.owner.isAlive()) {
                    load[e.shard]--;
                    registry.remove(i);
                    int slot = (int) e.owner.threadId() & (TABLE - 1);
                    if (table[slot] == e) {
                        table[slot] = null;
                    }
                }
            }
            if (registry.size() >= max) {
                return HASHED;
            }
            int best = 0;
            for (int s = 1; s < load.length; s++) {
                if (load[s] < load[best]) {
                    best = s;
                }
            }
            load[best]++;
            Entry e = new Entry(t, best);
            registry.add(e);
            return e;
        }
    }
}
