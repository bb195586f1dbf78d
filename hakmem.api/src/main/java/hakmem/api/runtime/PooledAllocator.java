package hakmem.api.runtime;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.CacheStats;
import hakmem.api.ClassStats;
import hakmem.api.Concurrency;
import hakmem.api.InvalidAddressException;
import hakmem.api.LockStats;
import hakmem.api.Site;
import hakmem.api.SiteOptions;
import hakmem.api.TierStats;
import hakmem.api.spi.Learner;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.LearnerProvider;
import hakmem.api.spi.Policy;
import hakmem.api.spi.SampleSink;
import hakmem.api.spi.TierProvider;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The three variants, and the API over them. Each tier is a {@link ShardedTier}: one or more cores,
 * each behind its own lock; the big-block path has one lock of its own. LOCKED is one shard per tier;
 * SHARDED several; TLS puts {@link ThreadCaches} in front of the shards of the tiers that suit them.
 * Data flows one way: this class -> thread caches -> sharded tiers -> cores -> chunk space.
 *
 * <p>Routing: a request goes to the first tier (in size order) whose {@code maxSize()} covers it, else to
 * the big-block path; within the tier, the calling thread's shard ({@link #shardOfThread}). A free finds
 * the owning core from the chunk table in one array read, whichever thread frees; an address outside
 * every tier chunk goes to the big-block path, which knows its live mappings.
 *
 * <p>Closing: the {@link Lifecycle} is closed first, then every lock is taken once while the cores are
 * closed. Each locked section checks the lifecycle after taking its lock, so a call that races with
 * {@code close()} either completes before the core closes or fails with {@link IllegalStateException}.
 * The thread caches' hits take no lock and read no flag: {@code close()} drops every chunk's marks, so
 * a hit after it finds none and fails the same way; their misses check the lifecycle first (a call
 * racing with {@code close()} is the user's error, see {@link Allocator#close()}).
 */
public final class PooledAllocator implements Allocator {

    /** Most sites one allocator labels; a name per request would otherwise grow the table forever. */
    static final int MAX_SITES = 1 << 16;
    static final long MAX_ALIGNMENT = 1L << 30;

    private final Concurrency concurrency;
    private final ChunkSpace space;
    private final ShardedTier[] tiers;
    /** Tier by chunk owner tag; tag 0 (no owner) maps to null. */
    private final ShardedTier[] tierOfTag;
    private final int shardCount;
    private final BigBlocks big;
    private final SpinLock bigLock;
    private final ConcurrentHashMap<String, SiteLabel> sites = new ConcurrentHashMap<>();
    private final AtomicInteger nextSite = new AtomicInteger(1);
    /** Started by {@link #open}, once the allocator is whole; null when learning is off. */
    private Learner learner;
    private String learnerName = "off";
    private volatile Policy policy;
    /** Null unless a learner runs. */
    private final Samples samples;
    /** The OS pages under this allocator, counted for the learner. */
    private final CountingPages pages;
    private final Lifecycle life = new Lifecycle();
    /** The TLS variant's thread caches in front of the shards; null for LOCKED and SHARDED. */
    private final ThreadCaches caches;
    /** Requests of 1..cachedMax bytes at alignment 16 go straight to the thread caches (0: none do). */
    private final long cachedMax;
    /** SHARDED's shard per thread; null for LOCKED and TLS. */
    private final ThreadShards threadShards;

    /**
     * Switches a user may turn on.
     *
     * @param strictFrees TLS: take marks with an atomic swap, so every racing double free throws
     * @param zeroOnFree  zero every block as it is freed, so no freed secret reaches the next user
     * @param failOnLeak  close() throws IllegalStateException with the leak report when blocks are live
     * @param debug       guard bytes after every block checked on free, freed memory poisoned, sampled
     *                    allocation stacks in the leak report ({@link DebugChecks})
     */
    public record Options(boolean strictFrees, boolean zeroOnFree, boolean failOnLeak, boolean debug,
                          Policy policy, String learningMode, ScheduledExecutorService learnerExecutor) {
        public static final Options DEFAULT = new Options(false, false, false, false);

        /**
         * @param policy       the policy to start with (a learner may replace it)
         * @param learningMode the learning mode for the learner, null for its default
         * @param learnerExecutor where the learner runs its periodic work, null for a thread of its own
         */
        public Options {
            java.util.Objects.requireNonNull(policy, "policy");
        }

        public Options(boolean strictFrees, boolean zeroOnFree, boolean failOnLeak, boolean debug) {
            this(strictFrees, zeroOnFree, failOnLeak, debug, Policy.DEFAULT, null, null);
        }
    }

    private static final System.Logger LOG = System.getLogger("hakmem");

    private final Options options;
    /**
     * Frees that write to the block first (zeroOnFree, debug, a zero-on-free site): one field, read by
     * every free. Not final: the first block of a zero-on-free site turns it on ({@link #noteSecret}), and
     * it is never turned off. A plain write is enough: a free of that block happens after its allocation
     * (the user's hand-over of the address orders them), so it reads true; a free that reads false is of
     * a block allocated before, which is no such site's. (C2 folds no instance field of a plain class, a
     * final one included, so the read costs what it did when the field was final.)
     */
    private boolean checkedFrees;
    /** Whether a zero-on-free site has allocated; written before {@link #checkedFrees}, read only when that is set. */
    private boolean secretSites;
    /**
     * The live blocks of zero-on-free sites, by address: a free takes its block out (of two racing frees
     * one does) and zeroes it; a realloc that moves one gets its new block from the same site.
     */
    private final ConcurrentHashMap<Long, SiteLabel> secrets = new ConcurrentHashMap<>();
    /** Non-null in debug mode. */
    private final DebugChecks debug;

    /** This allocator's JMX bean, unregistered by close(); null unless JMX was asked for. */
    private volatile AllocatorBean bean;

    /**
     * An allocator, with its learner started.
     *
     * @param concurrency LOCKED (then {@code shards} must be 1), SHARDED or TLS
     * @param shards      cores per tier
     */
    public static PooledAllocator open(Concurrency concurrency, int shards, List<TierProvider> providers, long memoryLimit,
                                       long reservation, LearnerProvider learnerProvider, Options options) {
        return open(concurrency, shards, providers, memoryLimit, reservation, learnerProvider, options, OsMemory.SYSTEM);
    }

    /** As above, with pages from {@code pages} (tests: a source that refuses on cue). */
    static PooledAllocator open(Concurrency concurrency, int shards, List<TierProvider> providers, long memoryLimit,
                                long reservation, LearnerProvider learnerProvider, Options options, PageSource pages) {
        PooledAllocator a = new PooledAllocator(concurrency, shards, providers, memoryLimit, reservation, options, pages,
                learnerProvider != null);
        if (learnerProvider != null) {
            try {
                a.learner = learnerProvider.start(a.new Context());
                a.learnerName = learnerProvider.id();
            } catch (RuntimeException | Error e) {
                a.close();
                throw e;
            }
        }
        return a;
    }

    /**
     * Registers this allocator's {@link hakmem.api.AllocatorMXBean} under {@code name}, or a default name
     * ({@code hakmem-1}, ...) when null; close() unregisters it.
     *
     * @throws IllegalArgumentException if an allocator of that name is registered already
     */
    public void registerBean(String name) {
        life.checkOpen();
        bean = AllocatorBean.register(this, name);
    }

    private PooledAllocator(Concurrency concurrency, int shards, List<TierProvider> providers, long memoryLimit,
                            long reservation, Options options, PageSource os, boolean sampled) {
        if (shards < 1 || shards > 1024 || (concurrency == Concurrency.LOCKED && shards != 1)) {
            throw new IllegalArgumentException("shards must be 1..1024 (1 for LOCKED): " + shards);
        }
        this.concurrency = concurrency;
        this.options = options;
        this.policy = options.policy();
        this.samples = sampled ? new Samples(shards) : null;
        CountingPages pages = new CountingPages(os);
        this.pages = pages;
        this.checkedFrees = options.zeroOnFree() || options.debug();
        this.debug = options.debug() ? new DebugChecks() : null;
        this.shardCount = shards;
        this.threadShards = concurrency == Concurrency.SHARDED && shards > 1
                ? new ThreadShards(shards, Math.max(16, 4 * Runtime.getRuntime().availableProcessors())) : null;
        Budget budget = new Budget(memoryLimit);
        this.space = ChunkSpace.reserve(reservation, budget, pages);
        BigBlocks bigBlocks = new BigBlocks(budget, pages, space::trimRetained);
        SpinLock bigBlocksLock = new SpinLock();
        this.big = bigBlocks;
        this.bigLock = bigBlocksLock;
        // A tier short of budget for a chunk first empties the big-block cache (shard lock, then bigLock:
        // the one order these two are ever taken in).
        space.onPressure(() -> {
            bigBlocksLock.lock();
            try {
                bigBlocks.trim();
            } finally {
                bigBlocksLock.unlock();
            }
        });
        space.retainLimit(policy.retainedChunkBytes());
        try {
            this.tiers = new ShardedTier[providers.size()];
            this.tierOfTag = new ShardedTier[1 + providers.size() * shards];
            int tag = 1;
            for (int i = 0; i < tiers.length; i++) {
                for (int s = 0; s < shards; s++) {
                    space.label(tag + s, providers.get(i).id(), s);
                }
                tiers[i] = new ShardedTier(providers.get(i), shards, tag, space, life, i, samples);
                for (int s = 0; s < shards; s++) {
                    tierOfTag[tag++] = tiers[i];
                }
            }
            for (ShardedTier t : tiers) {
                t.apply(policy);
            }
            this.caches = concurrency == Concurrency.TLS ? threadCaches(options.strictFrees()) : null;
        } catch (RuntimeException | Error e) {
            space.close();
            throw e;
        }
        // Debug mode takes the general path (0: no size is sent straight to the thread caches).
        this.cachedMax = caches == null || debug != null ? 0 : caches.maxCached;
    }

    /**
     * Thread caches for the leading tiers whose classes suit them: every class a multiple of the mark
     * granule (classes below it are skipped: their requests round up), the last class covering the
     * tier's maxSize, and maxSize a multiple of the granule (a size maps to one tier's class) small
     * enough for a block's asked size to fit a mark.
     */
    private ThreadCaches threadCaches(boolean strict) {
        List<long[]> classes = new ArrayList<>();
        List<Long> max = new ArrayList<>();
        List<ShardedTier> cached = new ArrayList<>();
        for (ShardedTier t : tiers) {
            long[] sizes = java.util.Arrays.stream(t.classSizes()).filter(s -> s >= ChunkSpace.GRANULE).toArray();
            boolean fits = sizes.length > 0 && t.maxSize <= Character.MAX_VALUE && t.maxSize % ChunkSpace.GRANULE == 0
                    && sizes[sizes.length - 1] >= t.maxSize
                    && java.util.Arrays.stream(sizes).allMatch(s -> s % ChunkSpace.GRANULE == 0);
            if (!fits) {
                break;
            }
            classes.add(sizes);
            max.add(t.maxSize);
            cached.add(t);
            for (int s = 0; s < t.shards(); s++) {
                space.track(t.firstTag + s, s);
            }
        }
        int maxCaches = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        ClassTable table = new ClassTable(classes, max.stream().mapToLong(Long::longValue).toArray());
        return new ThreadCaches(table, cached.toArray(ShardedTier[]::new), space, life, maxCaches, strict, samples);
    }

    // ---- allocation -------------------------------------------------------------------------------

    @Override
    public long malloc(long size) {
        // One unsigned compare sends 1..cachedMax bytes to the thread caches (none when cachedMax is 0).
        if (Long.compareUnsigned(size - 1, cachedMax) < 0) {
            try {
                return caches.allocate(size, 0);
            } catch (OutOfMemoryError e) {
                return allocate(size, 16, 0, false); // gives way, tries again, names the request
            }
        }
        return allocate(size, size <= 8 ? 8 : 16, 0, false);
    }

    @Override
    public long calloc(long size) {
        return allocate(size, size <= 8 ? 8 : 16, 0, true);
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return allocate(byteSize, byteAlignment, 0);
    }

    MemorySegment allocate(long byteSize, long byteAlignment, int site) {
        return segment(allocate(byteSize, checkAlignment(byteAlignment), site, false), byteSize);
    }

    long allocate(long size, long alignment, int site, boolean zero) {
        if (Long.compareUnsigned(size - 1, MAX_SIZE) >= 0) {
            size = checkSize(size);
        }
        if (debug != null) {
            long p = allocateOrRelieve(DebugChecks.withGuard(size), alignment, site, zero);
            debug.allocated(p, size, site);
            return p;
        }
        return allocateOrRelieve(size, alignment, site, zero);
    }

    private long allocateOrRelieve(long size, long alignment, int site, boolean zero) {
        try {
            return allocateOnce(size, alignment, site, zero);
        } catch (OutOfMemoryError e) {
            relieve(e, size);
            try {
                return allocateOnce(size, alignment, site, zero);
            } catch (OutOfMemoryError again) {
                throw outOfMemory(again, size);
            }
        }
    }

    /** The error a request of {@code size} bytes fails with: what was asked, the limit and what is in use. */
    private OutOfMemoryError outOfMemory(OutOfMemoryError cause, long size) {
        Budget b = space.budget();
        OutOfMemoryError e = new OutOfMemoryError("hakmem: no memory for a request of " + size + " bytes: "
                + b.reserved() + " bytes in use" + (b.limit() == Long.MAX_VALUE ? "" : " against a limit of " + b.limit())
                + ", after giving back what was kept for reuse (" + cause.getMessage() + ")");
        e.initCause(cause);
        return e;
    }

    /**
     * Before a request fails for want of memory: gives back everything kept for reuse that {@link #trim}
     * reaches (the calling thread's cache, ended threads' caches, depots, the cores' spare slabs, chunks
     * and dirty pages, the big-block cache, retained chunks), then returns for one more try; throws
     * {@code e} if that gave nothing back. Called outside every lock.
     */
    private void relieve(OutOfMemoryError e, long size) {
        long before = space.budget().reserved();
        trim();
        if (space.budget().reserved() >= before) {
            throw outOfMemory(e, size);
        }
    }

    private long allocateOnce(long size, long alignment, int site, boolean zero) {
        ThreadCaches c = caches;
        if (c != null && alignment <= ChunkSpace.GRANULE && size <= cachedMax) {
            // No open check: close() drops every chunk's marks, so marking the block throws instead.
            long p = c.allocate(size, site);
            if (zero) {
                MemorySegment.ofAddress(p).reinterpret(size).fill((byte) 0);
            }
            return p;
        }
        // One read of the policy on the locked path; sizes over its pool max go straight to the big-block path.
        long poolMax = policy.poolMaxBytes();
        for (int i = 0; i < tiers.length && size <= poolMax; i++) {
            ShardedTier t = tiers[i];
            if (size <= t.maxSize) {
                long p = t.allocate(shardOfThread(), size, alignment, site, zero);
                if (p != 0 && c != null && i < c.cachedTiers()) {
                    c.noteDirect(p, size);
                }
                if (p != 0) {
                    return p;
                }
                break;
            }
        }
        return allocateBig(size, alignment, site, zero);
    }

    private long allocateBig(long size, long alignment, int site, boolean zero) {
        bigLock.lock();
        try {
            life.checkOpen();
            if (samples == null) {
                return big.allocate(size, alignment, policy, zero);
            }
            // Every big request is sampled: its calls to the OS cost far more than the two clock reads.
            long start = System.nanoTime();
            long p = big.allocate(size, alignment, policy, zero);
            samples.record(SampleSink.BIG, size, site, tiers.length, System.nanoTime() - start, 1);
            return p;
        } finally {
            bigLock.unlock();
        }
    }

    private void freeBig(long address) {
        bigLock.lock();
        try {
            life.checkOpen();
            if (samples == null) {
                big.free(address, policy);
                return;
            }
            long start = System.nanoTime();
            long length = big.free(address, policy);
            samples.record(SampleSink.BIG_FREE, length, 0, tiers.length, System.nanoTime() - start, 1);
        } finally {
            bigLock.unlock();
        }
    }

    /**
     * The calling thread's shard: SHARDED gives each thread the least used one ({@link ThreadShards});
     * TLS, whose cached threads refill from shards of their own, hashes the rest (virtual threads).
     */
    private int shardOfThread() {
        if (shardCount == 1) {
            return 0;
        }
        ThreadShards map = threadShards;
        return map != null ? map.shard() : ThreadShards.hash(Thread.currentThread(), shardCount);
    }

    /**
     * Size 0 becomes a 1-byte block; anything else outside 1..MAX_SIZE is rejected (a closed allocator
     * says so first: it wins over a bad argument).
     */
    private long checkSize(long size) {
        if (size == 0) {
            return 1;
        }
        life.checkOpen();
        throw new IllegalArgumentException("size must be 0.." + MAX_SIZE + " bytes: " + size);
    }

    private long checkAlignment(long alignment) {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > MAX_ALIGNMENT) {
            life.checkOpen();
            throw new IllegalArgumentException("alignment must be a power of two from 1 to " + MAX_ALIGNMENT + ": " + alignment);
        }
        return alignment;
    }

    private static MemorySegment segment(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    // ---- free and friends -------------------------------------------------------------------------

    @Override
    public void free(long address) {
        if (address == 0) {
            return;
        }
        if (checkedFrees) {
            freeChecked(address);
            return;
        }
        freeBlock(address);
    }

    /**
     * Debug mode's checks and poison (which overwrites a zero-on-free site's block too), or the zeroing of
     * zeroOnFree or of a zero-on-free site's block, then the free. Only a block the free gives back is
     * written: a zero-on-free site's block is one while it is in {@link #secrets}, and any other address
     * is validated by {@code usableSize} (or debug mode's table) before anything is written.
     */
    private void freeChecked(long address) {
        SiteLabel secret = secretSites ? secrets.remove(address) : null;
        if (debug != null) {
            if (debug.free(address, this::freeBlock)) {
                return;
            } // not a block debug mode handed out: the plain free throws the exact reason
        } else if (secret != null || options.zeroOnFree()) {
            try {
                // usableSize validates first: a bad address throws before anything is written.
                MemorySegment.ofAddress(address).reinterpret(usableSize(address)).fill((byte) 0);
                freeBlock(address);
            } catch (RuntimeException | Error e) {
                if (secret != null && !(e instanceof InvalidAddressException)) {
                    secrets.putIfAbsent(address, secret); // a call racing close(), no heap: the caller still holds it
                }
                throw e;
            }
            return;
        }
        freeBlock(address);
    }

    /** A block of the zero-on-free site {@code site}, entered in {@link #secrets}. */
    long allocateSecret(long size, long alignment, SiteLabel site, boolean zero) {
        long p = allocate(size, alignment, site.id(), zero);
        noteSecret(p, site);
        return p;
    }

    /** A segment of the zero-on-free site {@code site}, its block entered in {@link #secrets}. */
    MemorySegment segmentOfSecret(long byteSize, long byteAlignment, SiteLabel site) {
        long p = allocate(byteSize, checkAlignment(byteAlignment), site.id(), false);
        noteSecret(p, site);
        return segment(p, byteSize);
    }

    private void noteSecret(long p, SiteLabel site) {
        if (!secretSites) {
            secretSites = true;
            checkedFrees = true; // from now on every free looks its address up in the table
        }
        try {
            secrets.put(p, site);
        } catch (RuntimeException | Error e) {
            free(p); // no heap for the entry: the block never reached the caller
            throw e;
        }
    }

    private void freeBlock(long address) {
        ThreadCaches c = caches;
        // No open check: after close() no chunk has marks, so a free goes on to the locked path, which checks.
        if (c != null && c.free(address)) {
            return;
        }
        int tag = space.ownerOf(address);
        ShardedTier t = tierOfTag[tag];
        if (t != null) {
            t.free(tag, address);
        } else {
            freeBig(address);
        }
    }

    @Override
    public void free(MemorySegment segment) {
        if (!segment.isNative()) {
            life.checkOpen();
            throw new IllegalArgumentException("not a native segment: " + segment);
        }
        free(segment.address());
    }

    @Override
    public long usableSize(long address) {
        if (debug != null) {
            long asked = debug.size(address);
            if (asked >= 0) {
                life.checkOpen();
                return asked; // the guard follows: no byte past what was asked is the caller's
            }
        }
        ThreadCaches c = caches;
        if (c != null) {
            life.checkOpen();
            long usable = c.usableSize(address);
            if (usable >= 0) {
                return usable;
            }
        }
        int tag = space.ownerOf(address);
        ShardedTier t = tierOfTag[tag];
        if (t != null) {
            return t.usableSize(tag, address);
        }
        bigLock.lock();
        try {
            life.checkOpen();
            return big.usableSize(address);
        } finally {
            bigLock.unlock();
        }
    }

    @Override
    public long realloc(long address, long newSize) {
        if (address == 0) {
            return malloc(newSize);
        }
        long size = newSize == 0 ? 1 : newSize;
        if (size < 0 || size > MAX_SIZE) {
            checkSize(newSize);
        }
        // Validates the address before anything changes; a bad one throws here.
        long old = usableSize(address);
        // A zero-on-free site's block moves to another of that site; free zeroes the old one.
        SiteLabel secret = secretSites ? secrets.get(address) : null;
        long moved = secret != null ? secret.malloc(size) : malloc(size);
        MemorySegment.copy(segment(address, Math.min(old, size)), 0, segment(moved, size), 0, Math.min(old, size));
        free(address);
        return moved;
    }

    // ---- pooled arenas -----------------------------------------------------------------------------

    @Override
    public Arena newArena() {
        life.checkOpen();
        return PooledArena.confined(this);
    }

    @Override
    public Arena newSharedArena() {
        life.checkOpen();
        return PooledArena.shared(this);
    }

    /** For a pooled arena's close: a closed allocator has nothing left to free. */
    /** Throws the allocator's IllegalStateException once it is closed. */
    void checkOpen() {
        life.checkOpen();
    }

    boolean isClosed() {
        return life.isClosed();
    }

    // ---- sites, stats, trim, close ----------------------------------------------------------------

    @Override
    public Site site(String name) {
        life.checkOpen();
        checkSiteName(name);
        SiteLabel s = sites.get(name);
        return s != null ? s : newSite(name, SiteOptions.DEFAULT);
    }

    @Override
    public Site site(String name, SiteOptions options) {
        life.checkOpen();
        java.util.Objects.requireNonNull(options, "site options");
        checkSiteName(name);
        SiteLabel s = sites.get(name);
        if (s == null) {
            s = newSite(name, options);
        }
        if (!s.options().equals(options)) {
            throw new IllegalArgumentException("site '" + name + "' exists with " + s.options() + ", not " + options);
        }
        return s;
    }

    private static void checkSiteName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("site name must not be blank: '" + name + "'");
        }
    }

    /** The site {@code name}: a new one with {@code options}, or the one another thread made first. */
    private SiteLabel newSite(String name, SiteOptions options) {
        return sites.computeIfAbsent(name, n -> {
            int id = nextSite.getAndIncrement();
            if (id >= MAX_SITES) {
                nextSite.decrementAndGet();
                throw new IllegalStateException("too many sites (" + MAX_SITES + "); reuse Site objects: " + n);
            }
            return new SiteLabel(this, n, id, options);
        });
    }

    @Override
    public AllocatorStats stats() {
        life.checkOpen();
        if (caches != null) {
            caches.reclaimEndedThreads(); // before the cores' snapshot, which their blocks would change
        }
        List<TierStats> out = new ArrayList<>();
        for (ShardedTier t : tiers) {
            out.add(t.stats());
        }
        List<LockStats> locks = new ArrayList<>();
        for (ShardedTier t : tiers) {
            locks.add(t.lockStats());
        }
        if (caches != null) {
            locks.add(caches.depotLocks());
        }
        bigLock.lock();
        try {
            life.checkOpen();
            out.add(big.stats());
        } finally {
            bigLock.unlock();
        }
        locks.add(SpinLock.stats("big", bigLock));
        String learnerState = learner == null ? learnerName : learnerName + " " + learner.state();
        if (caches == null) {
            return new AllocatorStats(concurrency, out, space.budget().reserved(), space.retainedBytes(), space.budget().limit(),
                    learnerState, CacheStats.NONE, locks);
        }
        cachedTierStats(out);
        return new AllocatorStats(concurrency, out, space.budget().reserved(), space.retainedBytes(), space.budget().limit(),
                learnerState, caches.stats(), locks);
    }

    /**
     * Replaces the cached tiers' counters with what users hold: cores count blocks in thread caches as
     * live, the caches count allocations and the marks show the blocks users hold. The blocks the caches
     * hold move from the cores' handed bytes to the cached bytes.
     */
    private void cachedTierStats(List<TierStats> out) {
        ClassTable table = caches.classes();
        long[][] byClass = caches.classCounts();
        for (int t = 0; t < caches.cachedTiers(); t++) {
            TierStats core = out.get(t);
            long allocations = 0, live = 0, liveBytes = 0, cachedBytes = 0;
            List<ClassStats> classes = new ArrayList<>();
            for (ClassStats cs : core.classes()) {
                int k = table.classOf(t, cs.blockSize());
                if (k < 0) {
                    classes.add(cs);
                    allocations += cs.allocations();
                    live += cs.liveBlocks();
                    liveBytes += cs.liveBytes();
                    continue;
                }
                long[] n = byClass[k];
                classes.add(new ClassStats(cs.blockSize(), n[0], n[0] - n[1], n[1], n[2], cs.slabs(), cs.reservedBytes(), n[3]));
                allocations += n[0];
                live += n[1];
                liveBytes += n[2];
                cachedBytes += n[3] * table.classSize[k];
            }
            out.set(t, new TierStats(core.tier(), allocations, allocations - live, live, liveBytes,
                    core.handedBytes() - cachedBytes, core.reservedBytes(), core.cachedBytes() + cachedBytes,
                    core.freeBytes(), classes));
        }
    }

    @Override
    public void verify() {
        life.checkOpen();
        if (caches != null) {
            caches.reclaimEndedThreads(); // ended threads' blocks go on first, as stats() sends them
            caches.verify();
        }
        for (var e : secrets.entrySet()) {
            try {
                usableSize(e.getKey());
            } catch (InvalidAddressException notLive) {
                throw ThreadCaches.inconsistent("block 0x" + Long.toHexString(e.getKey()) + " of zero-on-free site '"
                        + e.getValue().name() + "' is in the table of such blocks but not live: " + notLive.getMessage());
            }
        }
        AllocatorStats s = stats();
        long tierReserved = 0;
        for (TierStats t : s.tiers()) {
            if (t.allocations() - t.frees() != t.liveBlocks() || t.liveBlocks() < 0 || t.liveBytes() < 0) {
                throw ThreadCaches.inconsistent(t.tier() + " counts " + t.allocations() + " allocations, " + t.frees()
                        + " frees and " + t.liveBlocks() + " live blocks of " + t.liveBytes() + " bytes");
            }
            if (!t.classes().isEmpty()) {
                long allocations = 0, frees = 0, live = 0, bytes = 0;
                for (ClassStats c : t.classes()) {
                    allocations += c.allocations();
                    frees += c.frees();
                    live += c.liveBlocks();
                    bytes += c.liveBytes();
                }
                if (allocations != t.allocations() || frees != t.frees() || live != t.liveBlocks() || bytes != t.liveBytes()) {
                    throw ThreadCaches.inconsistent(t.tier() + "'s classes count " + allocations + "/" + frees + "/" + live + "/"
                            + bytes + " allocations/frees/live/bytes, the tier " + t.allocations() + "/" + t.frees() + "/"
                            + t.liveBlocks() + "/" + t.liveBytes());
                }
            }
            if (t.handedBytes() + t.cachedBytes() + t.freeBytes() != t.reservedBytes() || t.cachedBytes() < 0 || t.freeBytes() < 0) {
                throw ThreadCaches.inconsistent(t.tier() + " reserves " + t.reservedBytes() + " bytes but hands out "
                        + t.handedBytes() + ", caches " + t.cachedBytes() + " and has " + t.freeBytes() + " free");
            }
            tierReserved += t.reservedBytes();
        }
        if (tierReserved + s.retainedBytes() != s.reservedBytes() || s.reservedBytes() > s.memoryLimit()) {
            throw ThreadCaches.inconsistent(s.reservedBytes() + " bytes reserved against a limit of " + s.memoryLimit()
                    + ", while the tiers and big blocks hold " + tierReserved + " and " + s.retainedBytes() + " are retained");
        }
    }

    @Override
    public void trim() {
        life.checkOpen();
        if (caches != null) {
            caches.flushForTrim();
        }
        for (ShardedTier t : tiers) {
            t.trim();
        }
        bigLock.lock();
        try {
            life.checkOpen();
            big.trim();
        } finally {
            bigLock.unlock();
        }
        space.trimRetained();
    }

    @Override
    public void close() {
        AllocatorStats atClose = statsUnlessClosed();
        String leaks = atClose == null ? null : leakReport(atClose);
        String name = describe(); // before close() unregisters the bean
        if (!life.close()) {
            return;
        }
        AllocatorBean b = bean;
        if (b != null) {
            b.unregister(); // never throws: the memory below is given back whatever happens here
        }
        try {
            if (learner != null) {
                learner.close();
            }
        } finally {
            releaseEverything();
            secrets.clear();
        }
        if (leaks != null) {
            leaked(name, atClose);
            if (options.failOnLeak()) {
                throw new IllegalStateException(leaks);
            }
            LOG.log(System.Logger.Level.WARNING, leaks);
        }
    }

    /** This allocator in JFR events: its JMX name when it has one, else {@link #toString()}. */
    private String describe() {
        AllocatorBean b = bean;
        return b != null ? b.getName() : toString();
    }

    /** The {@code hakmem.Leak} event of a close with blocks live. */
    private void leaked(String name, AllocatorStats atClose) {
        JfrEvents.Leak event = new JfrEvents.Leak();
        if (event.shouldCommit()) {
            StringBuilder byTier = new StringBuilder();
            for (TierStats t : atClose.tiers()) {
                if (t.liveBlocks() > 0) {
                    byTier.append(byTier.isEmpty() ? "" : "; ").append(t.tier()).append(' ').append(t.liveBlocks())
                            .append(" blocks (").append(t.liveBytes()).append(" bytes)");
                }
            }
            event.allocator = name;
            event.liveBlocks = atClose.liveBlocks();
            event.liveBytes = atClose.liveBytes();
            event.byTier = byTier.toString();
            event.thrown = options.failOnLeak();
            event.commit();
        }
    }

    /** Sites the leak report names one by one; the rest are summed in one line. */
    static final int LEAK_REPORT_SITES = 20;

    /** A fresh snapshot, or null when the allocator is closed already. */
    private AllocatorStats statsUnlessClosed() {
        try {
            return stats();
        } catch (IllegalStateException closedAlready) {
            return null;
        }
    }

    /**
     * What the snapshot {@code s} shows still live, per tier and, in debug mode, per site (the tiers do not
     * keep a block's site once handed out; debug mode's table does), or null when nothing is.
     */
    private String leakReport(AllocatorStats s) {
        if (s.liveBlocks() == 0) {
            return null;
        }
        StringBuilder sb = new StringBuilder("hakmem: closed with ").append(s.liveBlocks()).append(" blocks (")
                .append(s.liveBytes()).append(" bytes) still live:");
        for (TierStats t : s.tiers()) {
            if (t.liveBlocks() > 0) {
                sb.append(' ').append(t.tier()).append(' ').append(t.liveBlocks()).append(" blocks (")
                        .append(t.liveBytes()).append(" bytes);");
            }
        }
        sb.setLength(sb.length() - 1);
        sb.append(". Their memory is given back to the OS: they must not be used.");
        if (debug == null) {
            sb.append("\nBlocks by site: need debug mode (Hakmem.builder().debug(true) or -Dhakmem.debug=true).");
            return sb.toString();
        }
        java.util.Map<Integer, String> names = new java.util.HashMap<>();
        for (SiteLabel site : sites.values()) {
            names.put(site.id(), site.name());
        }
        java.util.function.IntFunction<String> siteName = id -> id == 0 ? "(no site)" : "'" + names.getOrDefault(id, "#" + id) + "'";
        sb.append("\nBy site (bytes as asked; the tiers' bytes include debug mode's ").append(DebugChecks.GUARD)
                .append(" guard bytes per block):");
        List<java.util.Map.Entry<Integer, long[]>> bySite = new ArrayList<>(debug.liveBySite().entrySet());
        bySite.sort((x, y) -> x.getValue()[1] != y.getValue()[1] ? Long.compare(y.getValue()[1], x.getValue()[1])
                : Integer.compare(x.getKey(), y.getKey()));
        long otherBlocks = 0, otherBytes = 0;
        for (int i = 0; i < bySite.size(); i++) {
            long[] n = bySite.get(i).getValue();
            if (i < LEAK_REPORT_SITES) {
                sb.append("\n  ").append(siteName.apply(bySite.get(i).getKey())).append(' ').append(n[0]).append(" blocks (")
                        .append(n[1]).append(" bytes)");
            } else {
                otherBlocks += n[0];
                otherBytes += n[1];
            }
        }
        if (bySite.size() > LEAK_REPORT_SITES) {
            sb.append("\n  ").append(bySite.size() - LEAK_REPORT_SITES).append(" more sites ").append(otherBlocks)
                    .append(" blocks (").append(otherBytes).append(" bytes)");
        }
        for (String where : debug.sampledStacks(5, siteName)) {
            sb.append('\n').append(where);
        }
        return sb.toString();
    }

    private void releaseEverything() {
        space.beginClose();
        long[] bigMappings = new long[0];
        try {
            for (ShardedTier t : tiers) {
                t.close();
            }
            bigLock.lock();
            try {
                bigMappings = big.close();
            } finally {
                bigLock.unlock();
            }
        } finally {
            // Every page goes back to the OS now; the address ranges stay mapped until this allocator is
            // unreachable, when no call that raced close() (a fill, a copy) can still be writing to them.
            Runnable unmapSpace = space.retire();
            long[] mappings = bigMappings;
            PageSource pages = space.pages();
            Unmapper.CLEANER.register(this, () -> {
                unmapSpace.run();
                for (int i = 0; i < mappings.length; i += 2) {
                    if (mappings[i + 1] > 0) { // 0: unmapped at close already
                        try {
                            pages.unmap(mappings[i], mappings[i + 1]);
                        } catch (RuntimeException | OutOfMemoryError refused) {
                            // Nothing more to do: the range stays mapped until the process ends; the others go on.
                        }
                    }
                }
            });
        }
    }

    /** Unmaps closed allocators' address ranges once they are unreachable. */
    private static final class Unmapper {
        static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("hakmem ").append(concurrency);
        if (concurrency != Concurrency.LOCKED) {
            sb.append(" x").append(shardCount);
        }
        sb.append(" [");
        for (ShardedTier t : tiers) {
            sb.append(t.id()).append("<=").append(t.maxSize).append(", ");
        }
        return sb.append("big]").toString();
    }

    private final class Context implements LearnerContext {
        @Override
        public AllocatorStats stats() {
            return PooledAllocator.this.stats();
        }

        @Override
        public Policy policy() {
            return policy;
        }

        @Override
        public void publish(Policy next) {
            java.util.Objects.requireNonNull(next, "policy");
            Policy previous = policy;
            // A volatile write: the hot path's next read of `policy` sees the whole new snapshot.
            policy = next;
            JfrEvents.PolicyChange event = new JfrEvents.PolicyChange();
            if (!next.equals(previous) && event.shouldCommit()) {
                event.allocator = describe();
                event.previous = previous.toString();
                event.next = next.toString();
                event.commit();
            }
            space.retainLimit(next.retainedChunkBytes());
            for (ShardedTier t : tiers) {
                t.apply(next);
            }
            bigLock.lock();
            try {
                if (!life.isClosed()) {
                    big.fit(next); // a smaller cache lets go of its excess now, not at the next free
                }
            } finally {
                bigLock.unlock();
            }
        }

        @Override
        public ScheduledExecutorService executor() {
            return options.learnerExecutor();
        }

        @Override
        public long drainSamples(SampleSink sink) {
            java.util.Objects.requireNonNull(sink, "sink");
            return samples == null ? 0 : samples.drain(sink);
        }

        @Override
        public long bytesReserved() {
            return space.budget().reserved();
        }

        @Override
        public int samplePeriod() {
            return Samples.PERIOD;
        }

        @Override
        public long bytesMapped() {
            return pages.mapped();
        }

        @Override
        public String siteName(int id) {
            if (id == 0) {
                return "";
            }
            for (SiteLabel s : sites.values()) {
                if (s.id() == id) {
                    return s.name();
                }
            }
            throw new IllegalArgumentException("no site with id " + id);
        }

        @Override
        public String mode() {
            return options.learningMode();
        }
    }
}
