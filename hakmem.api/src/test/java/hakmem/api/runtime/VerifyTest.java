package hakmem.api.runtime;

import hakmem.api.Concurrency;
import hakmem.api.InvalidAddressException;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code verify()} passes on a consistent allocator and finds what corrupts one: metadata changed behind
 * the runtime's back (here by the test, through package-private handles), which no call can do.
 */
class VerifyTest {

    /** A tier of one 64-byte class over one chunk: enough for the runtime's thread caches. */
    private static final class FixedTier implements TierProvider {
        @Override
        public String id() {
            return "fixed";
        }

        @Override
        public long maxSize() {
            return 64;
        }

        @Override
        public TierCore create(ChunkSource chunks) {
            return new TierCore() {
                private final ArrayDeque<Long> free = new ArrayDeque<>();
                private final Set<Long> live = new HashSet<>();
                private long chunk;
                private long allocations, frees;

                @Override
                public long allocate(long size, long alignment, int site) {
                    if (alignment > 64) {
                        return 0;
                    }
                    if (free.isEmpty()) {
                        if (chunk != 0) {
                            throw new OutOfMemoryError("fixed tier: one chunk only");
                        }
                        chunk = chunks.acquire(this);
                        for (long p = chunk + chunks.chunkSize() - 64; p >= chunk; p -= 64) {
                            free.push(p);
                        }
                    }
                    long p = free.pop();
                    live.add(p);
                    allocations++;
                    return p;
                }

                @Override
                public void free(long address) {
                    if (!live.remove(address)) {
                        throw new InvalidAddressException(address, InvalidAddressException.Reason.UNKNOWN, "fixed tier");
                    }
                    free.push(address);
                    frees++;
                }

                @Override
                public long usableSize(long address) {
                    if (!live.contains(address)) {
                        throw new InvalidAddressException(address, InvalidAddressException.Reason.UNKNOWN, "fixed tier");
                    }
                    return 64;
                }

                @Override
                public long[] classSizes() {
                    return new long[] {64};
                }

                @Override
                public void trim() {
                }

                @Override
                public TierStats stats() {
                    return new TierStats("fixed", allocations, frees, live.size(), live.size() * 64L, live.size() * 64L,
                            chunks.reservedBytes(), List.of());
                }

                @Override
                public void close() {
                    if (chunk != 0) {
                        chunks.release(chunk);
                    }
                }
            };
        }
    }

    private static PooledAllocator open(Concurrency c) {
        return PooledAllocator.open(c, 1, List.of(new FixedTier()), Long.MAX_VALUE, 64L << 20, null, false);
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        var f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void aConsistentAllocatorPasses(Concurrency c) {
        try (PooledAllocator a = open(c)) {
            long[] ps = new long[100];
            for (int i = 0; i < ps.length; i++) {
                ps[i] = a.malloc(1 + i % 64);
            }
            for (int i = 0; i < ps.length; i += 2) {
                a.free(ps[i]);
            }
            long big = a.malloc(3 << 20);
            a.verify();
            a.free(big);
            a.verify();
        }
    }

    @Test
    void aCachedBlockMarkedAsHeldIsFound() throws Exception {
        try (PooledAllocator a = open(Concurrency.TLS)) {
            long p = a.malloc(48);
            a.free(p); // in the thread's magazine now
            ChunkSpace space = (ChunkSpace) field(a, "space");
            space.marksOf(p)[ChunkSpace.granule(p)] = 48;
            IllegalStateException e = assertThrows(IllegalStateException.class, a::verify);
            assertTrue(e.getMessage().contains(Long.toHexString(p)), e.getMessage());
            space.marksOf(p)[ChunkSpace.granule(p)] = 0;
            a.verify();
        }
    }

    @Test
    void aHeldBlockItsTierHasFreedIsFound() throws Exception {
        try (PooledAllocator a = open(Concurrency.TLS)) {
            long p = a.malloc(48);
            ShardedTier tier = ((ShardedTier[]) field(a, "tiers"))[0];
            tier.giveBack(new long[] {p}, 0, 1); // the core frees it while the user still holds it
            IllegalStateException e = assertThrows(IllegalStateException.class, a::verify);
            assertTrue(e.getMessage().contains("marked as held but its tier says"), e.getMessage());
        }
    }

    @Test
    void countersThatDoNotAddUpAreFound() throws Exception {
        try (PooledAllocator a = open(Concurrency.LOCKED)) {
            long p = a.malloc(48);
            ShardedTier tier = ((ShardedTier[]) field(a, "tiers"))[0];
            ChunkSpace space = (ChunkSpace) field(a, "space");
            tier.free(space.ownerOf(p), p);
            a.verify();
            space.retainLimit(0);
            space.budget().take(4096); // bytes counted as mapped that nobody holds
            IllegalStateException e = assertThrows(IllegalStateException.class, a::verify);
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        }
    }
}
