package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory disclosure (zero on free) and the leak report of close(). */
class SecretsAndLeaksTest {

    private static final byte SECRET = 0x5A;

    /**
     * With zeroOnFree, a block freed by one site and recycled to another, of any size that shares its
     * memory, carries none of the old bytes: every block of every size a second site gets is all zero.
     */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void withZeroOnFreeNoFreedByteReachesTheNextCaller(Concurrency variant) {
        try (Allocator a = Hakmem.builder().concurrency(variant).shards(2).zeroOnFree(true).learning(false).build()) {
            long[] sizes = {16, 100, 1000, 5000, 40_000, 200_000, 3 << 20};
            var secrets = a.site("secrets");
            var other = a.site("other");
            for (int round = 0; round < 3; round++) {
                List<Long> held = new ArrayList<>();
                for (long size : sizes) {
                    for (int i = 0; i < 20; i++) {
                        long p = secrets.malloc(size);
                        Memory.ALL.asSlice(p, size).fill(SECRET);
                        held.add(p);
                    }
                }
                held.forEach(a::free);
                held.clear();
                for (long size : sizes) {
                    for (int i = 0; i < 20; i++) {
                        long p = other.malloc(size);
                        for (long at = 0; at < size; at += Math.max(1, size / 64)) {
                            assertEquals(0, Memory.ALL.get(ValueLayout.JAVA_BYTE, p + at), variant + ": a freed byte leaked at +" + at);
                        }
                        assertEquals(0, Memory.ALL.get(ValueLayout.JAVA_BYTE, p + size - 1));
                        held.add(p);
                    }
                }
                held.forEach(a::free);
            }
            assertThrows(IllegalArgumentException.class, () -> a.free(12345), "a bad free still throws, writing nothing");
            a.verify();
        }
    }

    @Test
    void closeWithLiveBlocksReportsThemPerTierOrThrowsWhenAsked() {
        Allocator a = Hakmem.builder().failOnLeak(true).learning(false).build();
        a.malloc(100);
        a.malloc(100);
        a.malloc(5000);
        long freed = a.malloc(64);
        a.free(freed);
        IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
        assertTrue(e.getMessage().contains("3 blocks") && e.getMessage().contains("tiny 2 blocks")
                && e.getMessage().contains("l2 1 blocks"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> a.malloc(1), "closed all the same");
        a.close(); // once closed, closing again says nothing

        try (Allocator quiet = Hakmem.builder().failOnLeak(true).learning(false).build()) {
            quiet.free(quiet.malloc(100)); // nothing live: no report, no exception
        }
    }
}
