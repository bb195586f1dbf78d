package hakmem.api.runtime;

import hakmem.api.CacheStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.LockStats;
import hakmem.api.spi.SampleSink;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.List;

/**
 * The TLS variant's fast paths: per platform thread a {@link ThreadCache} of magazines in front of
 * the tiers' shards, trading batches with the shard's {@link Depots depot}.
 *
 * <h2>Protocol</h2>
 * <ul>
 *   <li>A cache's array is read and written by its thread alone, with plain accesses. A full magazine
 *       moves its older half to its shard's depot (or, when that is full, to the cores); an empty one
 *       takes a batch from there, else from its shard's core.</li>
 *   <li>Marks: every block a user holds is marked in its chunk's marks ({@link ChunkSpace#marks()})
 *       with the size asked (never 0); blocks in magazines, depots and cores are 0. Allocation checks
 *       that the popped block is unmarked and marks it; free takes the mark (reads it, writes 0) and
 *       pushes. A block passes between threads only through the user's own synchronization, which
 *       orders the mark's write before the free's read. Plain accesses by default; in strict mode
 *       the free takes the mark with one atomic swap.</li>
 *   <li>A free that finds no mark is not of a block the user holds: the slow path asks the owning
 *       core, under its lock, and throws the exact reason (a block the core counts as live but with no
 *       mark sits in some cache: a double free). Nothing changes before the throw.</li>
 *   <li>Racing double free (a user bug: two threads free one block at the same moment): with plain
 *       accesses both may take the mark and push the block, so it sits in two magazines. The copy
 *       popped second finds the block marked (the first is in a user's hands) and is dropped and
 *       counted ({@link ThreadCache#DUPLICATES}), never handed out. Metadata stays consistent: a core
 *       refuses a duplicate given back to it. Strict mode lets exactly one free win.</li>
 *   <li>Cross-thread frees: a block of the freeing thread's own shard (the chunk's marks carry it)
 *       goes into its magazine; a block of another shard into the away buffer, which goes home to the
 *       owning cores {@link ThreadCache#AWAY} blocks at a time, so each shard's blocks stay with its
 *       own threads and neighbouring marks do not bounce between processors.</li>
 * </ul>
 */
final class ThreadCaches {

    /** Strict mode's take of a mark. */
    private static final VarHandle MARK = MethodHandles.arrayElementVarHandle(char[].class);

    private final ClassTable classes;
    /** Copies of the tables the fast paths read, one load from {@code this} each. */
    private final int[] headerBySize;
    private final long[][] magazines;
    private final char[][] marks;
    private final long base;
    private final long capacity;
    private final boolean strict;
    /** Sizes 1..maxCached are cached. */
    final long maxCached;

    private final ShardedTier[] tiers;
    /** Index in {@code tiers} by chunk owner tag, -1 for other owners. */
    private final int[] tierByTag;
    private final Depots depots;
    private final CacheRegistry registry;
    private final ChunkSpace space;
    private final Lifecycle life;
    /** Null unless a learner runs. */
    private final Samples samples;
    /** Uncached requests until the next sample; racy on purpose: a lost update only moves a sample. */
    private int uncachedCountdown = Samples.PERIOD;

    /**
     * @param tiers  the cached tiers, a prefix of the allocator's in size order, whose classes the
     *               table {@code classes} holds
     * @param strict take marks with an atomic swap, so every racing double free throws at the call
     */
    ThreadCaches(ClassTable classes, ShardedTier[] tiers, ChunkSpace space, Lifecycle life, int maxCaches, boolean strict,
                 Samples samples) {
        this.samples = samples;
        this.classes = classes;
        this.headerBySize = classes.headerBySize;
        this.tiers = tiers;
        this.tierByTag = ShardedTier.indexByTag(tiers);
        this.space = space;
        this.life = life;
        this.strict = strict;
        this.maxCached = classes.maxCached;
        this.marks = space.marks();
        this.base = space.base();
        this.capacity = space.capacity();
        int shards = tiers.length == 0 ? 1 : tiers[0].shards();
        this.depots = new Depots(classes, shards, tiers, space);
        this.registry = new CacheRegistry(classes, depots, shards, maxCaches, life);
        this.magazines = registry.magazines;
    }

    // ---- fast paths ---------------------------------------------------------------------------------

    /** A block for a request of 1..maxCached bytes at alignment 16 or less. */
    long allocate(long size, int site) {
        Thread t = Thread.currentThread();
        long tid = t.threadId();
        long[] m = magazines[(int) tid & (CacheRegistry.TABLE - 1)];
        if (m == null || m[ThreadCache.OWNER] != tid) {
            return allocateSlow(t, size, site);
        }
        return pop(t, m, size, site);
    }

    /** Pops a block from the calling thread's magazines {@code m} and marks it. */
    private long pop(Thread t, long[] m, long size, int site) {
        int at = headerBySize[ClassTable.granules(size)];
        long h = m[at];
        int n = ThreadCache.count(h);
        if (n == 0) {
            return refill(t, m, size, site);
        }
        long p = m[at + n];
        m[at] = h + ThreadCache.POP;
        long offset = p - base;
        char[] chunk = marks[(int) (offset >>> ChunkSpace.CHUNK_SHIFT)];
        int i = (int) ((offset & (ChunkSpace.CHUNK_SIZE - 1)) >>> ChunkSpace.GRANULE_SHIFT);
        if (chunk == null || chunk[i] != 0) {
            return duplicate(t, m, at, size, site);
        }
        chunk[i] = (char) size;
        return p;
    }

    /** Frees {@code p} if it lies in a cached tier's chunk and returns true; false if it does not. */
    boolean free(long p) {
        long offset = p - base;
        if (Long.compareUnsigned(offset, capacity) >= 0) {
            return false;
        }
        char[] chunk = marks[(int) (offset >>> ChunkSpace.CHUNK_SHIFT)];
        if (chunk == null) {
            return false;
        }
        if ((offset & (ChunkSpace.GRANULE - 1)) != 0) {
            throw invalid(p); // an interior address: its granule's mark is another block's
        }
        int i = (int) ((offset & (ChunkSpace.CHUNK_SIZE - 1)) >>> ChunkSpace.GRANULE_SHIFT);
        int asked = chunk[i];
        if (asked == 0) {
            throw invalid(p);
        }
        if (strict) {
            // One swap: of two threads freeing the block at once, exactly one takes the mark.
            if ((char) MARK.getAndSet(chunk, i, (char) 0) == 0) {
                throw invalid(p);
            }
        } else {
            chunk[i] = 0;
        }
        Thread t = Thread.currentThread();
        long tid = t.threadId();
        long[] m = magazines[(int) tid & (CacheRegistry.TABLE - 1)];
        try {
            if (m == null || m[ThreadCache.OWNER] != tid) {
                freeSlow(t, p, asked, chunk);
            } else {
                push(t, m, p, asked, chunk);
            }
            return true;
        } catch (RuntimeException | Error e) {
            // A slow path failed (a call racing close(), no heap for a cache) before the block went
            // anywhere: the caller still holds it, so put the mark back.
            chunk[i] = (char) asked;
            throw e;
        }
    }

    /**
     * Puts the freed block {@code p} in the calling thread's magazines {@code m}, or in its away buffer
     * when another shard owns {@code chunk}.
     */
    private void push(Thread t, long[] m, long p, int asked, char[] chunk) {
        if (m[ThreadCache.SHARD] != chunk[ChunkSpace.SHARD_MARK]) {
            freeAway(m, p, asked);
            return;
        }
        int at = headerBySize[ClassTable.granules(asked)];
        long h = m[at];
        if (ThreadCache.full(h)) {
            h = flushHalf(t, m, classes.classOf(asked));
        }
        m[at + ThreadCache.count(h) + 1] = p;
        m[at] = h + ThreadCache.PUSH;
    }

    /** Usable size of the live block {@code p} of a cached tier, or -1 if {@code p} is not in one. */
    long usableSize(long p) {
        char[] chunk = space.marksOf(p);
        if (chunk == null) {
            return -1;
        }
        int asked = chunk[ChunkSpace.granule(p)];
        if (asked == 0 || (p & (ChunkSpace.GRANULE - 1)) != 0) {
            throw invalid(p);
        }
        return classes.classSize[classes.classOf(asked)];
    }

    // ---- slow paths ---------------------------------------------------------------------------------

    private long allocateSlow(Thread t, long size, int site) {
        ThreadCache c = registry.cacheOf(t);
        if (c == CacheRegistry.NONE) {
            return allocateUncached(t, size, site);
        }
        return pop(t, c.m, size, site);
    }

    /** A popped block was marked (or its chunk gone): a racing double free's second copy, or close(). */
    private long duplicate(Thread t, long[] m, int at, long size, int site) {
        life.checkOpen(); // close() drops every chunk's marks
        m[at] -= ThreadCache.POP + 1; // the pop counted an allocation: take it back
        registry.cacheOf(t, m).add(ThreadCache.DUPLICATES, 1);
        return pop(t, m, size, site);
    }

    private long refill(Thread t, long[] m, long size, int site) {
        life.checkOpen(); // before the ended threads' caches go to cores that close() has closed
        ThreadCache c = registry.cacheOf(t, m);
        long misses = c.counter(ThreadCache.MISSES);
        if ((misses & 255) == 0) {
            registry.reclaimEnded();
        }
        if (c.shard() < 0 || (registry.shared(c.shard()) && (misses & 15) == 0)) {
            registry.chooseShard(c);
        }
        int k = classes.classOf(size);
        int at = classes.header[k];
        int b = classes.batch[k];
        // Every 16th miss is timed (the idle-shard check wants the time anyway) and sampled: the fast
        // path carries no sampling at all, and a refill costs far more than two clock reads.
        boolean timed = (misses & (SampleSink.REFILL_PERIOD - 1)) == 0;
        long start = timed ? System.nanoTime() : 0;
        int got;
        long[] batch = depots.pop(c.shard(), k);
        if (batch != null) {
            System.arraycopy(batch, 0, m, at + 1, b);
            got = b;
            c.add(ThreadCache.DEPOT_TRADES, 1);
            if (c.spare[k] == null) {
                c.spare[k] = batch;
            }
        } else {
            JfrEvents.CacheRefill event = new JfrEvents.CacheRefill(); // see JfrEvents: free unless recorded
            boolean recorded = event.isEnabled();
            if (recorded) {
                event.begin();
            }
            got = tiers[classes.classTier[k]].refill(c.shard(), classes.classSize[k], site, m, at + 1, b);
            c.add(ThreadCache.CORE_TRIPS, 1);
            if (recorded) {
                refilled(event, k, got, c.shard());
            }
        }
        c.setCount(at, got);
        if (timed) {
            c.lastMiss = System.nanoTime();
            if (samples != null) {
                long served = ThreadCache.allocations(m[at]);
                samples.record(SampleSink.REFILL, size, site, classes.classTier[k], c.lastMiss - start,
                        (int) Math.min(served - c.sampledAt[k], Integer.MAX_VALUE));
                c.sampledAt[k] = served;
            }
        }
        c.add(ThreadCache.MISSES, 1); // once the refill succeeded, so hits (allocations - misses) stay >= 0
        return pop(t, m, size, site);
    }

    /** Moves the older half of magazine {@code k} to the depot (or the cores); returns the new header. */
    private long flushHalf(Thread t, long[] m, int k) {
        ThreadCache c = registry.cacheOf(t, m);
        int at = classes.header[k];
        int n = c.count(at);
        int b = classes.batch[k];
        long[] out = c.spare[k];
        if (out == null) {
            out = new long[b];
        }
        System.arraycopy(m, at + 1, out, 0, b);
        if (depots.push(c.shard(), k, out)) {
            c.spare[k] = null;
            c.add(ThreadCache.DEPOT_TRADES, 1);
        } else {
            c.spare[k] = out;
            JfrEvents.CacheFlush event = new JfrEvents.CacheFlush();
            boolean recorded = event.isEnabled();
            if (recorded) {
                event.begin();
            }
            int trips = depots.giveBack(out, 0, b);
            c.add(ThreadCache.CORE_TRIPS, trips);
            if (recorded) {
                flushed(event, tiers[classes.classTier[k]].id(), classes.classSize[k], b, "cores", trips, c.shard());
            }
        }
        System.arraycopy(m, at + 1 + b, m, at + 1, n - b);
        c.setCount(at, n - b);
        return m[at];
    }

    /** A free of a block another shard owns: into the away buffer, home in batches. */
    private void freeAway(long[] m, long p, int asked) {
        int k = classes.classOf(asked);
        int n = (int) m[ThreadCache.AWAY_COUNT];
        m[ThreadCache.AWAY_COUNT + 1 + n] = p;
        m[ThreadCache.AWAY_COUNT] = n + 1;
        m[ThreadCache.awayBytes(classes.classTier[k])] += classes.classSize[k];
        if (n + 1 == ThreadCache.AWAY) {
            flushAway(Thread.currentThread(), m);
        }
    }

    /** Sends the away blocks to the cores that own them (sorted, so each core's lock is taken once). */
    private void flushAway(Thread t, long[] m) {
        ThreadCache c = registry.cacheOf(t, m);
        int from = ThreadCache.AWAY_COUNT + 1;
        int n = (int) m[ThreadCache.AWAY_COUNT];
        Arrays.sort(m, from, from + n);
        m[ThreadCache.AWAY_COUNT] = 0;
        for (int tier = 0; tier < classes.tiers; tier++) {
            m[ThreadCache.awayBytes(tier)] = 0;
        }
        c.add(ThreadCache.AWAY_FLUSHES, 1);
        JfrEvents.CacheFlush event = new JfrEvents.CacheFlush();
        boolean recorded = n > 0 && event.isEnabled();
        String home = null;
        if (recorded) {
            home = awayTiers(m, from, from + n); // before the cores may release the chunks
            event.begin();
        }
        int trips = depots.giveBack(m, from, from + n);
        c.add(ThreadCache.CORE_TRIPS, trips);
        if (recorded) {
            flushed(event, home, 0, n, "away", trips, c.shard());
        }
    }

    // ---- JFR events (see JfrEvents), emitted only while a recording has them enabled ----------------

    private void refilled(JfrEvents.CacheRefill event, int k, int blocks, int shard) {
        event.end();
        if (event.shouldCommit()) {
            event.tier = tiers[classes.classTier[k]].id();
            event.blockSize = classes.classSize[k];
            event.blocks = blocks;
            event.shard = shard;
            event.commit();
        }
    }

    private static void flushed(JfrEvents.CacheFlush event, String tier, long blockSize, int blocks, String destination,
                                int trips, int shard) {
        event.end();
        if (event.shouldCommit()) {
            event.tier = tier;
            event.blockSize = blockSize;
            event.blocks = blocks;
            event.destination = destination;
            event.coreTrips = trips;
            event.shard = shard;
            event.commit();
        }
    }

    /** The ids of the tiers of the blocks in {@code items[from..to)}, comma-separated, in tier order. */
    private String awayTiers(long[] items, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (ShardedTier tier : tiers) {
            for (int i = from; i < to; i++) {
                if (tier.owns(space.ownerOf(items[i]))) {
                    sb.append(sb.isEmpty() ? "" : ",").append(tier.id());
                    break;
                }
            }
        }
        return sb.toString();
    }

    private void freeSlow(Thread t, long p, int asked, char[] chunk) {
        ThreadCache c = registry.cacheOf(t);
        if (c == CacheRegistry.NONE) {
            depots.giveBack(new long[] {p}, 0, 1);
            return;
        }
        push(t, c.m, p, asked, chunk); // installed now
    }

    /** Virtual threads and threads past maxCaches: one block from a core, counted under the registry. */
    private long allocateUncached(Thread t, long size, int site) {
        if (samples != null && --uncachedCountdown <= 0) {
            uncachedCountdown = Samples.PERIOD;
            long start = System.nanoTime();
            long p = allocateUncachedOnce(t, size, site);
            samples.record(SampleSink.CORE, size, site, classes.classTier[classes.classOf(size)],
                    System.nanoTime() - start, Samples.PERIOD);
            return p;
        }
        return allocateUncachedOnce(t, size, site);
    }

    private long allocateUncachedOnce(Thread t, long size, int site) {
        int k = classes.classOf(size);
        long[] one = new long[1];
        int shard = ThreadShards.hash(t, tiers[classes.classTier[k]].shards());
        tiers[classes.classTier[k]].refill(shard, classes.classSize[k], site, one, 0, 1);
        mark(one[0], size);
        registry.countUncached(k);
        return one[0];
    }

    /**
     * Marks and counts a block of a cached tier handed out by the allocator's locked path (an aligned
     * request); its class for the counters is the one its asked size maps to, as when it is freed.
     */
    void noteDirect(long p, long size) {
        mark(p, size);
        registry.countUncached(classes.classOf(size));
    }

    private void mark(long p, long size) {
        char[] chunk = space.marksOf(p);
        if (chunk == null) {
            throw new IllegalStateException("allocator is closed"); // close() released the chunk under us
        }
        chunk[ChunkSpace.granule(p)] = (char) size;
    }

    private InvalidAddressException invalid(long p) {
        // Throws the core's own reason; a block the core counts as live but no user holds is cached: a double free.
        int tag = space.ownerOf(p);
        ShardedTier tier = ShardedTier.owning(tiers, tierByTag, tag);
        if (tier != null) {
            tier.usableSize(tag, p);
        }
        return new InvalidAddressException(p, InvalidAddressException.Reason.DOUBLE_FREE, "the block sits in a thread cache");
    }

    // ---- trim, stats --------------------------------------------------------------------------------

    /** Flushes the calling thread's cache, every ended thread's cache and the depots to the cores. */
    void flushForTrim() {
        Thread t = Thread.currentThread();
        ThreadCache c = registry.cacheOf(t);
        if (c != CacheRegistry.NONE) {
            flushAway(t, c.m);
            for (int k = 0; k < classes.classes(); k++) {
                int at = classes.header[k];
                int n = c.count(at);
                c.setCount(at, 0);
                depots.giveBack(c.m, at + 1, at + 1 + n);
            }
        }
        registry.reclaimEnded();
        depots.drain();
    }

    void reclaimEndedThreads() {
        registry.reclaimEnded();
    }

    int cachedTiers() {
        return classes.tiers;
    }

    /**
     * Per cached tier and class, what the caches and marks show: {allocations, live blocks, live bytes,
     * cached blocks}, by class. Other threads' counters and marks are read without synchronization:
     * exact once those threads have ended or synchronized with the caller, close while they run.
     */
    long[][] classCounts() {
        int n = classes.classes();
        long[][] out = new long[n][4];
        for (ThreadCache c : registry.snapshot()) {
            for (int k = 0; k < n; k++) {
                int at = classes.header[k];
                out[k][0] += ThreadCache.allocations(c.m[at]);
                out[k][3] += c.count(at);
            }
            int away = (int) Math.min(c.m[ThreadCache.AWAY_COUNT], ThreadCache.AWAY);
            for (int i = 0; i < away; i++) {
                int k = classOfCached(c.m[ThreadCache.AWAY_COUNT + 1 + i]);
                if (k >= 0) {
                    out[k][3]++;
                }
            }
        }
        for (int k = 0; k < n; k++) {
            out[k][3] += depots.blocks(k);
        }
        space.scanMarks((tag, at, chunk) -> {
            for (int i = 0; i < ChunkSpace.SHARD_MARK; i++) {
                int asked = chunk[i];
                if (asked != 0) {
                    long[] o = out[classes.classOf(asked)];
                    o[1]++;
                    o[2] += asked;
                }
            }
        });
        return out;
    }

    /** The class of a block the cores count as live (as cached blocks are), by asking its core; -1 if none. */
    private int classOfCached(long p) {
        int tag = space.ownerOf(p);
        ShardedTier tier = ShardedTier.owning(tiers, tierByTag, tag);
        if (tier == null) {
            return -1;
        }
        try {
            return classes.classOf(tierByTag[tag], tier.usableSize(tag, p));
        } catch (InvalidAddressException e) {
            return -1; // read from a running thread's buffer as it changed
        }
    }

    /**
     * Checks the caches against the marks and the cores (see {@code Allocator.verify}): every cached
     * block lies in a chunk with marks and is live in its core; every marked block is live in its core
     * and at least as large as asked. Returns the copies found twice (in two caches, or cached while a
     * user holds the block): a racing double free's second copy, dropped when it leaves its cache.
     */
    long verify() {
        java.util.Map<Long, Integer> cached = new java.util.HashMap<>();
        for (ThreadCache c : registry.snapshot()) {
            long[] m = c.m;
            for (int i = 0; i < Math.min(m[ThreadCache.AWAY_COUNT], ThreadCache.AWAY); i++) {
                cached.merge(m[ThreadCache.AWAY_COUNT + 1 + i], 1, Integer::sum);
            }
            for (int k = 0; k < classes.classes(); k++) {
                int at = classes.header[k];
                for (int i = 1; i <= c.count(at); i++) {
                    cached.merge(m[at + i], 1, Integer::sum);
                }
            }
        }
        depots.forEachBlock(p -> cached.merge(p, 1, Integer::sum));
        long duplicates = 0;
        for (var e : cached.entrySet()) {
            long p = e.getKey();
            duplicates += e.getValue() - 1;
            char[] chunk = space.marksOf(p);
            if (chunk == null || (p & (ChunkSpace.GRANULE - 1)) != 0) {
                throw inconsistent("cached block 0x" + Long.toHexString(p) + " lies in no chunk of a cached tier");
            }
            if (classOfCached(p) < 0) {
                throw inconsistent("cached block 0x" + Long.toHexString(p) + " is not a live block of a cached class in its tier");
            }
        }
        List<long[]> held = new java.util.ArrayList<>();
        space.scanMarks((tag, at, chunk) -> {
            for (int i = 0; i < ChunkSpace.SHARD_MARK; i++) {
                if (chunk[i] != 0) {
                    held.add(new long[] {tag, at + ((long) i << ChunkSpace.GRANULE_SHIFT), chunk[i]});
                }
            }
        });
        for (long[] h : held) {
            long p = h[1];
            if (cached.containsKey(p)) {
                // Held and cached: a racing double free's copy, dropped when it leaves its cache.
                duplicates += cached.get(p);
            }
            long usable;
            try {
                usable = tierOf((int) h[0]).usableSize((int) h[0], p);
            } catch (InvalidAddressException e) {
                throw inconsistent("block 0x" + Long.toHexString(p) + " is marked as held but its tier says: " + e.getMessage());
            }
            if (usable < h[2]) {
                throw inconsistent("block 0x" + Long.toHexString(p) + " holds " + usable + " bytes, " + h[2] + " were asked");
            }
        }
        return duplicates;
    }

    private ShardedTier tierOf(int tag) {
        ShardedTier t = ShardedTier.owning(tiers, tierByTag, tag);
        if (t != null) {
            return t;
        }
        throw inconsistent("a chunk with marks belongs to no cached tier (owner tag " + tag + ")");
    }

    static IllegalStateException inconsistent(String what) {
        return new IllegalStateException("hakmem: inconsistent: " + what);
    }

    ClassTable classes() {
        return classes;
    }

    /** Contention on the depots' locks. */
    LockStats depotLocks() {
        return depots.lockStats();
    }

    CacheStats stats() {
        long blocks = 0, bytes = 0, handed = 0, uncached = 0;
        long[] counters = new long[ThreadCache.CORE_TRIPS + 1];
        for (ThreadCache c : registry.snapshot()) {
            for (int x = 0; x < counters.length; x++) {
                counters[x] += c.counter(x);
            }
            blocks += c.m[ThreadCache.AWAY_COUNT];
            for (int t = 0; t < classes.tiers; t++) {
                bytes += c.m[ThreadCache.awayBytes(t)];
            }
            for (int k = 0; k < classes.classes(); k++) {
                int at = classes.header[k];
                blocks += c.count(at);
                bytes += c.count(at) * classes.classSize[k];
                if (c != registry.uncached) { // the uncached path's allocations are neither hits nor misses
                    handed += ThreadCache.allocations(c.m[at]);
                } else {
                    uncached += ThreadCache.allocations(c.m[at]);
                }
            }
        }
        for (int k = 0; k < classes.classes(); k++) {
            long d = depots.blocks(k);
            blocks += d;
            bytes += d * classes.classSize[k];
        }
        long misses = counters[ThreadCache.MISSES];
        return new CacheStats(registry.threads(), blocks, bytes, handed - misses, misses, uncached, registry.reclaimed(),
                depots.refused(), counters[ThreadCache.DUPLICATES], counters[ThreadCache.DEPOT_TRADES],
                counters[ThreadCache.AWAY_FLUSHES], counters[ThreadCache.CORE_TRIPS]);
    }
}
