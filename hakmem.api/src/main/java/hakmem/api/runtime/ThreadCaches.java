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
 *       A full magazine moves its older half, as one batch, to the class's depot; an empty one takes a
 *       batch from the depot (Bonwick's magazine depot, tcmalloc's transfer cache). Each depot has its
 *       own lock held for a push or pop of one array, so threads trade blocks without touching the
 *       tier cores' metadata, which other processors' caches hold. Only a full depot sends a batch back
 *       to the cores that own its blocks, and only an empty one makes a refill from the thread's shard,
 *       each under that core's lock.</li>
 *   <li>Every block a user holds is marked in its chunk's block-state array ({@link ChunkSpace}) with
 *       the size asked (never 0); blocks in magazines and in cores are 0. Allocation writes the mark
 *       with a plain store after popping the block (no one else can reach it yet); free reads it and
 *       clears it with a CAS before pushing. A block passes between threads only through the user's
 *       own synchronization, which orders the mark's write before the free's read.</li>
 *   <li>A free of a block with no mark is not a block the user holds: the slow path asks the owning
 *       core, under its lock, and throws the exact reason (a block the core counts as live but that
 *       carries no mark sits in some magazine: a double free). Nothing changes before the throw.</li>
 *   <li>Cross-thread frees go into the freeing thread's magazine (the block migrates), not back to the
 *       owner: no lock and no atomic on the common path, at the price of blocks of one shard being
 *       handed out by another thread. Migration is bounded by the magazine sizes, and flushes always
 *       return blocks to the core that owns them. An MPSC queue per owner would keep blocks home but
 *       costs a CAS per remote free and leaves blocks stranded when the owner stops allocating.</li>
 *   <li>Thread death: caches are registered with their thread; whenever a cache misses (and on
 *       {@code trim}/{@code stats}), ended threads' caches are flushed to the cores. {@code isAlive()}
 *       returning false orders everything the ended thread wrote before the flush.</li>
 *   <li>Each cache refills from the shard fewest live caches use: threads spread over the shards, and
 *       a thread that replaces an ended one takes over its shard (and its memory).</li>
 *   <li>Virtual threads never get a cache (millions of them would each hold memory), nor do threads
 *       beyond {@link #maxCaches}: they take the sharded path, marking blocks all the same.</li>
 *   <li>Two threads freeing the same block at the same moment: clearing the mark is a CAS, so exactly
 *       one wins and the other gets a double free. Should a core still refuse a block given back (a
 *       bug, not a race), the block is dropped and counted in {@code CacheStats.refused}.</li>
 * </ul>
 */
final class ThreadCaches {

    /** Most bytes a class's depot holds; beyond, batches go back to the cores. */
    static final long DEPOT_BYTES = 512 << 10;
    /** Bytes a magazine may hold when full; its block count is this over the class size, within 2..64. */
    static final long MAGAZINE_BYTES = 32 << 10;
    static final int MAX_BLOCKS = 64;

    /**
     * One thread's magazines, all in one array ({@code slots[base[k] .. base[k] + capacity[k])} is
     * class {@code k}'s stack, {@code count[k]} deep), and its counters per class.
     */
    static final class Cache {
        final Thread owner;
        final long[] slots;
        final int[] count;
        /** Per class: blocks handed out, blocks taken back, bytes asked by handed out minus taken back. */
        final long[] allocations;
        final long[] frees;
        final long[] liveBytes;
        /** Per class, an empty batch array kept for the next flush (none yet: null). */
        final long[][] spare;
        long misses;
        /** The shard this thread refills from. */
        final int shard;

        Cache(Thread owner, int slots, int classes, int shard) {
            this.shard = shard;
            this.spare = new long[classes][];
            this.owner = owner;
            this.slots = new long[slots];
            this.count = new int[classes];
            this.allocations = new long[classes];
            this.frees = new long[classes];
            this.liveBytes = new long[classes];
        }
    }

    /** Block marks: plain reads and writes by the block's holder, a CAS to clear one on free. */
    private static final java.lang.invoke.VarHandle MARK = java.lang.invoke.MethodHandles.arrayElementVarHandle(char[].class);

    private static final Cache NONE = new Cache(null, 0, 0, -1);
    /** Cache by {@code threadId & (TABLE - 1)}, checked against its owner: cheaper than a ThreadLocal. */
    private static final int TABLE = 1024;

    private final PooledAllocator heap;
    private final ChunkSpace space;
    /** Sizes 1..maxCached are cached. */
    final long maxCached;
    /** Global class by {@code (size + 15) >>> 4}. */
    private final byte[] classBySize;
    private final long[] classSize;
    private final int[] classTier;
    private final int[] capacity;
    private final int[] base;
    private final int slots;
    private final int tiers;
    private final Cache[] table = new Cache[TABLE];
    /** Per class: full batches of {@code batch[k]} blocks, {@code depth[k]} deep, under {@code depotLock[k]}. */
    private final long[][][] depot;
    private final int[] depth;
    private final int[] batch;
    private final SpinLock[] depotLock;
    final int maxCaches;
    private final ThreadLocal<Cache> local = ThreadLocal.withInitial(this::register);
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
        this.base = new int[classSize.length];
        int at = 0;
        for (int k = 0; k < classSize.length; k++) {
            capacity[k] = (int) Math.max(2, Math.min(MAX_BLOCKS, MAGAZINE_BYTES / classSize[k]));
            base[k] = at;
            at += capacity[k];
        }
        this.slots = at;
        this.batch = new int[classSize.length];
        this.depot = new long[classSize.length][][];
        this.depth = new int[classSize.length];
        this.depotLock = new SpinLock[classSize.length];
        for (int k = 0; k < classSize.length; k++) {
            batch[k] = Math.max(1, capacity[k] / 2);
            depot[k] = new long[(int) Math.max(2, DEPOT_BYTES / (batch[k] * classSize[k]))][];
            depotLock[k] = new SpinLock();
        }
        this.maxCached = tiers == 0 ? 0 : tierMax[tiers - 1];
        this.classBySize = new byte[(int) ((maxCached + 15) >>> 4) + 1];
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
        }
        this.retired = new Cache(null, 0, classSize.length, -1);
    }

    private Cache register() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return NONE;
        }
        synchronized (registry) {
            reclaimEnded();
            if (registry.size() >= maxCaches) {
                return NONE;
            }
            // The shard fewest live threads refill from: a thread that replaces an ended one (larson) takes
            // over its shard, so one thread at a time keeps using one shard's memory, and N threads spread.
            int[] load = new int[heap.shards()];
            for (Cache other : registry) {
                load[other.shard]++;
            }
            int shard = 0;
            for (int s = 1; s < load.length; s++) {
                if (load[s] < load[shard]) {
                    shard = s;
                }
            }
            Cache c = new Cache(t, slots, classSize.length, shard);
            registry.add(c);
            return c;
        }
    }

    // ---- hot paths ----------------------------------------------------------------------------------

    /** The calling thread's cache, or NONE. */
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
        if (c != NONE) {
            table[(int) t.threadId() & (TABLE - 1)] = c;
        }
        return c;
    }

    /** A block for a request of 1..maxCached bytes at alignment 16 or less. */
    long allocate(long size, int site) {
        Cache c = cache();
        int k = classBySize[(int) ((size + 15) >>> 4)];
        int n = c.count.length == 0 ? -1 : c.count[k] - 1;
        if (n < 0) {
            return c == NONE ? allocateUncached(k, size, site) : refill(c, k, size, site);
        }
        long p = c.slots[base[k] + n];
        c.count[k] = n;
        mark(p, size);
        c.allocations[k]++;
        c.liveBytes[k] += size;
        return p;
    }

    /** Frees {@code p} if it lies in a cached tier's chunk and returns true; false if it does not. */
    boolean free(long p) {
        char[] states = space.blockStates(p);
        if (states == null) {
            return false;
        }
        int g = ChunkSpace.granule(p);
        int asked = states[g];
        // CAS, not a plain store: of two threads freeing the same block at once, exactly one wins and
        // the other sees a double free, so a block never enters two magazines.
        if (asked == 0 || (p & (ChunkSpace.GRANULE - 1)) != 0 || !MARK.compareAndSet(states, g, (char) asked, (char) 0)) {
            throw invalid(p);
        }
        Cache c = cache();
        int k = classBySize[(asked + 15) >>> 4];
        if (c == NONE) {
            freeUncached(p, k, asked);
            return true;
        }
        int n = c.count[k];
        if (n == capacity[k]) {
            n = flushHalf(c, k);
        }
        c.slots[base[k] + n] = p;
        c.count[k] = n + 1;
        c.frees[k]++;
        c.liveBytes[k] -= asked;
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
        if ((c.misses & 255) == 0) {
            synchronized (registry) {
                reclaimEnded();
            }
        }
        int got;
        long[] full = popBatch(k);
        if (full != null) {
            System.arraycopy(full, 0, c.slots, base[k], batch[k]);
            got = batch[k];
            if (c.spare[k] == null) {
                c.spare[k] = full;
            }
        } else {
            got = heap.refill(c.shard, classTier[k], classSize[k], site, c.slots, base[k], batch[k]);
        }
        long p = c.slots[base[k] + got - 1];
        c.count[k] = got - 1;
        c.misses++; // counted once the refill succeeded, so hits (handed out - misses) never go negative
        mark(p, size);
        c.allocations[k]++;
        c.liveBytes[k] += size;
        return p;
    }

    /** Moves the older half of magazine {@code k} to the depot (or the cores); returns the new count. */
    private int flushHalf(Cache c, int k) {
        int n = c.count[k];
        int b = batch[k];
        long[] out = c.spare[k];
        if (out == null) {
            out = new long[b];
        }
        System.arraycopy(c.slots, base[k], out, 0, b);
        if (pushBatch(k, out)) {
            c.spare[k] = null;
        } else {
            c.spare[k] = out;
            giveBack(out, 0, b);
        }
        System.arraycopy(c.slots, base[k] + b, c.slots, base[k], n - b);
        c.count[k] = n - b;
        return n - b;
    }

    private long[] popBatch(int k) {
        SpinLock lock = depotLock[k];
        lock.lock();
        try {
            int d = depth[k];
            if (d == 0) {
                return null;
            }
            long[] full = depot[k][--d];
            depot[k][d] = null;
            depth[k] = d;
            return full;
        } finally {
            lock.unlock();
        }
    }

    private boolean pushBatch(int k, long[] full) {
        SpinLock lock = depotLock[k];
        lock.lock();
        try {
            int d = depth[k];
            if (d == depot[k].length) {
                return false;
            }
            depot[k][d] = full;
            depth[k] = d + 1;
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
        int n = c.count[k];
        int b = batch[k];
        int at = base[k];
        while (n >= b) {
            long[] full = java.util.Arrays.copyOfRange(c.slots, at + n - b, at + n);
            if (!pushBatch(k, full)) {
                break;
            }
            n -= b;
            c.count[k] = n; // as each batch leaves, so a failure below never hands a block on twice
        }
        c.count[k] = 0;
        refused += heap.giveBack(c.slots, at, at + n);
    }

    /** Empties every depot into the cores. */
    private void drainDepots() {
        for (int k = 0; k < depot.length; k++) {
            for (long[] full; (full = popBatch(k)) != null; ) {
                giveBack(full, 0, batch[k]);
            }
        }
    }

    /** Blocks in depot {@code k} now. */
    private long depotBlocks(int k) {
        depotLock[k].lock();
        try {
            return (long) depth[k] * batch[k];
        } finally {
            depotLock[k].unlock();
        }
    }

    private void giveBack(long[] items, int from, int to) {
        int dropped = heap.giveBack(items, from, to);
        if (dropped > 0) {
            synchronized (registry) {
                refused += dropped;
            }
        }
    }

    private long allocateUncached(int k, long size, int site) {
        long[] one = new long[1];
        heap.refill(-1, classTier[k], classSize[k], site, one, 0, 1);
        mark(one[0], size);
        synchronized (registry) {
            retired.allocations[k]++;
            retired.liveBytes[k] += size;
        }
        return one[0];
    }

    private void freeUncached(long p, int k, int asked) {
        giveBack(new long[] {p}, 0, 1);
        synchronized (registry) {
            retired.frees[k]++;
            retired.liveBytes[k] -= asked;
        }
    }

    /**
     * Marks and counts a block of a cached tier handed out by the uncached path (an aligned request);
     * its class for the counters is the one its asked size maps to, as when it is freed.
     */
    void noteDirect(long p, long size) {
        mark(p, size);
        int k = classBySize[(int) ((size + 15) >>> 4)];
        synchronized (registry) {
            retired.allocations[k]++;
            retired.liveBytes[k] += size;
        }
    }

    private InvalidAddressException invalid(long p) {
        // Throws the core's own reason; a block the core counts as live but no user holds is cached: a double free.
        heap.usableSizeLocked(p);
        return new InvalidAddressException(p, InvalidAddressException.Reason.DOUBLE_FREE, "the block sits in a thread cache");
    }

    /** Flushes the calling thread's cache, every ended thread's cache and the depots to the cores. */
    void flushForTrim() {
        Cache c = cache();
        if (c != NONE) {
            for (int k = 0; k < c.count.length; k++) {
                giveBack(c.slots, base[k], base[k] + c.count[k]);
                c.count[k] = 0;
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
                for (int k = 0; k < c.count.length; k++) {
                    adopt(c, k);
                    retired.allocations[k] += c.allocations[k];
                    retiredCached += c.allocations[k];
                    retired.frees[k] += c.frees[k];
                    retired.liveBytes[k] += c.liveBytes[k];
                }
                retired.misses += c.misses;
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
                for (int k = 0; k < c.count.length; k++) {
                    long[] o = out[classTier[k]];
                    o[0] += c.allocations[k];
                    o[1] += c.frees[k];
                    o[2] += c.liveBytes[k];
                    o[3] += c.count[k] * classSize[k];
                }
            }
            for (int k = 0; k < depot.length; k++) {
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
                for (int k = 0; k < c.count.length; k++) {
                    blocks += c.count[k];
                    bytes += c.count[k] * classSize[k];
                    handed += c.allocations[k];
                }
            }
            for (int k = 0; k < depot.length; k++) {
                long d = depotBlocks(k);
                blocks += d;
                bytes += d * classSize[k];
            }
            long hits = handed + retiredCached - misses;
            return new CacheStats(registry.size(), blocks, bytes, hits, misses, reclaimed, refused);
        }
    }
}
