package hakmem.api.runtime;

import hakmem.api.CacheStats;
import hakmem.api.InvalidAddressException;

import java.util.ArrayList;
import java.util.List;

/**
 * The TLS variant's thread caches: per platform thread, one magazine (a stack of block addresses) per
 * size class of the cached tiers, in front of the sharded cores.
 *
 * <h2>Protocol</h2>
 * <ul>
 *   <li>A magazine belongs to one thread and is read and written by it alone, with plain accesses.
 *       A full magazine moves its older half, as one batch, to its shard's depot for the class; an empty
 *       one takes a batch from there (Bonwick's magazine depot, tcmalloc's transfer cache). Each depot has its
 *       own lock held for a push or pop of one array, so threads trade blocks without touching the
 *       tier cores' metadata, which other processors' caches hold. Only a full depot sends a batch back
 *       to the cores that own its blocks, and only an empty one makes a refill from the thread's shard,
 *       each under that core's lock.</li>
 *   <li>Every block a user holds is marked in its chunk's block-state array ({@link ChunkSpace}) with
 *       the size asked (never 0); blocks in magazines and in cores are 0. Allocation writes the mark
 *       with a plain store after popping the block (no one else can reach it yet); free takes it and
 *       leaves 0 with one atomic swap before pushing. A block passes between threads only through the user's
 *       own synchronization, which orders the mark's write before the free's read.</li>
 *   <li>A free of a block with no mark is not a block the user holds: the slow path asks the owning
 *       core, under its lock, and throws the exact reason (a block the core counts as live but that
 *       carries no mark sits in some magazine: a double free). Nothing changes before the throw.</li>
 *   <li>Cross-thread frees: a block of the freeing thread's own shard goes into its magazine, whoever
 *       allocated it (threads of a shard share blocks through its depot anyway). A block of another
 *       shard goes into the cache's away buffer, which goes home to the owning cores {@link #AWAY}
 *       blocks at a time, under their locks: no lock and no atomic on the common path, and each shard's
 *       blocks stay with its own threads (but for those a thread takes along when it moves to another
 *       shard). Letting such blocks migrate into the freeing thread's magazine
 *       (the first design) mixed every slab's blocks among all threads, so neighbouring marks bounced
 *       between processors on every request (larson, 2 threads on 2 cores: 50 against 77 M ops/s). An
 *       MPSC queue per owner would send blocks home one by one, a CAS each, and strand any number of
 *       them when the owner stops allocating; an idle thread's away buffer strands at most
 *       {@code AWAY - 1}, like its magazines.</li>
 *   <li>Thread death: caches are registered with their thread; on a thread's first miss and every
 *       256th, when a shard is chosen, and on {@code trim}/{@code stats}, ended threads' caches are
 *       handed on (to their shard's depot, the rest to the cores). {@code isAlive()}
 *       returning false orders everything the ended thread wrote before the flush.</li>
 *   <li>Each cache refills from the shard fewest active threads use, chosen at its first miss: threads
 *       spread over the shards, and a thread that replaces an ended one takes over its shard (and its
 *       memory); see {@link #chooseShard}.</li>
 *   <li>Virtual threads never get a cache (millions of them would each hold memory), nor do threads
 *       beyond {@link #maxCaches}: they take the sharded path, marking blocks all the same.</li>
 *   <li>Two threads freeing the same block at the same moment: taking the mark is an atomic swap, so
 *       exactly one wins and the other gets a double free. Should a core still refuse a block given back (a
 *       bug, not a race), the block is dropped and counted in {@code CacheStats.refused}.</li>
 * </ul>
 */
final class ThreadCaches {

    /** Most bytes the depots of a class hold, all shards together; beyond, batches go back to the cores. */
    static final long DEPOT_BYTES = 512 << 10;
    /** Bytes a magazine may hold when full; its block count is this over the class size, within 2..64. */
    static final long MAGAZINE_BYTES = 32 << 10;
    static final int MAX_BLOCKS = 64;
    /** A thread that has not missed for this long does not count against a shard (see chooseShard). */
    static final long IDLE_NANOS = 100_000_000;
    /** Blocks of other shards a cache gathers before it sends them home in one go. */
    static final int AWAY = 64;

    /**
     * Layout of a cache's array per class, from the class's offset: a header (count in the low half,
     * capacity in the high half), allocations, flow, bytes asked by blocks handed out minus taken back,
     * then the magazine's slots. One array, so a hit touches the class's header line and its top slot.
     * Flow is blocks the slow paths took out of the magazine minus those they put in; frees are not
     * counted on the hot path but follow from {@code frees = allocations + count + flow}.
     */
    private static final int HEADER = 0;
    private static final int ALLOCATIONS = 1;
    private static final int FLOW = 2;
    private static final int LIVE_BYTES = 3;
    private static final int SLOTS = 4;

    /** One thread's magazines and counters, all in one array (layout above). */
    static final class Cache {
        final Thread owner;
        final long[] m;
        /** Per class, an empty batch array kept for the next flush (none yet: null). */
        final long[][] spare;
        long misses;
        /** When this thread last missed, to 16 misses ({@link System#nanoTime()}); read by others under registry, racily. */
        long lastMiss;
        /** Blocks of other shards this thread freed, on their way home; per cached tier, their bytes. */
        final long[] away = new long[AWAY];
        int awayCount;
        final long[] awayBytes;
        /**
         * The shard this thread refills from, -1 until its first miss (until then all its frees go away);
         * written by its owner under registry (see {@link #chooseShard}).
         */
        int shard;

        Cache(Thread owner, ThreadCaches layout, int shard) {
            this.owner = owner;
            this.shard = shard;
            this.m = new long[layout.length];
            this.spare = new long[layout.classSize.length][];
            this.awayBytes = new long[layout.tiers];
            for (int k = 0; k < layout.classSize.length; k++) {
                m[layout.off[k] + HEADER] = (long) layout.capacity[k] << 32;
            }
        }

        int count(int at) {
            return (int) m[at + HEADER];
        }

        void setCount(int at, int n) {
            m[at + HEADER] = (m[at + HEADER] & 0xFFFF_FFFF_0000_0000L) | n;
        }
    }

    /**
     * A shard's depot: per class, full batches of {@code batch[k]} blocks, {@code depth[k]} deep, each
     * class under its own lock. Per shard, not global: a global depot deals one thread's blocks out to
     * every other, until the blocks of each slab belong to many threads and their neighbouring marks
     * bounce between the processors on every malloc and free (measured on 2 cores, 2 threads: the two
     * mark accesses took half the time and larson ran slower than with 1 thread).
     */
    private static final class Depot {
        final long[][][] full;
        final int[] depth;
        final SpinLock[] lock;

        Depot(int classes) {
            full = new long[classes][][];
            depth = new int[classes];
            lock = new SpinLock[classes];
            for (int k = 0; k < classes; k++) {
                lock[k] = new SpinLock();
            }
        }
    }

    /** Block marks: a plain write by the allocating thread, an atomic swap to take one on free. */
    private static final java.lang.invoke.VarHandle MARK = java.lang.invoke.MethodHandles.arrayElementVarHandle(char[].class);

    /** Cache by {@code threadId & (TABLE - 1)}, checked against its owner: cheaper than a ThreadLocal. */
    private static final int TABLE = 1024;

    private final PooledAllocator heap;
    private final ChunkSpace space;
    /** Sizes 1..maxCached are cached. */
    final long maxCached;
    /** Class offset in a cache's array by {@code (size + 15) >>> 4}. */
    private final int[] offBySize;
    /** Class by {@code (size + 15) >>> 4}. */
    private final byte[] classBySize;
    private final long[] classSize;
    private final int[] classTier;
    private final int[] capacity;
    private final int[] off;
    private final int length;
    private final int tiers;
    private final Cache[] table = new Cache[TABLE];
    /** Taken by threads that get no cache (virtual threads, or past maxCaches): no slots used. */
    private final Cache none;
    /** Blocks per batch, per class. */
    private final int[] batch;
    /** One depot per shard: threads trade blocks only with threads of their own shard. */
    private final Depot[] depots;
    final int maxCaches;
    private final ThreadLocal<Cache> local = ThreadLocal.withInitial(this::register);
    private final int[] shardOfTag;
    /** Live caches per shard; written under registry. */
    private final int[] load;
    /** Active caches per shard, counted afresh by each chooseShard; guarded by registry. */
    private final int[] activeScratch;
    /** Live caches; guarded by itself. */
    private final List<Cache> registry = new ArrayList<>();
    /** Counters of reclaimed caches and of requests that took the uncached path; guarded by registry. */
    private final Cache retired;
    private long reclaimed;
    /** Blocks handed out by caches since reclaimed (hits and misses alike). */
    private long retiredCached;
    /** Blocks a core refused when given back; see the class comment. */
    private long refused;

    /**
     * @param tierClassSizes per cached tier (a prefix of the heap's tiers, in order), the class sizes
     *                       to cache, each a multiple of the granule
     * @param tierMax        per cached tier, its maxSize
     */
    ThreadCaches(PooledAllocator heap, ChunkSpace space, List<long[]> tierClassSizes, long[] tierMax, int maxCaches) {
        this.heap = heap;
        this.space = space;
        this.tiers = tierClassSizes.size();
        this.maxCaches = maxCaches;
        List<Long> sizes = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int t = 0; t < tiers; t++) {
            for (long s : tierClassSizes.get(t)) {
                sizes.add(s);
                owners.add(t);
            }
        }
        if (sizes.size() > 127) {
            throw new IllegalArgumentException("too many cached classes: " + sizes.size());
        }
        this.classSize = sizes.stream().mapToLong(Long::longValue).toArray();
        this.classTier = owners.stream().mapToInt(Integer::intValue).toArray();
        this.capacity = new int[classSize.length];
        this.off = new int[classSize.length];
        int at = 0;
        for (int k = 0; k < classSize.length; k++) {
            capacity[k] = (int) Math.max(2, Math.min(MAX_BLOCKS, MAGAZINE_BYTES / classSize[k]));
            off[k] = at;
            at += SLOTS + capacity[k];
        }
        this.length = at;
        this.batch = new int[classSize.length];
        for (int k = 0; k < classSize.length; k++) {
            batch[k] = Math.max(1, capacity[k] / 2);
        }
        int shards = heap.shards();
        this.load = new int[shards];
        this.activeScratch = new int[shards];
        this.shardOfTag = heap.shardOfTag();
        this.depots = new Depot[shards];
        for (int d = 0; d < shards; d++) {
            depots[d] = new Depot(classSize.length);
            for (int k = 0; k < classSize.length; k++) {
                // DEPOT_BYTES per class in all, shared out over the shards, and at least two batches each.
                depots[d].full[k] = new long[(int) Math.max(2, DEPOT_BYTES / shards / (batch[k] * classSize[k]))][];
            }
        }
        this.maxCached = tiers == 0 ? 0 : tierMax[tiers - 1];
        this.classBySize = new byte[(int) ((maxCached + 15) >>> 4) + 1];
        this.offBySize = new int[classBySize.length];
        for (int i = 1; i < classBySize.length; i++) {
            long size = (long) i << 4;
            int t = 0;
            while (tierMax[t] < Math.min(size, maxCached)) {
                t++;
            }
            int k = 0;
            while (classTier[k] != t || classSize[k] < Math.min(size, maxCached)) {
                k++;
            }
            classBySize[i] = (byte) k;
            offBySize[i] = off[k];
        }
        this.retired = new Cache(null, this, -1);
        this.none = new Cache(null, this, -1);
        for (int k = 0; k < classSize.length; k++) {
            none.m[off[k] + HEADER] = 0; // count 0: every allocation misses (its frees go away: shard -1)
        }
    }

    private Cache register() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return none;
        }
        heap.checkOpen();
        synchronized (registry) {
            reclaimEnded();
            if (registry.size() >= maxCaches) {
                return none;
            }
            Cache c = new Cache(t, this, -1);
            registry.add(c);
            return c;
        }
    }

    // ---- hot paths ----------------------------------------------------------------------------------

    /** The calling thread's cache, or {@code none}. */
    private Cache cache() {
        Thread t = Thread.currentThread();
        // A plain read: a stale or foreign entry fails the owner check (owner is final, so a Cache read
        // through a race is seen whole) and the slow path installs this thread's own.
        Cache c = table[(int) t.threadId() & (TABLE - 1)];
        if (c != null && c.owner == t) {
            return c;
        }
        return cacheSlow(t);
    }

    private Cache cacheSlow(Thread t) {
        Cache c = local.get();
        if (c != none) {
            table[(int) t.threadId() & (TABLE - 1)] = c;
        }
        return c;
    }

    /** A block for a request of 1..maxCached bytes at alignment 16 or less. */
    long allocate(long size, int site) {
        Cache c = cache();
        int g = (int) ((size + 15) >>> 4);
        int at = offBySize[g];
        long[] m = c.m;
        long h = m[at + HEADER];
        int n = (int) h - 1;
        if (n < 0) {
            return c == none ? allocateUncached(classBySize[g], size, site) : refill(c, classBySize[g], size, site);
        }
        long p = m[at + SLOTS + n];
        m[at + HEADER] = h - 1;
        mark(p, size);
        m[at + ALLOCATIONS]++;
        m[at + LIVE_BYTES] += size;
        return p;
    }

    /** Frees {@code p} if it lies in a cached tier's chunk and returns true; false if it does not. */
    boolean free(long p) {
        char[] states = space.blockStates(p);
        if (states == null) {
            return false;
        }
        int i = ChunkSpace.granule(p);
        if ((p & (ChunkSpace.GRANULE - 1)) != 0) {
            throw invalid(p);
        }
        // One atomic swap, not a read and a CAS: of two threads freeing the same block at once, exactly
        // one takes the mark and the other sees 0, a double free, so a block never enters two magazines.
        // Writing 0 where the mark already was 0 (not a block a user holds) changes nothing.
        int asked = (char) MARK.getAndSet(states, i, (char) 0);
        if (asked == 0) {
            throw invalid(p);
        }
        Cache c = cache();
        int g = (asked + 15) >>> 4;
        int at = offBySize[g];
        long[] m = c.m;
        if (shardOfTag[space.ownerOf(p)] != c.shard) {
            freeAway(c, p, classBySize[g], asked);
            return true;
        }
        long h = m[at + HEADER];
        int n = (int) h;
        if (n == (int) (h >>> 32)) {
            n = flushHalf(c, classBySize[g]);
            h = m[at + HEADER];
        }
        m[at + SLOTS + n] = p;
        m[at + HEADER] = h + 1;
        m[at + LIVE_BYTES] -= asked;
        return true;
    }

    /** Usable size of the live block {@code p} of a cached tier, or -1 if {@code p} is not in one. */
    long usableSize(long p) {
        char[] states = space.blockStates(p);
        if (states == null) {
            return -1;
        }
        int asked = states[ChunkSpace.granule(p)];
        if (asked == 0 || (p & (ChunkSpace.GRANULE - 1)) != 0) {
            throw invalid(p);
        }
        return classSize[classBySize[(asked + 15) >>> 4]];
    }

    private void mark(long p, long size) {
        char[] states = space.blockStates(p);
        if (states == null) {
            throw new IllegalStateException("allocator is closed"); // close() released the chunk under us
        }
        states[ChunkSpace.granule(p)] = (char) size;
    }

    // ---- slow paths ---------------------------------------------------------------------------------

    private long refill(Cache c, int k, long size, int site) {
        heap.checkOpen(); // before the ended threads' caches go to cores that close() has closed
        if ((c.misses & 255) == 0) {
            synchronized (registry) {
                reclaimEnded();
            }
        }
        // A racy read of load, a hint only: the choice itself is made under registry.
        if (c.shard < 0 || (load[c.shard] > 1 && (c.misses & 15) == 0)) {
            chooseShard(c);
        }
        int at = off[k];
        int got;
        long[] full = popBatch(depots[c.shard], k);
        if (full != null) {
            System.arraycopy(full, 0, c.m, at + SLOTS, batch[k]);
            got = batch[k];
            if (c.spare[k] == null) {
                c.spare[k] = full;
            }
        } else {
            got = heap.refill(c.shard, classTier[k], classSize[k], site, c.m, at + SLOTS, batch[k]);
        }
        long p = c.m[at + SLOTS + got - 1];
        c.setCount(at, got - 1);
        c.m[at + FLOW] -= got;
        if ((c.misses & 15) == 0) {
            // Every 16th miss: the clock costs ~30 ns a read on a VM (kvm-clock), as much as a depot refill.
            c.lastMiss = System.nanoTime();
        }
        c.misses++; // counted once the refill succeeded, so hits (handed out - misses) never go negative
        mark(p, size);
        c.m[at + ALLOCATIONS]++;
        c.m[at + LIVE_BYTES] += size;
        return p;
    }

    /**
     * Gives a thread the shard fewest active threads use (then fewest threads), at its first miss, so a thread that replaces
     * an ended one (larson) takes over its shard and its blocks, and N threads spread over N shards.
     * Chosen then, not at registration: a thread often starts before the one it replaces has ended
     * (larson's threads each start their successor). Later, a thread that still shares its shard with
     * an active one moves to a shard no active thread uses, if there is one; without that, two threads
     * would trade blocks for good while a shard sits unused. Active: missed in the last
     * {@link #IDLE_NANOS}; a thread that allocated once and then sleeps (larson's main thread) does
     * not hold a shard against the others.
     */
    private void chooseShard(Cache c) {
        synchronized (registry) {
            reclaimEnded();
            long now = System.nanoTime();
            int[] active = activeScratch;
            java.util.Arrays.fill(active, 0);
            for (Cache other : registry) {
                if (other != c && other.shard >= 0 && now - other.lastMiss < IDLE_NANOS) {
                    active[other.shard]++;
                }
            }
            int best = 0; // fewest active threads, then fewest threads
            for (int s = 1; s < active.length; s++) {
                if (active[s] < active[best] || (active[s] == active[best] && load[s] < load[best])) {
                    best = s;
                }
            }
            if (c.shard < 0) {
                load[best]++;
                c.shard = best;
            } else if (active[c.shard] > 0 && active[best] == 0) {
                load[c.shard]--;
                load[best]++;
                c.shard = best;
            }
        }
    }

    /** Moves the older half of magazine {@code k} to the depot (or the cores); returns the new count. */
    private int flushHalf(Cache c, int k) {
        int at = off[k];
        int n = c.count(at);
        int b = batch[k];
        long[] out = c.spare[k];
        if (out == null) {
            out = new long[b];
        }
        System.arraycopy(c.m, at + SLOTS, out, 0, b);
        if (pushBatch(depots[c.shard], k, out)) {
            c.spare[k] = null;
        } else {
            c.spare[k] = out;
            giveBack(out, 0, b);
        }
        System.arraycopy(c.m, at + SLOTS + b, c.m, at + SLOTS, n - b);
        c.setCount(at, n - b);
        c.m[at + FLOW] += b;
        return n - b;
    }

    private static long[] popBatch(Depot depot, int k) {
        SpinLock lock = depot.lock[k];
        lock.lock();
        try {
            int d = depot.depth[k];
            if (d == 0) {
                return null;
            }
            long[] full = depot.full[k][--d];
            depot.full[k][d] = null;
            depot.depth[k] = d;
            return full;
        } finally {
            lock.unlock();
        }
    }

    private static boolean pushBatch(Depot depot, int k, long[] full) {
        SpinLock lock = depot.lock[k];
        lock.lock();
        try {
            int d = depot.depth[k];
            if (d == depot.full[k].length) {
                return false;
            }
            depot.full[k][d] = full;
            depot.depth[k] = d + 1;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Hands an ended thread's magazine {@code k} on: whole batches to the depot, where the next thread
     * to miss takes them without touching a core (larson ends a thread every round); the rest, and
     * what a full depot refuses, to the cores. Guarded by registry.
     */
    private void adopt(Cache c, int k) {
        int at = off[k];
        int n = c.count(at);
        int b = batch[k];
        while (n >= b) {
            long[] full = java.util.Arrays.copyOfRange(c.m, at + SLOTS + n - b, at + SLOTS + n);
            if (!pushBatch(depots[c.shard], k, full)) {
                break;
            }
            n -= b;
            c.setCount(at, n); // as each batch leaves, so a failure below never hands a block on twice
            c.m[at + FLOW] += b;
        }
        c.setCount(at, 0);
        c.m[at + FLOW] += n;
        refused += heap.giveBack(c.m, at + SLOTS, at + SLOTS + n);
    }

    /** Empties every depot into the cores. */
    private void drainDepots() {
        for (Depot depot : depots) {
            for (int k = 0; k < classSize.length; k++) {
                for (long[] full; (full = popBatch(depot, k)) != null; ) {
                    giveBack(full, 0, batch[k]);
                }
            }
        }
    }

    /** Blocks in the depots of class {@code k} now. */
    private long depotBlocks(int k) {
        long blocks = 0;
        for (Depot depot : depots) {
            depot.lock[k].lock();
            try {
                blocks += (long) depot.depth[k] * batch[k];
            } finally {
                depot.lock[k].unlock();
            }
        }
        return blocks;
    }

    private void giveBack(long[] items, int from, int to) {
        int dropped = heap.giveBack(items, from, to);
        if (dropped > 0) {
            synchronized (registry) {
                refused += dropped;
            }
        }
    }

    /** A free of a block another shard owns (or by a thread with no cache): home, in batches. */
    private void freeAway(Cache c, long p, int k, int asked) {
        if (c == none) {
            freeUncached(p, k, asked);
            return;
        }
        int at = off[k];
        c.m[at + FLOW]++; // pushed and taken out at once
        c.m[at + LIVE_BYTES] -= asked;
        c.away[c.awayCount++] = p;
        c.awayBytes[classTier[k]] += classSize[k];
        if (c.awayCount == AWAY) {
            flushAway(c);
        }
    }

    /** Sends a cache's away blocks to the cores that own them (sorted, so each core's lock is taken once). */
    private void flushAway(Cache c) {
        int n = c.awayCount;
        java.util.Arrays.sort(c.away, 0, n);
        c.awayCount = 0;
        java.util.Arrays.fill(c.awayBytes, 0);
        giveBack(c.away, 0, n);
    }

    private long allocateUncached(int k, long size, int site) {
        long[] one = new long[1];
        heap.refill(-1, classTier[k], classSize[k], site, one, 0, 1);
        mark(one[0], size);
        count(k, size);
        return one[0];
    }

    private void freeUncached(long p, int k, int asked) {
        giveBack(new long[] {p}, 0, 1);
        synchronized (registry) {
            retired.m[off[k] + FLOW]++; // pushed and taken out at once
            retired.m[off[k] + LIVE_BYTES] -= asked;
        }
    }

    /** Counts an allocation that took the uncached path. */
    private void count(int k, long size) {
        synchronized (registry) {
            retired.m[off[k] + ALLOCATIONS]++;
            retired.m[off[k] + FLOW]--; // put in and popped at once
            retired.m[off[k] + LIVE_BYTES] += size;
        }
    }

    /**
     * Marks and counts a block of a cached tier handed out by the uncached path (an aligned request);
     * its class for the counters is the one its asked size maps to, as when it is freed.
     */
    void noteDirect(long p, long size) {
        mark(p, size);
        count(classBySize[(int) ((size + 15) >>> 4)], size);
    }

    private InvalidAddressException invalid(long p) {
        // Throws the core's own reason; a block the core counts as live but no user holds is cached: a double free.
        heap.usableSizeLocked(p);
        return new InvalidAddressException(p, InvalidAddressException.Reason.DOUBLE_FREE, "the block sits in a thread cache");
    }

    /** Flushes the calling thread's cache, every ended thread's cache and the depots to the cores. */
    void flushForTrim() {
        Cache c = cache();
        if (c != none) {
            flushAway(c);
            for (int k = 0; k < classSize.length; k++) {
                int at = off[k];
                int n = c.count(at);
                c.setCount(at, 0);
                c.m[at + FLOW] += n;
                giveBack(c.m, at + SLOTS, at + SLOTS + n);
            }
        }
        synchronized (registry) {
            reclaimEnded();
        }
        drainDepots();
    }

    void reclaimEndedThreads() {
        synchronized (registry) {
            reclaimEnded();
        }
    }

    /** Guarded by registry. */
    private void reclaimEnded() {
        for (int i = registry.size() - 1; i >= 0; i--) {
            Cache c = registry.get(i);
            if (!c.owner.isAlive()) {
                refused += heap.giveBack(c.away, 0, c.awayCount);
                c.awayCount = 0;
                for (int k = 0; k < classSize.length; k++) {
                    adopt(c, k);
                    int at = off[k];
                    retired.m[at + ALLOCATIONS] += c.m[at + ALLOCATIONS];
                    retiredCached += c.m[at + ALLOCATIONS];
                    retired.m[at + FLOW] += c.m[at + FLOW];
                    retired.m[at + LIVE_BYTES] += c.m[at + LIVE_BYTES];
                }
                retired.misses += c.misses;
                if (c.shard >= 0) {
                    load[c.shard]--;
                }
                int slot = (int) c.owner.threadId() & (TABLE - 1);
                if (table[slot] == c) {
                    table[slot] = null;
                }
                registry.remove(i);
                reclaimed++;
            }
        }
    }

    int cachedTiers() {
        return tiers;
    }

    /**
     * Per cached tier: {allocations, frees, liveBytes, cachedBytes}. Other threads' counters are read
     * without synchronization: exact once those threads have ended or synchronized with the caller,
     * a close approximation while they run.
     */
    long[][] tierCounts() {
        long[][] out = new long[tiers][4];
        synchronized (registry) {
            reclaimEnded();
            List<Cache> all = new ArrayList<>(registry);
            all.add(retired);
            for (Cache c : all) {
                for (int k = 0; k < classSize.length; k++) {
                    int at = off[k];
                    long[] o = out[classTier[k]];
                    o[0] += c.m[at + ALLOCATIONS];
                    o[1] += c.m[at + ALLOCATIONS] + c.count(at) + c.m[at + FLOW];
                    o[2] += c.m[at + LIVE_BYTES];
                    o[3] += c.count(at) * classSize[k];
                }
                for (int t = 0; t < tiers; t++) {
                    out[t][3] += c.awayBytes[t];
                }
            }
            for (int k = 0; k < classSize.length; k++) {
                out[classTier[k]][3] += depotBlocks(k) * classSize[k];
            }
        }
        return out;
    }

    CacheStats stats() {
        synchronized (registry) {
            reclaimEnded();
            // Hits: every block a cache handed out but those that took a refill; the uncached path is neither.
            long blocks = 0, bytes = 0, handed = 0, misses = retired.misses;
            for (Cache c : registry) {
                misses += c.misses;
                blocks += c.awayCount;
                for (long away : c.awayBytes) {
                    bytes += away;
                }
                for (int k = 0; k < classSize.length; k++) {
                    int at = off[k];
                    blocks += c.count(at);
                    bytes += c.count(at) * classSize[k];
                    handed += c.m[at + ALLOCATIONS];
                }
            }
            for (int k = 0; k < classSize.length; k++) {
                long d = depotBlocks(k);
                blocks += d;
                bytes += d * classSize[k];
            }
            long hits = handed + retiredCached - misses;
            return new CacheStats(registry.size(), blocks, bytes, hits, misses, reclaimed, refused);
        }
    }
}
