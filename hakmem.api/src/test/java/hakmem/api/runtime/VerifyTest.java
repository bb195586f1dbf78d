package hakmem.api.runtime;

import hakmem.api.Concurrency;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code verify()} passes on a consistent allocator and finds what corrupts one: metadata changed behind
 * the runtime's back (here by the test, through package-private handles), which no call can do.
 */
class VerifyTest {

    private static PooledAllocator open(Concurrency c) {
        return PooledAllocator.open(c, 1, List.of(new FixedTier()), Long.MAX_VALUE, 64L << 20, null, PooledAllocator.Options.DEFAULT);
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
    void aCachedBlockItsTierHasFreedIsFound() throws Exception {
        try (PooledAllocator a = open(Concurrency.TLS)) {
            long p = a.malloc(48);
            a.free(p); // in the thread's magazine now
            ShardedTier tier = ((ShardedTier[]) field(a, "tiers"))[0];
            tier.giveBack(new long[] {p}, 0, 1); // the core takes it back while the magazine still holds it
            IllegalStateException e = assertThrows(IllegalStateException.class, a::verify);
            assertTrue(e.getMessage().contains(Long.toHexString(p)), e.getMessage());
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
