package hakmem.api.runtime;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.CacheStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.Concurrency;
import hakmem.api.Site;
import hakmem.api.TierStats;
import hakmem.api.spi.Learner;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.LearnerProvider;
import hakmem.api.spi.Policy;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The three variants: each tier has one or more cores (shards), each behind its own {@link SpinLock},
 * and one big-block path behind another. LOCKED is one shard per tier; SHARDED several; TLS puts
 * {@link ThreadCaches} in front of the shards of the tiers that suit them.
 *
 * <p>Routing: a request goes to the first tier (in size order) whose {@code maxSize()} covers it, else to
 * the big-block path; within the tier, the calling thread's shard ({@link #shardOfThread}). A free finds the owning core from the chunk table
 * in one array read, whichever thread frees; an address outside every tier chunk goes to the
 * big-block path, which knows its live mappings.
 *
 * <p>Closing: {@code closed} is set first, then every lock is taken once while the cores are closed.
 * Each locked section re-checks {@code closed} after taking its lock, so a call that races with
 * {@code close()} either completes before the core closes or fails with {@link IllegalStateException}.
 * The thread caches' hits take no lock and read no flag: {@code close()} drops every block-state array,
 * so a hit after it finds no mark and fails the same way; their misses check {@code closed} first (a
 * call racing with {@code close()} is the user's error, see {@link Allocator#close()}).
 */
public final class PooledAllocator implements Allocator {

    /** Most sites one allocator labels; a name per request would otherwise grow the table forever. */
    static final int MAX_SITES = 1 << 16;
    private static final long MAX_ALIGNMENT = 1L << 30;

    /** One core of a tier with its lock. */
    private static final class Shard {
        final TierCore core;
        final SpinLock lock = new SpinLock();

        Shard(TierCore core) {
            this.core = core;
        }
    }

    private static final class Tier {
        final TierProvider provider;
        final long maxSize;
        final Shard[] shards;

        Tier(TierProvider provider, Shard[] shards) {
            this.provider = provider;
            this.maxSize = provider.maxSize();
            this.shards = shards;
        }
    }

    private final Concurrency concurrency;
    private final ChunkSpace space;
    private final Tier[] tiers;
    /** Shard by chunk owner tag; tag 0 (no owner) maps to null. */
    private final Shard[] byTag;
    private final int shardCount;
    private final BigBlocks big;
    private final SpinLock bigLock = new SpinLock();
    private final ConcurrentHashMap<String, SiteLabel> sites = new ConcurrentHashMap<>();
    private final AtomicInteger nextSite = new AtomicInteger(1);
    private final Learner learner;
    private final String learnerName;
    private volatile Policy policy = Policy.DEFAULT;
    private volatile boolean closed;
    /** The TLS variant's thread caches in front of the shards; null for LOCKED and SHARDED. */
    private final ThreadCaches caches;
    /** SHARDED's shard per thread; null for LOCKED and TLS. */
    private final ThreadShards threadShards;

    /**
     * @param concurrency LOCKED (then {@code shards} must be 1), SHARDED or TLS
     * @param shards      cores per tier
     */
    public PooledAllocator(Concurrency concurrency, int shards, List<TierProvider> providers, long memoryLimit,
                           long reservation, LearnerProvider learnerProvider) {
        if (shards < 1 || shards > 1024 || (concurrency == Concurrency.LOCKED && shards != 1)) {
            throw new IllegalArgumentException("shards must be 1..1024 (1 for LOCKED): " + shards);
        }
        this.concurrency = concurrency;
        this.shardCount = shards;
        this.threadShards = concurrency == Concurrency.SHARDED && shards > 1
                ? new ThreadShards(shards, Math.max(16, 4 * Runtime.getRuntime().availableProcessors())) : null;
        Budget budget = new Budget(memoryLimit);
        this.space = ChunkSpace.reserve(reservation, budget);
        this.big = new BigBlocks(budget, space::trimRetained);
        // A tier short of budget for a chunk first empties the big-block cache (shard lock, then bigLock:
        // the one order these two are ever taken in).
        space.onPressure(() -> {
            bigLock.lock();
            try {
                big.trim();
            } finally {
                bigLock.unlock();
            }
        });
        space.retainLimit(policy.retainedChunkBytes());
        List<Tier> made = new ArrayList<>();
        List<Shard> tagged = new ArrayList<>();
        tagged.add(null);
        try {
            for (TierProvider p : providers) {
                Shard[] s = new Shard[shards];
                AtomicLong tierDirty = new AtomicLong();
                for (int i = 0; i < shards; i++) {
                    s[i] = new Shard(p.create(space.source(tagged.size(), tierDirty, shards)));
                    tagged.add(s[i]);
                }
                made.add(new Tier(p, s));
            }
        } catch (RuntimeException | Error e) {
            space.close();
            throw e;
        }
        this.tiers = made.toArray(Tier[]::new);
        this.byTag = tagged.toArray(Shard[]::new);
        ThreadCaches madeCaches;
        Learner started;
        try {
            madeCaches = concurrency == Concurrency.TLS ? threadCaches(shards) : null;
        } catch (RuntimeException | Error e) {
            space.close();
            throw e;
        }
        this.caches = madeCaches;
        if (learnerProvider == null) {
            this.learner = null;
            this.learnerName = "off";
        } else {
            try {
                started = learnerProvider.start(new Context());
            } catch (RuntimeException | Error e) {
                space.close();
                throw e;
            }
            this.learner = started;
            this.learnerName = learnerProvider.id();
        }
    }

    /**
     * Thread caches for the leading tiers whose classes suit them: every class a multiple of the block
     * state granule (classes below it are skipped: their requests round up), the last class covering
     * the tier's maxSize, and maxSize a multiple of the granule (a size maps to one tier's class) small
     * enough for a block's asked size to fit a state entry.
     */
    private ThreadCaches threadCaches(int shards) {
        List<long[]> classes = new ArrayList<>();
        List<Long> max = new ArrayList<>();
        for (Tier t : tiers) {
            long[] sizes = java.util.Arrays.stream(t.shards[0].core.classSizes()).filter(s -> s >= ChunkSpace.GRANULE).toArray();
            boolean fits = sizes.length > 0 && t.maxSize <= Character.MAX_VALUE && t.maxSize % ChunkSpace.GRANULE == 0
                    && sizes[sizes.length - 1] >= t.maxSize
                    && java.util.Arrays.stream(sizes).allMatch(s -> s % ChunkSpace.GRANULE == 0);
            if (!fits) {
                break;
            }
            classes.add(sizes);
            max.add(t.maxSize);
            for (Shard s : t.shards) {
                space.track(java.util.Arrays.asList(byTag).indexOf(s));
            }
        }
        int maxCaches = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        return new ThreadCaches(this, space, classes, max.stream().mapToLong(Long::longValue).toArray(), maxCaches);
    }

    // ---- allocation -------------------------------------------------------------------------------

    @Override
    public long malloc(long size) {
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
        ThreadCaches c = caches;
        if (c != null && alignment <= ChunkSpace.GRANULE && size <= c.maxCached) {
            // No checkOpen: close() drops every block-state array, so marking the block throws instead.
            long p = c.allocate(size, site);
            if (zero) {
                MemorySegment.ofAddress(p).reinterpret(size).fill((byte) 0);
            }
            return p;
        }
        for (int i = 0; i < tiers.length; i++) {
            Tier t = tiers[i];
            if (size <= t.maxSize) {
                long p = allocateIn(t, size, alignment, site, zero);
                if (p != 0 && c != null && i < c.cachedTiers()) {
                    c.noteDirect(p, size);
                }
                if (p != 0) {
                    return p;
                }
                break;
            }
        }
        return allocateBig(size, alignment, zero);
    }

    private long allocateIn(Tier t, long size, long alignment, int site, boolean zero) {
        Shard s = t.shards[shardOfThread()];
        s.lock.lock();
        try {
            checkOpen();
            long p = s.core.allocate(size, alignment, site);
            if (zero && p != 0) {
                // Under the lock: close() cannot unmap the chunk while this writes to it.
                MemorySegment.ofAddress(p).reinterpret(size).fill((byte) 0);
            }
            return p;
        } finally {
            s.lock.unlock();
        }
    }

    private long allocateBig(long size, long alignment, boolean zero) {
        bigLock.lock();
        try {
            checkOpen();
            return big.allocate(size, alignment, policy, zero);
        } finally {
            bigLock.unlock();
        }
    }

    int shards() {
        return shardCount;
    }

    /**
     * Per chunk owner tag: the index of its shard within its tier (-1 for tag 0). The constructor hands
     * tags out tier by tier, shard by shard, from 1.
     */
    int[] shardOfTag() {
        int[] out = new int[byTag.length];
        out[0] = -1;
        for (int tag = 1; tag < byTag.length; tag++) {
            out[tag] = (tag - 1) % shardCount;
        }
        return out;
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

    /** Size 0 becomes a 1-byte block; anything else outside 1..MAX_SIZE is rejected. */
    private static long checkSize(long size) {
        if (size == 0) {
            return 1;
        }
        throw new IllegalArgumentException("size must be 0.." + MAX_SIZE + " bytes: " + size);
    }

    private static long checkAlignment(long alignment) {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > MAX_ALIGNMENT) {
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
        ThreadCaches c = caches;
        // No checkOpen: after close() no address has block states, so a free goes on to the locked path, which checks.
        if (c != null && c.free(address)) {
            return;
        }
        Shard s = byTag[space.ownerOf(address)];
        if (s != null) {
            s.lock.lock();
            try {
                checkOpen();
                s.core.free(address);
            } finally {
                s.lock.unlock();
            }
        } else {
            bigLock.lock();
            try {
                checkOpen();
                big.free(address, policy);
            } finally {
                bigLock.unlock();
            }
        }
    }

    @Override
    public void free(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("not a native segment: " + segment);
        }
        free(segment.address());
    }

    @Override
    public long usableSize(long address) {
        ThreadCaches c = caches;
        if (c != null) {
            checkOpen();
            long usable = c.usableSize(address);
            if (usable >= 0) {
                return usable;
            }
        }
        return usableSizeLocked(address);
    }

    /** The owning core's answer under its lock; throws its exception for an address it does not hold live. */
    long usableSizeLocked(long address) {
        Shard s = byTag[space.ownerOf(address)];
        if (s != null) {
            s.lock.lock();
            try {
                checkOpen();
                return s.core.usableSize(address);
            } finally {
                s.lock.unlock();
            }
        }
        bigLock.lock();
        try {
            checkOpen();
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
        long moved = malloc(size);
        MemorySegment.copy(segment(address, Math.min(old, size)), 0, segment(moved, size), 0, Math.min(old, size));
        free(address);
        return moved;
    }

    /**
     * Takes up to {@code n} blocks of class {@code classSize} of tier {@code tier} from shard
     * {@code shard} (-1: the calling thread's by hash) into {@code out[at..)}; returns how many (at
     * least 1, or the OutOfMemoryError).
     */
    int refill(int shard, int tier, long classSize, int site, long[] out, int at, int n) {
        Shard s = tiers[tier].shards[shard < 0 ? shardOfThread() : shard];
        int got = 0;
        s.lock.lock();
        try {
            checkOpen();
            for (; got < n; got++) {
                long p = s.core.allocate(classSize, ChunkSpace.GRANULE, site);
                if (p == 0) {
                    throw new IllegalStateException(tiers[tier].provider.id() + " refused its own class of " + classSize + " B");
                }
                out[at + got] = p;
            }
        } catch (OutOfMemoryError e) {
            if (got == 0) {
                throw e;
            }
        } finally {
            s.lock.unlock();
        }
        return got;
    }

    /**
     * Frees {@code items[from..to)} into the cores that own them. Returns how many the cores refused
     * (none, unless the thread caches have a fault): dropped, never handed out again.
     */
    int giveBack(long[] items, int from, int to) {
        int refused = 0;
        Shard held = null;
        try {
            for (int i = from; i < to; i++) {
                Shard s = byTag[space.ownerOf(items[i])];
                if (s == null) {
                    refused++;
                    continue;
                }
                if (s != held) {
                    if (held != null) {
                        held.lock.unlock();
                    }
                    s.lock.lock();
                    held = s;
                }
                try {
                    s.core.free(items[i]);
                } catch (InvalidAddressException e) {
                    refused++;
                }
            }
        } finally {
            if (held != null) {
                held.lock.unlock();
            }
        }
        return refused;
    }

    // ---- sites, stats, trim, close ----------------------------------------------------------------

    @Override
    public Site site(String name) {
        checkOpen();
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("site name must not be blank: '" + name + "'");
        }
        SiteLabel s = sites.get(name);
        return s != null ? s : sites.computeIfAbsent(name, n -> {
            int id = nextSite.getAndIncrement();
            if (id >= MAX_SITES) {
                nextSite.decrementAndGet();
                throw new IllegalStateException("too many sites (" + MAX_SITES + "); reuse Site objects: " + n);
            }
            return new SiteLabel(this, n, id);
        });
    }

    @Override
    public AllocatorStats stats() {
        checkOpen();
        if (caches != null) {
            caches.reclaimEndedThreads(); // before the cores' snapshot, which their blocks would change
        }
        List<TierStats> out = new ArrayList<>();
        for (Tier t : tiers) {
            List<TierStats> parts = new ArrayList<>();
            for (Shard s : t.shards) {
                s.lock.lock();
                try {
                    checkOpen();
                    parts.add(s.core.stats());
                } finally {
                    s.lock.unlock();
                }
            }
            out.add(parts.size() == 1 ? parts.get(0) : TierStats.sum(t.provider.id(), parts));
        }
        bigLock.lock();
        try {
            checkOpen();
            out.add(big.stats());
        } finally {
            bigLock.unlock();
        }
        if (caches == null) {
            return new AllocatorStats(concurrency, out, space.budget().reserved(), space.retainedBytes(), space.budget().limit(),
                    learner == null ? learnerName : learnerName + " " + learner.state(), CacheStats.NONE);
        }
        // Cores count blocks in thread caches as live; the caches count what users hold.
        long[][] counts = caches.tierCounts();
        for (int i = 0; i < counts.length; i++) {
            TierStats core = out.get(i);
            long[] n = counts[i];
            out.set(i, new TierStats(core.tier(), n[0], n[1], n[0] - n[1], n[2], core.handedBytes() - n[3],
                    core.reservedBytes(), core.classes()));
        }
        return new AllocatorStats(concurrency, out, space.budget().reserved(), space.retainedBytes(), space.budget().limit(),
                learner == null ? learnerName : learnerName + " " + learner.state(), caches.stats());
    }

    @Override
    public void trim() {
        checkOpen();
        if (caches != null) {
            caches.flushForTrim();
        }
        for (Shard s : byTag) {
            if (s != null) {
                s.lock.lock();
                try {
                    checkOpen();
                    s.core.trim();
                } finally {
                    s.lock.unlock();
                }
            }
        }
        bigLock.lock();
        try {
            checkOpen();
            big.trim();
        } finally {
            bigLock.unlock();
        }
        space.trimRetained();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            if (learner != null) {
                learner.close();
            }
        } finally {
            releaseEverything();
        }
    }

    private void releaseEverything() {
        try {
            for (Shard s : byTag) {
                if (s != null) {
                    s.lock.lock();
                    try {
                        s.core.close();
                    } finally {
                        s.lock.unlock();
                    }
                }
            }
            bigLock.lock();
            try {
                big.close();
            } finally {
                bigLock.unlock();
            }
        } finally {
            space.close(); // unmaps everything whatever a core did
        }
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("hakmem ").append(concurrency);
        if (concurrency != Concurrency.LOCKED) {
            sb.append(" x").append(shardCount);
        }
        sb.append(" [");
        for (Tier t : tiers) {
            sb.append(t.provider.id()).append("<=").append(t.maxSize).append(", ");
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
            // A volatile write: the hot path's next read of `policy` sees the whole new snapshot.
            policy = java.util.Objects.requireNonNull(next, "policy");
            space.retainLimit(next.retainedChunkBytes());
        }
    }
}
