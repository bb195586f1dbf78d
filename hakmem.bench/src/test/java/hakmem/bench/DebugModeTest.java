package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Debug mode: guard bytes checked on free, poisoned frees, sampled allocation stacks in the leak report. */
class DebugModeTest {

    private static Allocator debug(Concurrency c) {
        return Hakmem.builder().concurrency(c).shards(2).debug(true).learning(false).build();
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void aWritePastTheEndIsReportedWithTheBlocksAddressAndSize(Concurrency c) {
        try (Allocator a = debug(c)) {
            for (long size : new long[] {1, 100, 1024, 5000, 40_000, 2 << 20}) {
                long p = a.malloc(size);
                assertEquals(size, a.usableSize(p), "what was asked is usable, the guard is not the caller's");
                Memory.ALL.asSlice(p, size).fill((byte) 1); // all of the block: fine
                long q = a.malloc(size);
                Memory.ALL.set(ValueLayout.JAVA_BYTE, q + size, (byte) 7); // one byte past the end
                a.free(p);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.free(q));
                assertTrue(e.getMessage().contains("0x" + Long.toHexString(q)) && e.getMessage().contains(size + " bytes"),
                        e.getMessage());
                assertThrows(InvalidAddressException.class, () -> a.free(q), "it was freed all the same");
            }
            a.verify();
            assertEquals(0, a.stats().liveBlocks());
        }
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void freedMemoryIsPoisonedAndBadFreesStillThrowTheExactReason(Concurrency c) {
        try (Allocator a = debug(c)) {
            long p = a.malloc(64);
            Memory.ALL.asSlice(p, 64).fill((byte) 0x11);
            long keep = a.malloc(64);
            a.free(p);
            assertEquals((byte) 0xDE, Memory.ALL.get(ValueLayout.JAVA_BYTE, p + 10), "a use after free reads poison");
            assertThrows(InvalidAddressException.class, () -> a.free(p));
            assertThrows(InvalidAddressException.class, () -> a.free(keep + 8));
            long moved = a.realloc(keep, 5000);
            assertEquals(5000, a.usableSize(moved));
            a.free(moved);
            a.verify();
        }
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void theLeakReportShowsWhereSampledBlocksWereAllocated(Concurrency c) {
        Allocator a = Hakmem.builder().concurrency(c).shards(2).debug(true).failOnLeak(true).learning(false).build();
        for (int i = 0; i < 200; i++) {
            a.malloc(32);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
        assertTrue(e.getMessage().contains("200 blocks") && e.getMessage().contains("allocated at:")
                && e.getMessage().contains(DebugModeTest.class.getName()), e.getMessage());
    }
}
