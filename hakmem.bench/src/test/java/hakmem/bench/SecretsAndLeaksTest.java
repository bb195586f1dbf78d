package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import hakmem.api.Site;
import hakmem.api.SiteOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory disclosure (zero on free, for all blocks or per site) and the leak report of close(). */
class SecretsAndLeaksTest {

    private static final byte SECRET = 0x5A;
    private static final byte PLAIN = 0x3C;
    /** One size per tier and the big-block path. */
    private static final long[] SIZES = {16, 100, 1000, 5000, 40_000, 200_000, 3 << 20};
    private static final int BLOCKS = 20;
    /** Big blocks: fewer than the big-block cache holds, so every freed mapping is kept, not unmapped. */
    private static final int BIG_BLOCKS = 8;

    private static Allocator allocator(Concurrency variant) {
        return Hakmem.builder().concurrency(variant).shards(2).learning(false).build();
    }

    /** Index of the first byte of {@code [p, +size)} equal to {@code b}, or -1. */
    private static long find(long p, long size, byte b) {
        MemorySegment s = Memory.ALL.asSlice(p, size);
        long pattern = (b & 0xFFL) * 0x0101010101010101L;
        long at = 0;
        for (; at + 8 <= size; at += 8) {
            long x = s.get(ValueLayout.JAVA_LONG_UNALIGNED, at) ^ pattern;
            if (((x - 0x0101010101010101L) & ~x & 0x8080808080808080L) != 0) { // some byte of x is 0
                break;
            }
        }
        for (; at < size; at++) {
            if (s.get(ValueLayout.JAVA_BYTE, at) == b) {
                return at;
            }
        }
        return -1;
    }

    /**
     * A zero-on-free site's freed blocks reach other sites with none of their bytes, whatever the tier,
     * while a plain site's freed bytes are left as they were (the option is per site: nothing else is
     * zeroed). Each size's blocks are allocated after a keeper of that size, so no slab or run empties
     * and has its pages discarded, which would zero it regardless; big blocks are fewer than the big-block
     * cache keeps (an unmapped one's address may come back as a fresh, zeroed mapping).
     */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void aZeroOnFreeSitesBlocksReachOtherSitesZeroedAndOtherSitesBlocksAreLeftAlone(Concurrency variant) {
        try (Allocator a = allocator(variant)) {
            Site secrets = a.site("secrets", SiteOptions.DEFAULT.withZeroOnFree(true));
            Site plain = a.site("plain");
            Site other = a.site("other");
            List<Long> keepers = new ArrayList<>();
            for (long size : SIZES) {
                keepers.add(other.malloc(size));
            }
            for (int round = 0; round < 2; round++) {
                for (long size : SIZES) {
                    for (Site writer : List.of(secrets, plain)) {
                        byte fill = writer == secrets ? SECRET : PLAIN;
                        Set<Long> freed = new HashSet<>();
                        int blocks = size > 1 << 20 ? BIG_BLOCKS : BLOCKS;
                        for (int i = 0; i < blocks; i++) {
                            long p = writer.malloc(size);
                            Memory.ALL.asSlice(p, size).fill(fill);
                            freed.add(p);
                        }
                        freed.forEach(a::free);
                        List<Long> again = new ArrayList<>();
                        int recycled = 0;
                        for (int i = 0; i < blocks; i++) {
                            long p = other.malloc(size);
                            again.add(p);
                            if (!freed.contains(p)) {
                                continue;
                            }
                            recycled++;
                            if (writer == secrets) {
                                assertEquals(-1, find(p, a.usableSize(p), SECRET), variant + ", " + size
                                        + " B: a zero-on-free site's freed byte reached another site");
                            } else {
                                assertEquals(-1, find(p, size, (byte) 0), variant + ", " + size
                                        + " B: a plain site's block was zeroed on free");
                            }
                        }
                        assertTrue(recycled > 0, variant + ", " + size + " B: no freed block was recycled, the check proves nothing");
                        again.forEach(a::free);
                    }
                }
            }
            keepers.forEach(a::free);
            a.verify();
            assertEquals(0, a.stats().liveBlocks());
        }
    }

    /**
     * realloc moving a zero-on-free site's block zeroes the old block, and the new block stays one of that
     * site: its free zeroes it too. Calloc and segments of the site are zeroed on free as well.
     */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void reallocKeepsTheSiteAndZeroesTheBlockItLeaves(Concurrency variant) {
        try (Allocator a = allocator(variant)) {
            Site secrets = a.site("secrets", SiteOptions.DEFAULT.withZeroOnFree(true));
            Site other = a.site("other");
            long keepSmall = other.malloc(100);
            long keepMid = other.malloc(5000);
            long p = secrets.malloc(100);
            Memory.ALL.asSlice(p, 100).fill(SECRET);
            long q = a.realloc(p, 5000);
            assertNotEquals(p, q, "a move to the mid tier");
            assertEquals(-1, find(q, 100, (byte) 0), "realloc kept the first 100 bytes");
            Memory.ALL.asSlice(q, 5000).fill(SECRET);
            long r = other.malloc(100);
            assertEquals(p, r, "the old block is recycled first (LIFO)");
            assertEquals(-1, find(r, a.usableSize(r), SECRET), variant + ": the block realloc left was not zeroed");
            a.free(q);
            long s = other.malloc(5000);
            assertEquals(q, s, "the moved block is recycled first (LIFO)");
            assertEquals(-1, find(s, a.usableSize(s), SECRET), variant + ": the block realloc made is not the site's");

            long c = secrets.calloc(48);
            Memory.ALL.asSlice(c, 48).fill(SECRET);
            MemorySegment seg = secrets.allocate(48, 64);
            seg.fill(SECRET);
            a.free(c);
            a.free(seg);
            long[] two = {other.malloc(48), other.malloc(48)};
            for (long x : two) {
                if (x == c || x == seg.address()) {
                    assertEquals(-1, find(x, 48, SECRET), variant + ": a calloc'd or segment block of the site was not zeroed");
                }
            }
            for (long x : new long[] {keepSmall, keepMid, r, s, two[0], two[1]}) {
                a.free(x);
            }
            a.verify();
        }
    }

    /** A bad free of, or into, a zero-on-free site's block throws before anything is written. */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void badFreesOfZeroOnFreeBlocksThrowAndWriteNothing(Concurrency variant) {
        try (Allocator a = allocator(variant); Allocator foreign = allocator(variant)) {
            Site secrets = a.site("secrets", SiteOptions.DEFAULT.withZeroOnFree(true));
            Site foreignSecrets = foreign.site("secrets", SiteOptions.DEFAULT.withZeroOnFree(true));
            for (long size : SIZES) {
                long p = secrets.malloc(size);
                Memory.ALL.asSlice(p, size).fill(SECRET);
                assertThrows(InvalidAddressException.class, () -> a.free(p + 16), "interior");
                long f = foreignSecrets.malloc(size);
                Memory.ALL.asSlice(f, size).fill(SECRET);
                assertThrows(IllegalArgumentException.class, () -> a.free(f), "another allocator's block");
                assertEquals(-1, find(p, size, (byte) 0), variant + ", " + size + " B: a bad free wrote to the block");
                assertEquals(-1, find(f, size, (byte) 0), variant + ", " + size + " B: a foreign free wrote to the block");
                a.free(p);
                assertThrows(InvalidAddressException.class, () -> a.free(p), "double free");
                foreign.free(f);
                a.verify();
                foreign.verify();
            }
        }
    }

    @Test
    void oneNameHasOneSetOfOptions() {
        try (Allocator a = allocator(Concurrency.TLS)) {
            SiteOptions zero = SiteOptions.DEFAULT.withZeroOnFree(true);
            Site s = a.site("keys", zero);
            assertSame(s, a.site("keys", zero));
            assertSame(s, a.site("keys"), "a lookup by name finds the site whatever its options");
            assertEquals(zero, s.options());
            assertEquals(SiteOptions.DEFAULT, a.site("plain").options());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.site("keys", SiteOptions.DEFAULT));
            assertTrue(e.getMessage().contains("keys") && e.getMessage().contains("zeroOnFree=true"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.site("plain", zero));
            assertThrows(NullPointerException.class, () -> a.site("x", null));
            assertThrows(IllegalArgumentException.class, () -> a.site(" ", zero));
            assertEquals(zero, SiteOptions.DEFAULT.withZeroOnFree(true));
            assertEquals(SiteOptions.DEFAULT, zero.withZeroOnFree(false));
        }
    }

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
        assertTrue(e.getMessage().contains("Blocks by site: need debug mode"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> a.malloc(1), "closed all the same");
        a.close(); // once closed, closing again says nothing

        try (Allocator quiet = Hakmem.builder().failOnLeak(true).learning(false).build()) {
            quiet.free(quiet.malloc(100)); // nothing live: no report, no exception
        }
    }

    /** In debug mode the leak report also counts the live blocks of each site, by name. */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void inDebugModeTheLeakReportCountsBlocksBySite(Concurrency variant) {
        Allocator a = Hakmem.builder().concurrency(variant).shards(2).debug(true).failOnLeak(true).learning(false).build();
        Site json = a.site("json.parse");
        Site db = a.site("db.rows", SiteOptions.DEFAULT.withZeroOnFree(true));
        for (int i = 0; i < 3; i++) {
            json.malloc(100);
        }
        db.calloc(5000);
        a.free(db.malloc(70)); // freed: not in the report
        a.malloc(10);
        a.malloc(20);
        a.site("idle");
        IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
        String m = e.getMessage();
        assertTrue(m.contains("6 blocks"), m);
        assertTrue(m.contains("'json.parse' 3 blocks (300 bytes)"), m);
        assertTrue(m.contains("'db.rows' 1 blocks (5000 bytes)"), m);
        assertTrue(m.contains("(no site) 2 blocks (30 bytes)"), m);
        assertTrue(!m.contains("idle") && !m.contains("need debug mode"), m);
        assertTrue(m.indexOf("'db.rows'") < m.indexOf("'json.parse'"), "largest first: " + m);
    }
}
