package hakmem.api.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which platform threads hold a {@link ThreadCache}, and the table the fast paths find theirs in.
 *
 * <ul>
 *   <li>Lookup: {@link #magazines} by {@code threadId & (TABLE - 1)}, a plain read checked against
 *       the array's {@link ThreadCache#OWNER} word (thread ids are never reused): cheaper than a
 *       {@code ThreadLocal}. A stale or foreign entry fails the check and {@link #cacheOf} installs
 *       the thread's own (two live threads on one slot take turns through it).</li>
 *   <li>Virtual threads never get a cache (millions of them would each hold memory), nor do threads
 *       beyond {@code maxCaches} live ones: they take the uncached path, and a platform thread refused
 *       one asks again once fewer caches are live (its uncached requests read the live count).</li>
 *   <li>Thread death: on registration, on a cache's first miss and every 256th, and on
 *       {@code trim}/{@code stats}, ended threads' caches are handed on ({@link Depots#handOn}) and
 *       their counters folded into {@link #retired}. {@code isAlive()} returning false orders
 *       everything the ended thread wrote before that.</li>
 *   <li>Shards: each cache refills from the shard fewest active threads use, chosen at its first
 *       miss ({@link #chooseShard}).</li>
 * </ul>
 * Everything but the lookup and {@link #liveCount} is guarded by {@code this}.
 */
final class CacheRegistry {

    static final int TABLE = 1024;
    /** A thread that has not missed for this long does not count against a shard (see chooseShard). */
    static final long IDLE_NANOS = 100_000_000;
    /** What threads without a cache get. */
    static final ThreadCache NONE = null;

    /** Magazine arrays by thread id, for the fast paths; written by each thread for itself. */
    final long[][] magazines = new long[TABLE][];
    /** The caches of {@link #magazines}, same index, for the slow paths. */
    private final ThreadCache[] caches = new ThreadCache[TABLE];
    private final ThreadLocal<ThreadCache> local = new ThreadLocal<>();
    /** What {@link #local} holds for a thread that registered when {@code maxCaches} were live. */
    private final ThreadCache noCache;
    private final ClassTable classes;
    private final Depots depots;
    private final Lifecycle life;
    final int maxCaches;
    private final List<ThreadCache> live = new ArrayList<>();
    /** {@code live.size()}, for refused threads to read without the lock. */
    private volatile int liveCount;
    /** Live caches per shard. */
    private final int[] load;
    /** Active caches per shard, counted afresh by each chooseShard. */
    private final int[] activeScratch;
    /** Counters of ended threads' caches (no owner, no blocks). */
    final ThreadCache retired;
    /** Counters of the uncached path: allocations by threads without a cache, aligned requests. */
    final ThreadCache uncached;
    private long reclaimed;

    CacheRegistry(ClassTable classes, Depots depots, int shards, int maxCaches, Lifecycle life) {
        this.classes = classes;
        this.depots = depots;
        this.life = life;
        this.maxCaches = maxCaches;
        this.load = new int[shards];
        this.activeScratch = new int[shards];
        this.noCache = new ThreadCache(null, classes);
        this.retired = new ThreadCache(null, classes);
        this.uncached = new ThreadCache(null, classes);
    }

    /** The calling thread's cache (installed in the table), or null if it gets none. */
    ThreadCache cacheOf(Thread t) {
        if (t.isVirtual()) {
            return NONE;
        }
        ThreadCache c = local.get();
        if (c == null) {
            c = register(t);
            local.set(c);
        }
        if (c == noCache) {
            if (liveCount >= maxCaches) {
                return NONE;
            }
            c = register(t); // a cache was given back since this thread was refused
            if (c == noCache) {
                return NONE;
            }
            local.set(c);
        }
        int slot = (int) t.threadId() & (TABLE - 1);
        caches[slot] = c;
        magazines[slot] = c.m; // after caches[slot]: a reader that finds the array finds its cache
        return c;
    }

    /** The cache whose magazine array is {@code m}, as the fast path found it for the calling thread. */
    ThreadCache cacheOf(Thread t, long[] m) {
        ThreadCache c = caches[(int) t.threadId() & (TABLE - 1)];
        return c != null && c.m == m ? c : cacheOf(t);
    }

    private synchronized ThreadCache register(Thread t) {
        life.checkOpen();
        reclaimEnded();
        if (live.size() >= maxCaches) {
            return noCache;
        }
        ThreadCache c = new ThreadCache(t, classes);
        live.add(c);
        liveCount = live.size();
        return c;
    }

    /** Hands on the caches of ended threads. */
    synchronized void reclaimEnded() {
        for (int i = live.size() - 1; i >= 0; i--) {
            ThreadCache c = live.get(i);
            if (!c.owner.isAlive()) {
                depots.handOn(c);
                fold(c);
                if (c.shard() >= 0) {
                    load[c.shard()]--;
                }
                int slot = (int) c.owner.threadId() & (TABLE - 1);
                if (caches[slot] == c) {
                    magazines[slot] = null;
                    caches[slot] = null;
                }
                live.remove(i);
                liveCount = live.size();
                reclaimed++;
            }
        }
    }

    /** Adds an ended cache's counters to {@link #retired}. */
    private void fold(ThreadCache c) {
        for (int k = 0; k < classes.classes(); k++) {
            int at = classes.header[k];
            retired.m[at] += ThreadCache.allocations(c.m[at]) << 16;
        }
        for (int x = ThreadCache.MISSES; x <= ThreadCache.CORE_TRIPS; x++) {
            retired.add(x, c.counter(x));
        }
    }

    /**
     * Counts an allocation of class {@code k} that took the uncached path. Under the registry's monitor,
     * not an atomic add: with the add, virtual threads racing close() spun on the cores' locks until no
     * carrier was left for a holder (CloseRaceTest hung); the monitor unmounts them while they wait.
     */
    synchronized void countUncached(int k) {
        uncached.m[classes.header[k]] += 1L << 16;
    }

    /**
     * Gives a cache the shard fewest active threads use (then fewest threads), at its first miss, so a
     * thread that replaces an ended one (larson) takes over its shard and its blocks, and N threads
     * spread over N shards. Chosen then, not at registration: a thread often starts before the one it
     * replaces has ended (larson's threads each start their successor). Later, a thread that still
     * shares its shard with an active one moves to a shard no active thread uses, if there is one;
     * without that, two threads would trade blocks for good while a shard sits unused. Active: missed
     * in the last {@link #IDLE_NANOS}; a thread that allocated once and then sleeps (larson's main
     * thread) does not hold a shard against the others.
     */
    synchronized void chooseShard(ThreadCache c) {
        reclaimEnded();
        long now = System.nanoTime();
        int[] active = activeScratch;
        Arrays.fill(active, 0);
        for (ThreadCache other : live) {
            if (other != c && other.shard() >= 0 && now - other.lastMiss < IDLE_NANOS) {
                active[other.shard()]++;
            }
        }
        int best = 0; // fewest active threads, then fewest threads
        for (int s = 1; s < active.length; s++) {
            if (active[s] < active[best] || (active[s] == active[best] && load[s] < load[best])) {
                best = s;
            }
        }
        if (c.shard() < 0) {
            load[best]++;
            c.shard(best);
        } else if (active[c.shard()] > 0 && active[best] == 0) {
            load[c.shard()]--;
            load[best]++;
            c.shard(best);
        }
    }

    /** Whether another thread shares {@code shard} (a racy hint; the choice is made under the lock). */
    boolean shared(int shard) {
        return load[shard] > 1;
    }

    /**
     * The live caches, {@link #retired} and {@link #uncached}. Ended threads' caches are not handed on
     * here: stats take the cores' snapshot first, which handing them on would change.
     */
    synchronized List<ThreadCache> snapshot() {
        List<ThreadCache> all = new ArrayList<>(live);
        all.add(retired);
        all.add(uncached);
        return all;
    }

    synchronized int threads() {
        return live.size();
    }

    synchronized long reclaimed() {
        return reclaimed;
    }
}
