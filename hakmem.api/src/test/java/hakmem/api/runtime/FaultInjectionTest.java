package hakmem.api.runtime;

import hakmem.api.Concurrency;
import hakmem.api.TierStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The OS refuses the k-th page request of one kind (reserve, map, commit, decommit, drop, discard, unmap),
 * for every kind and every k from 1 to the number of requests of that kind a fixed script makes (counted in
 * a clean run first). A refusal to give memory (reserve, map, commit) surfaces as OutOfMemoryError, or not at
 * all when giving back what is kept for reuse made room for a second try; a refusal to take memory back
 * (decommit, drop, discard, unmap) never surfaces: the memory is kept, zeroed by hand, or unmapped at once.
 * Either way live blocks keep their contents, {@code verify()} passes after every round, everything freed
 * and trimmed leaves nothing reserved nor mapped from the OS (but a chunk whose decommit was refused, which
 * stays resident until it is committed again or the allocator closes), close leaves nothing mapped but the
 * ranges it drops for the Cleaner, and once the OS recovers the same script runs through.
 */
class FaultInjectionTest {

    enum Kind { RESERVE, MAP, COMMIT, DECOMMIT, DROP, DISCARD, UNMAP }

    /**
     * The OS, but for one request, the k-th of one kind, which it refuses as the OS does: mappings with
     * OutOfMemoryError, munmap and madvise with IllegalStateException. Keeps a ledger of what the OS has
     * mapped for the allocator outside its reservation, and of the chunks committed in it; dropped ranges
     * (kept mapped at close, reading as zero, for the Cleaner to unmap) leave the ledger when dropped.
     * Only the test thread's requests are counted, refused and entered: a closed allocator's deferred
     * unmaps run on the Cleaner's thread whenever GC finds it unreachable, and pass straight through.
     */
    private static class RefusingPages implements PageSource {
        private final PageSource os = OsMemory.SYSTEM;
        private final Thread owner = Thread.currentThread();
        private final Kind kind;
        private final long refuse;
        final long[] requests = new long[Kind.values().length];
        boolean refused;
        long reservation;
        long reservationLength;
        /** Bytes mapped by mapFresh, neither unmapped nor dropped. */
        long freshBytes;
        /** Chunks committed, neither decommitted, unmapped nor dropped, by address. */
        final Set<Long> committed = new HashSet<>();

        /** Refuses the {@code refuse}-th request of {@code kind}; {@code refuse} -1: none. */
        RefusingPages(Kind kind, long refuse) {
            this.kind = kind;
            this.refuse = refuse;
        }

        private boolean counted() {
            return Thread.currentThread() == owner;
        }

        private void request(Kind k) {
            if (++requests[k.ordinal()] == refuse && k == kind) {
                refused = true;
                if (k == Kind.UNMAP || k == Kind.DISCARD) {
                    throw new IllegalStateException("refused on cue: " + k);
                }
                throw new OutOfMemoryError("refused on cue: " + k);
            }
        }

        long total() {
            long n = 0;
            for (long r : requests) {
                n += r;
            }
            return n;
        }

        /** A range leaves the ledger: unmapped, or dropped for the Cleaner to unmap. */
        private void gone(long address, long length) {
            if (address >= reservation && address - reservation < reservationLength) {
                committed.removeIf(chunk -> chunk >= address && chunk < address + length);
            } else {
                freshBytes -= length;
            }
        }

        @Override
        public long reserve(long length) {
            request(Kind.RESERVE);
            reservation = os.reserve(length);
            reservationLength = length;
            return reservation;
        }

        @Override
        public long mapFresh(long length) {
            request(Kind.MAP);
            long p = os.mapFresh(length);
            freshBytes += length;
            return p;
        }

        @Override
        public void commit(long address, long length) {
            request(Kind.COMMIT);
            os.commit(address, length);
            committed.add(address);
        }

        @Override
        public void decommit(long address, long length) {
            request(Kind.DECOMMIT);
            os.decommit(address, length);
            committed.remove(address);
        }

        @Override
        public void drop(long address, long length) {
            request(Kind.DROP);
            os.drop(address, length);
            gone(address, length);
        }

        @Override
        public void unmap(long address, long length) {
            if (!counted()) {
                os.unmap(address, length);
                return;
            }
            request(Kind.UNMAP);
            os.unmap(address, length);
            gone(address, length);
        }

        @Override
        public void discard(long address, long length) {
            request(Kind.DISCARD);
            os.discard(address, length);
        }
    }

    private record Held(long address, long size) {
    }

    /** Per kind: {refusals tried, ones that surfaced as OutOfMemoryError}, over all variants. */
    private static final Map<Kind, long[]> TALLY = new EnumMap<>(Kind.class);

    @AfterAll
    static void printTally() {
        TALLY.forEach((k, n) -> System.out.printf("fault injection, %s: %d refusals (every k of every variant),"
                + " %d surfaced as OutOfMemoryError, the rest absorbed%n", k, n[0], n[1]));
    }

    /** A close whose every drop is refused still completes: the ranges are unmapped at once instead. */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void aCloseWhoseDropsAreRefusedStillCompletes(Concurrency c) {
        RefusingPages pages = new RefusingPages(Kind.DROP, -1) {
            @Override
            public void drop(long address, long length) {
                throw new OutOfMemoryError("refused on cue: drop");
            }
        };
        PooledAllocator a = PooledAllocator.open(c, 1, List.of(new FixedTier()), 64L << 20, 64L << 20, null,
                PooledAllocator.Options.DEFAULT, pages);
        a.malloc(48); // live at close: its chunk would be kept mapped
        a.malloc(3 << 20); // a live big block likewise
        a.close();
        assertThrows(IllegalStateException.class, () -> a.malloc(48));
    }

    /** A big block whose unmap is refused is kept, counted as free, and unmapped by the next trim. */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void aRefusedUnmapKeepsTheRangeCountedUntilTrimUnmapsIt(Concurrency c) {
        RefusingPages pages = new RefusingPages(Kind.UNMAP, 1);
        try (PooledAllocator a = PooledAllocator.open(c, 1, List.of(new FixedTier()), 64L << 20, 64L << 20, null,
                PooledAllocator.Options.DEFAULT, pages)) {
            long p = a.allocate(3 << 20, 1 << 21).address(); // over-mapped: the slack's first unmap is refused
            assertEquals(0, p & ((1 << 21) - 1));
            MemorySegment.ofAddress(p).reinterpret(3 << 20).fill((byte) 1);
            TierStats big = a.stats().tier("big");
            assertTrue(pages.refused && big.freeBytes() > 0, "the refused slack is kept: " + big);
            a.verify();
            a.free(p);
            a.trim();
            assertEquals(0, a.stats().reservedBytes(), "trim unmapped it");
            assertEquals(0, pages.freshBytes, "nothing mapped is left");
        }
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyRefusalOfEveryKindSurfacesAsDocumentedAndCorruptsNothing(Concurrency c) {
        RefusingPages clean = new RefusingPages(Kind.RESERVE, -1);
        assertEquals(0, script(clean, c), "a clean run fails nothing");
        Map<Kind, Long> refused = new TreeMap<>();
        for (Kind k : Kind.values()) {
            assertTrue(clean.requests[k.ordinal()] >= 1, "the script makes " + k + " requests");
            // How many unmaps the script makes depends on where the OS puts mappings (an over-mapped block
            // whose mapping happens to be aligned has no slack before it): go on until a run makes fewer
            // requests of the kind than the one refused.
            long surfaced = 0;
            long k1 = 1;
            for (; ; k1++) {
                RefusingPages pages = new RefusingPages(k, k1);
                int failed = script(pages, c);
                if (!pages.refused) {
                    assertEquals(0, failed);
                    break;
                }
                surfaced += failed;
                assertEquals(0, script(pages, c), "the OS recovered: the same script runs through");
            }
            assertTrue(k1 - 1 >= clean.requests[k.ordinal()] - 3, k + ": refused " + (k1 - 1) + " in turn, a clean run made "
                    + clean.requests[k.ordinal()]);
            refused.put(k, k1 - 1);
            synchronized (TALLY) {
                long[] t = TALLY.computeIfAbsent(k, x -> new long[2]);
                t[0] += k1 - 1;
                t[1] += surfaced;
            }
        }
        System.out.printf("fault injection, %s: refused in turn every page request of each kind the script makes %s,"
                + " all survived (a clean run made %d requests)%n", c, refused, clean.total());
    }

    /**
     * Allocates, frees and trims small and big blocks (big ones zeroed, some over-aligned), checking contents
     * and verifying after every round, then frees everything and trims, and closes with a small and a big
     * block live; returns how many calls threw OutOfMemoryError, which only a refused reserve, map or commit
     * may cause.
     */
    private static int script(RefusingPages pages, Concurrency c) {
        boolean mayFail = pages.kind == Kind.RESERVE || pages.kind == Kind.MAP || pages.kind == Kind.COMMIT;
        int failed = 0;
        PooledAllocator a;
        try {
            a = PooledAllocator.open(c, 1, List.of(new FixedTier(true)), 64L << 20, 64L << 20, null,
                    PooledAllocator.Options.DEFAULT, pages);
        } catch (OutOfMemoryError e) {
            assertTrue(mayFail && pages.refused, "only a refused request fails the open: " + e);
            return 1;
        }
        try (a) {
            List<Held> held = new ArrayList<>();
            // Up to 64 B the fixed tier; above, the big path: one block over-mapped for its alignment and its
            // slack unmapped, the others zeroed (calloc), one of them freed and zeroed again from the cache.
            long[] sizes = {48, 64, 24 << 10, 48, 100 << 10, 16, 24 << 10};
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < sizes.length; i++) {
                    long size = sizes[i];
                    try {
                        long p;
                        if (i == 2) {
                            p = a.allocate(size, 1 << 20).address();
                        } else {
                            p = size > 64 ? a.calloc(size) : a.malloc(size);
                        }
                        fill(held, p, size, size > 64 && i != 2);
                        if (i == sizes.length - 1) { // a cached mapping, its pages discarded (or zeroed by hand)
                            a.free(held.removeLast().address());
                            fill(held, a.calloc(size), size, true);
                        }
                    } catch (OutOfMemoryError e) {
                        if (!mayFail || !pages.refused) {
                            fail("only a refused reserve, map or commit may fail a call: " + e);
                        }
                        failed++;
                    }
                }
                for (int i = held.size() - 1; i >= 0; i -= 2) {
                    check(held.get(i));
                    a.free(held.remove(i).address());
                }
                a.trim();
                a.verify();
            }
            for (Held h : held) {
                check(h);
                a.free(h.address());
            }
            a.trim();
            a.verify();
            assertEquals(0, a.stats().liveBlocks());
            assertEquals(0, a.stats().reservedBytes(), "nothing reserved once everything is freed and trimmed");
            assertEquals(0, pages.freshBytes, "no big mapping left with the OS");
            assertTrue(pages.committed.size() <= (pages.kind == Kind.DECOMMIT && pages.refused ? 1 : 0),
                    "no chunk left committed but one whose decommit was refused: " + pages.committed.size());
            try {
                a.malloc(48); // live at close, as a small and a big block: their ranges are dropped, not unmapped
                a.malloc(100 << 10);
            } catch (OutOfMemoryError e) {
                if (!mayFail || !pages.refused) {
                    fail("only a refused reserve, map or commit may fail a call: " + e);
                }
                failed++;
            }
        }
        assertThrows(IllegalStateException.class, () -> a.malloc(16), "closed, whatever was refused at close");
        assertEquals(0, pages.freshBytes, "after close no big mapping is left with the OS but dropped ones");
        assertEquals(Set.of(), pages.committed, "after close no chunk is left committed but dropped ones");
        return failed;
    }

    /** Checks that the new block {@code p} is zero when {@code zeroed}, fills it with its pattern and holds it. */
    private static void fill(List<Held> held, long p, long size, boolean zeroed) {
        MemorySegment s = MemorySegment.ofAddress(p).reinterpret(size);
        if (zeroed) {
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, size - 1));
        }
        s.fill((byte) (p ^ size));
        held.add(new Held(p, size));
    }

    private static void check(Held h) {
        byte expected = (byte) (h.address() ^ h.size());
        MemorySegment s = MemorySegment.ofAddress(h.address()).reinterpret(h.size());
        assertEquals(expected, s.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(expected, s.get(ValueLayout.JAVA_BYTE, h.size() / 2));
        assertEquals(expected, s.get(ValueLayout.JAVA_BYTE, h.size() - 1));
    }
}
