package hakmem.api.runtime;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
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

/**
 * The LOCKED variant: one core per tier and one big-block path, each behind its own {@link SpinLock}.
 *
 * <p>Routing: a request goes to the first tier (in size order) whose {@code maxSize()} covers it, else to
 * the big-block path; a free finds the owning tier from the chunk table in one array read, and an
 * address outside every tier chunk goes to the big-block path, which knows its live mappings.
 *
 * <p>Closing: {@code closed} is set first, then every lock is taken once while the cores are closed.
 * Each locked section re-checks {@code closed} after taking its lock, so a call that races with
 * {@code close()} either completes before the core closes or fails with {@link IllegalStateException}.
 */
public final class LockedAllocator implements Allocator {

    /** Most sites one allocator labels; a name per request would otherwise grow the table forever. */
    static final int MAX_SITES = 1 << 16;
    private static final long MAX_ALIGNMENT = 1L << 30;

    private static final class Tier {
        final TierProvider provider;
        final ChunkSpace.Source source;
        final TierCore core;
        final long maxSize;
        final SpinLock lock = new SpinLock();

        Tier(TierProvider provider, ChunkSpace.Source source) {
            this.provider = provider;
            this.source = source;
            this.core = provider.create(source);
            this.maxSize = provider.maxSize();
        }
    }

    private final ChunkSpace space;
    private final Tier[] tiers;
    /** Tier by chunk owner tag (tag = index + 1). */
    private final Tier[] byTag;
    private final BigBlocks big;
    private final SpinLock bigLock = new SpinLock();
    private final ConcurrentHashMap<String, SiteLabel> sites = new ConcurrentHashMap<>();
    private final AtomicInteger nextSite = new AtomicInteger(1);
    private final Learner learner;
    private final String learnerName;
    private volatile Policy policy = Policy.DEFAULT;
    private volatile boolean closed;

    public LockedAllocator(List<TierProvider> providers, long memoryLimit, long reservation,
                           LearnerProvider learnerProvider) {
        Budget budget = new Budget(memoryLimit);
        this.space = ChunkSpace.reserve(reservation, budget);
        this.big = new BigBlocks(budget);
        List<Tier> made = new ArrayList<>();
        try {
            for (TierProvider p : providers) {
                made.add(new Tier(p, space.source(made.size() + 1)));
            }
        } catch (RuntimeException | Error e) {
            space.close();
            throw e;
        }
        this.tiers = made.toArray(Tier[]::new);
        this.byTag = new Tier[tiers.length + 1];
        System.arraycopy(tiers, 0, byTag, 1, tiers.length);
        if (learnerProvider == null) {
            this.learner = null;
            this.learnerName = "off";
        } else {
            this.learner = learnerProvider.start(new Context());
            this.learnerName = learnerProvider.id();
        }
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
        for (Tier t : tiers) {
            if (size <= t.maxSize) {
                long p = allocateIn(t, size, alignment, site);
                if (p != 0) {
                    if (zero) {
                        MemorySegment.ofAddress(p).reinterpret(size).fill((byte) 0);
                    }
                    return p;
                }
                break;
            }
        }
        return allocateBig(size, alignment, zero);
    }

    private long allocateIn(Tier t, long size, long alignment, int site) {
        t.lock.lock();
        try {
            checkOpen();
            return t.core.allocate(size, alignment, site);
        } finally {
            t.lock.unlock();
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
        Tier t = byTag[space.ownerOf(address)];
        if (t != null) {
            t.lock.lock();
            try {
                checkOpen();
                t.core.free(address);
            } finally {
                t.lock.unlock();
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
        Tier t = byTag[space.ownerOf(address)];
        if (t != null) {
            t.lock.lock();
            try {
                checkOpen();
                return t.core.usableSize(address);
            } finally {
                t.lock.unlock();
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
        List<TierStats> out = new ArrayList<>();
        for (Tier t : tiers) {
            t.lock.lock();
            try {
                checkOpen();
                out.add(t.core.stats());
            } finally {
                t.lock.unlock();
            }
        }
        bigLock.lock();
        try {
            checkOpen();
            out.add(big.stats());
        } finally {
            bigLock.unlock();
        }
        return new AllocatorStats(Concurrency.LOCKED, out, space.budget().reserved(), space.budget().limit(),
                learner == null ? learnerName : learnerName + " " + learner.state());
    }

    @Override
    public void trim() {
        checkOpen();
        for (Tier t : tiers) {
            t.lock.lock();
            try {
                checkOpen();
                t.core.trim();
            } finally {
                t.lock.unlock();
            }
        }
        bigLock.lock();
        try {
            checkOpen();
            big.trim();
        } finally {
            bigLock.unlock();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (learner != null) {
            learner.close();
        }
        for (Tier t : tiers) {
            t.lock.lock();
            try {
                t.core.close();
            } finally {
                t.lock.unlock();
            }
        }
        bigLock.lock();
        try {
            big.close();
        } finally {
            bigLock.unlock();
        }
        space.close();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed");
        }
    }

    Policy policy() {
        return policy;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("hakmem LOCKED [");
        for (Tier t : tiers) {
            sb.append(t.provider.id()).append("<=").append(t.maxSize).append(", ");
        }
        return sb.append("big]").toString();
    }

    private final class Context implements LearnerContext {
        @Override
        public AllocatorStats stats() {
            return LockedAllocator.this.stats();
        }

        @Override
        public Policy policy() {
            return policy;
        }

        @Override
        public void publish(Policy next) {
            // A volatile write: the hot path's next read of `policy` sees the whole new snapshot.
            policy = java.util.Objects.requireNonNull(next, "policy");
        }
    }
}
