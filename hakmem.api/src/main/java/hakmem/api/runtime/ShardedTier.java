package hakmem.api.runtime;

import hakmem.api.InvalidAddressException;
import hakmem.api.LockStats;
import hakmem.api.TierStats;
import hakmem.api.spi.Policy;
import hakmem.api.spi.SampleSink;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One tier's cores (shards), each behind its own {@link SpinLock}: the one way into a tier for
 * everything above it (the API methods and the thread caches). Every section takes the core's lock,
 * then checks that the allocator is open, so no core is called after {@code close()} closed it.
 *
 * <p>Chunks carry an owner tag per core; this tier's cores have the tags {@code firstTag ..
 * firstTag + shards - 1}, in shard order, so a block's shard is its chunk's tag minus {@code firstTag}.
 */
final class ShardedTier {

    private final TierProvider provider;
    final long maxSize;
    final int firstTag;
    private final TierCore[] cores;
    private final SpinLock[] locks;
    private final ChunkSpace space;
    private final Lifecycle life;
    /** This tier's place in the allocator's tiers, for samples. */
    private final int index;
    /** Null unless a learner runs. */
    private final Samples samples;
    /** Per shard, at {@code shard * PAD}, requests until its next sample; guarded by the shard's lock. */
    private final int[] countdown;
    private static final int PAD = 16;

    /**
     * Makes {@code shards} cores of {@code provider}, with owner tags from {@code firstTag}; {@code index}
     * is its place in the allocator's tiers and {@code samples} where its sampled requests go (null: none).
     */
    ShardedTier(TierProvider provider, int shards, int firstTag, ChunkSpace space, Lifecycle life, int index,
                Samples samples) {
        this.provider = provider;
        this.index = index;
        this.samples = samples;
        this.countdown = new int[shards * PAD];
        java.util.Arrays.fill(countdown, Samples.PERIOD);
        this.maxSize = provider.maxSize();
        this.firstTag = firstTag;
        this.space = space;
        this.life = life;
        this.cores = new TierCore[shards];
        this.locks = new SpinLock[shards];
        AtomicLong tierDirty = new AtomicLong();
        for (int s = 0; s < shards; s++) {
            cores[s] = provider.create(space.source(firstTag + s, tierDirty, shards));
            locks[s] = new SpinLock();
        }
    }

    String id() {
        return provider.id();
    }

    int shards() {
        return cores.length;
    }

    /** Whether chunks of owner {@code tag} belong to this tier. */
    boolean owns(int tag) {
        return tag - firstTag >= 0 && tag - firstTag < cores.length;
    }

    /** Per chunk owner tag, the index in {@code tiers} of the tier that owns it, else -1. */
    static int[] indexByTag(ShardedTier[] tiers) {
        int tags = 0;
        for (ShardedTier t : tiers) {
            tags = Math.max(tags, t.firstTag + t.shards());
        }
        int[] index = new int[tags];
        java.util.Arrays.fill(index, -1);
        for (int i = 0; i < tiers.length; i++) {
            for (int s = 0; s < tiers[i].shards(); s++) {
                index[tiers[i].firstTag + s] = i;
            }
        }
        return index;
    }

    /** The tier of {@code tiers} that owns chunks of {@code tag} ({@link #indexByTag}), or null. */
    static ShardedTier owning(ShardedTier[] tiers, int[] indexByTag, int tag) {
        return tag >= 0 && tag < indexByTag.length && indexByTag[tag] >= 0 ? tiers[indexByTag[tag]] : null;
    }

    /** The class sizes the cores offer thread caches (see {@link TierCore#classSizes()}). */
    long[] classSizes() {
        return cores[0].classSizes();
    }

    /** Hands {@code policy} to every core, each under its lock, between two of its requests. */
    void apply(Policy policy) {
        for (int s = 0; s < cores.length; s++) {
            SpinLock lock = locks[s];
            lock.lock();
            try {
                if (!life.isClosed()) {
                    cores[s].apply(policy);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** A block from shard {@code shard}'s core, or 0 when the core cannot honour the alignment. */
    long allocate(int shard, long size, long alignment, int site, boolean zero) {
        SpinLock lock = locks[shard];
        lock.lock();
        try {
            life.checkOpen();
            long p;
            if (samples != null && --countdown[shard * PAD] == 0) {
                countdown[shard * PAD] = Samples.PERIOD;
                long start = System.nanoTime();
                p = cores[shard].allocate(size, alignment, site);
                samples.record(SampleSink.CORE, size, site, index, System.nanoTime() - start, Samples.PERIOD);
            } else {
                p = cores[shard].allocate(size, alignment, site);
            }
            if (zero && p != 0) {
                // Under the lock: close() cannot unmap the chunk while this writes to it.
                MemorySegment.ofAddress(p).reinterpret(size).fill((byte) 0);
            }
            return p;
        } finally {
            lock.unlock();
        }
    }

    /** Frees {@code address}, which lies in a chunk of owner {@code tag} (one of this tier's). */
    void free(int tag, long address) {
        int shard = tag - firstTag;
        SpinLock lock = locks[shard];
        lock.lock();
        try {
            life.checkOpen();
            cores[shard].free(address);
        } finally {
            lock.unlock();
        }
    }

    long usableSize(int tag, long address) {
        int shard = tag - firstTag;
        SpinLock lock = locks[shard];
        lock.lock();
        try {
            life.checkOpen();
            return cores[shard].usableSize(address);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes up to {@code n} blocks of class {@code classSize} from shard {@code shard} into
     * {@code out[at..)}, under one lock; returns how many (at least 1, or the OutOfMemoryError).
     */
    int refill(int shard, long classSize, int site, long[] out, int at, int n) {
        SpinLock lock = locks[shard];
        int got = 0;
        lock.lock();
        try {
            life.checkOpen();
            TierCore core = cores[shard];
            for (; got < n; got++) {
                long p = core.allocate(classSize, ChunkSpace.GRANULE, site);
                if (p == 0) {
                    if (got > 0) {
                        break; // the blocks already taken are the caller's
                    }
                    throw new IllegalStateException(provider.id() + " refused its own class of " + classSize + " B");
                }
                out[at + got] = p;
            }
        } catch (OutOfMemoryError e) {
            if (got == 0) {
                throw e;
            }
        } finally {
            lock.unlock();
        }
        return got;
    }

    /**
     * Frees {@code items[from..to)}, all blocks of this tier, into the cores that own them, taking each
     * core's lock once per run of its blocks (sort the items to take each once). Returns how many the
     * cores refused (a block that is no live block of theirs): dropped, never handed out again.
     */
    int giveBack(long[] items, int from, int to) {
        int refused = 0;
        int held = -1;
        try {
            for (int i = from; i < to; i++) {
                int shard = space.ownerOf(items[i]) - firstTag;
                if (shard < 0 || shard >= cores.length) {
                    refused++;
                    continue;
                }
                if (shard != held) {
                    if (held >= 0) {
                        locks[held].unlock();
                    }
                    locks[shard].lock();
                    held = shard;
                    life.checkOpen();
                }
                try {
                    cores[shard].free(items[i]);
                } catch (InvalidAddressException e) {
                    refused++;
                }
            }
        } finally {
            if (held >= 0) {
                locks[held].unlock();
            }
        }
        return refused;
    }

    void trim() {
        for (int s = 0; s < cores.length; s++) {
            locks[s].lock();
            try {
                life.checkOpen();
                cores[s].trim();
            } finally {
                locks[s].unlock();
            }
        }
    }

    /** The cores' counters summed (as the cores count: blocks in thread caches are live to them). */
    TierStats stats() {
        List<TierStats> parts = new ArrayList<>();
        for (int s = 0; s < cores.length; s++) {
            locks[s].lock();
            try {
                life.checkOpen();
                parts.add(cores[s].stats());
            } finally {
                locks[s].unlock();
            }
        }
        return parts.size() == 1 ? parts.get(0) : TierStats.sum(provider.id(), parts);
    }

    /** Contention on this tier's core locks, all shards together. */
    LockStats lockStats() {
        return SpinLock.stats(provider.id(), locks);
    }

    /** Closes every core (the allocator is closed already: no open check). */
    void close() {
        for (int s = 0; s < cores.length; s++) {
            locks[s].lock();
            try {
                cores[s].close();
            } finally {
                locks[s].unlock();
            }
        }
    }
}
