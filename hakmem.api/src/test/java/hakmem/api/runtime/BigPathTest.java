package hakmem.api.runtime;

import hakmem.api.Allocator;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import hakmem.api.spi.Learner;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.LearnerProvider;
import hakmem.api.spi.Policy;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The big-block path alone (no tier): mappings, the cache, the limit, and the learner's policy. */
class BigPathTest {

    private static Allocator bare() {
        return Hakmem.builder().tiers().learning(false).build();
    }

    @Test
    void freedMappingsAreCachedAndReusedForCloseSizes() {
        try (Allocator a = bare()) {
            long p = a.malloc(100_000);
            a.free(p);
            assertEquals(102_400, a.stats().tier("big").reservedBytes(), "the freed mapping stays cached");
            long q = a.malloc(90_000);
            assertEquals(p, q, "a close size reuses the cached mapping");
            assertEquals(102_400, a.usableSize(q));
            long r = a.malloc(10_000);
            assertNotEquals(p, r);
            a.free(q);
            a.free(r);
            a.trim();
            assertEquals(0, a.stats().reservedBytes(), "trim unmaps the cache");
        }
    }

    @Test
    void callocOfAReusedMappingIsZero() {
        try (Allocator a = bare()) {
            long p = a.malloc(64 << 10);
            MemorySegment.ofAddress(p).reinterpret(64 << 10).fill((byte) 0x5a);
            a.free(p);
            long q = a.calloc(64 << 10);
            assertEquals(p, q);
            MemorySegment s = MemorySegment.ofAddress(q).reinterpret(64 << 10);
            for (long i = 0; i < s.byteSize(); i += 8) {
                assertEquals(0, s.get(ValueLayout.JAVA_LONG, i));
            }
            a.free(q);
        }
    }

    @Test
    void largeAlignmentsAreHonoured() {
        try (Allocator a = bare()) {
            for (long align : new long[] {8192, 1 << 16, 1 << 21}) {
                MemorySegment s = a.allocate(5000, align);
                assertEquals(0, s.address() % align, "alignment " + align);
                assertEquals(5000, s.byteSize());
                s.fill((byte) 1);
                a.free(s);
            }
            a.trim();
            assertEquals(0, a.stats().reservedBytes(), "the over-mapped slack was unmapped");
        }
    }

    @Test
    void errorsNameTheAddressAndChangeNothing() {
        try (Allocator a = bare()) {
            long p = a.malloc(10_000);
            var interior = assertThrows(InvalidAddressException.class, () -> a.free(p + 16));
            assertEquals(InvalidAddressException.Reason.INTERIOR, interior.reason());
            assertTrue(interior.getMessage().contains(Long.toHexString(p + 16)), interior.getMessage());
            a.free(p);
            var twice = assertThrows(InvalidAddressException.class, () -> a.free(p));
            assertEquals(InvalidAddressException.Reason.DOUBLE_FREE, twice.reason());
            var unknown = assertThrows(InvalidAddressException.class, () -> a.free(0x7000_1234L));
            assertEquals(InvalidAddressException.Reason.UNKNOWN, unknown.reason());
            assertEquals(1, a.stats().allocations());
            assertEquals(1, a.stats().frees());
            assertEquals(0, a.stats().liveBlocks());
        }
    }

    @Test
    void memoryLimitGivesOutOfMemoryErrorAndTheAllocatorStaysUsable() {
        try (Allocator a = Hakmem.builder().tiers().learning(false).memoryLimit(1 << 20).build()) {
            long p = a.malloc(600_000);
            var e = assertThrows(OutOfMemoryError.class, () -> a.malloc(600_000));
            assertTrue(e.getMessage().contains("1048576"), e.getMessage());
            a.free(p);
            long q = a.malloc(900_000);
            a.free(q);
            assertThrows(OutOfMemoryError.class, () -> a.malloc(2 << 20));
            assertEquals(0, a.stats().liveBlocks());
        }
    }

    @Test
    void thePublishedPolicyDrivesTheCache() throws Exception {
        AtomicReference<LearnerContext> ctx = new AtomicReference<>();
        LearnerProvider fixed = new LearnerProvider() {
            @Override
            public String id() {
                return "fixed";
            }

            @Override
            public Learner start(LearnerContext context) {
                ctx.set(context);
                return new Learner() {
                    @Override
                    public String state() {
                        return "FROZEN";
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        try (Allocator a = Hakmem.builder().tiers().learnerProviders(List.of(fixed)).build()) {
            assertEquals("fixed FROZEN", a.stats().learner());
            assertEquals(Policy.DEFAULT, ctx.get().policy());
            ctx.get().publish(new Policy(0, 0, 0));
            a.free(a.malloc(50_000));
            assertEquals(0, a.stats().reservedBytes(), "with no cache allowed, a freed mapping is unmapped at once");
        }
    }

    @Test
    void aFailedBuildGivesItsAddressSpaceBack() throws Exception {
        LearnerProvider broken = new LearnerProvider() {
            @Override
            public String id() {
                return "broken";
            }

            @Override
            public Learner start(LearnerContext context) {
                throw new IllegalStateException("cannot start");
            }
        };
        long before = vmSizeKiB();
        for (int i = 0; i < 20; i++) {
            assertThrows(IllegalStateException.class, () -> Hakmem.builder().tiers().learnerProviders(List.of(broken)).build());
        }
        // Each build reserves 64 GiB of address space: twenty leaked would add 1.25 TiB.
        assertTrue(vmSizeKiB() - before < (64L << 20), "VmSize grew by " + (vmSizeKiB() - before) + " KiB");
    }

    private static long vmSizeKiB() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmSize:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmSize in /proc/self/status");
    }

    @Test
    void everyCallAfterCloseThrowsIllegalStateException() {
        Allocator a = bare();
        long p = a.malloc(5000);
        a.close();
        a.close();
        assertThrows(IllegalStateException.class, () -> a.malloc(1));
        assertThrows(IllegalStateException.class, () -> a.free(p));
        assertThrows(IllegalStateException.class, () -> a.usableSize(p));
        assertThrows(IllegalStateException.class, a::stats);
        assertThrows(IllegalStateException.class, a::trim);
        assertThrows(IllegalStateException.class, () -> a.site("x"));
    }

    @Test
    void badVariantSettingsAreRejectedNamingTheValue() {
        String before = System.getProperty("hakmem.concurrency");
        try {
            System.setProperty("hakmem.concurrency", "FAST");
            var e = assertThrows(IllegalArgumentException.class, () -> Hakmem.builder().tiers().build());
            assertTrue(e.getMessage().contains("FAST"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("hakmem.concurrency");
            } else {
                System.setProperty("hakmem.concurrency", before);
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Hakmem.builder().shards(0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
    }
}
