package hakmem.api.runtime;

import hakmem.api.Concurrency;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OS refuses the k-th page request, for every k a fixed script makes: each call succeeds or throws
 * OutOfMemoryError, live blocks keep their contents, {@code verify()} passes, everything freed and
 * trimmed leaves nothing reserved, and once the OS recovers the same script runs through. A refused
 * discard (calloc of a cached big mapping), decommit or drop (at close) is survived: zeroed by hand,
 * left resident, or unmapped at once.
 */
class FaultInjectionTest {

    /** The OS, but for one request, the k-th, which it refuses. */
    private static class RefusingPages implements PageSource {
        private final PageSource os = OsMemory.SYSTEM;
        private final long refuse;
        long requests;
        boolean refused;

        RefusingPages(long refuse) {
            this.refuse = refuse;
        }

        private void request(String what) {
            if (++requests == refuse) {
                refused = true;
                throw new OutOfMemoryError("refused on cue: " + what);
            }
        }

        @Override
        public long reserve(long length) {
            request("reserve");
            return os.reserve(length);
        }

        @Override
        public long mapFresh(long length) {
            request("map");
            return os.mapFresh(length);
        }

        @Override
        public void commit(long address, long length) {
            request("commit");
            os.commit(address, length);
        }

        @Override
        public void decommit(long address, long length) {
            request("decommit");
            os.decommit(address, length);
        }

        @Override
        public void drop(long address, long length) {
            request("drop");
            os.drop(address, length);
        }

        @Override
        public void unmap(long address, long length) {
            os.unmap(address, length);
        }

        @Override
        public void discard(long address, long length) {
            request("discard");
            os.discard(address, length);
        }
    }

    private record Held(long address, long size) {
    }

    /** A close whose every drop is refused still completes: the ranges are unmapped at once instead. */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void aCloseWhoseDropsAreRefusedStillCompletes(Concurrency c) {
        RefusingPages pages = new RefusingPages(-1) {
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
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> a.malloc(48));
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyRefusalSurfacesAsOutOfMemoryErrorAndCorruptsNothing(Concurrency c) {
        int requests = script(new RefusingPages(-1), c, true);
        assertTrue(requests > 10, "the script makes page requests: " + requests);
        int refusedRuns = 0;
        for (int k = 1; k <= requests; k++) {
            RefusingPages pages = new RefusingPages(k);
            script(pages, c, false);
            refusedRuns += pages.refused ? 1 : 0;
            script(pages, c, true); // the OS recovered: the same script runs through
        }
        assertEquals(requests, refusedRuns, "every request of the script was refused once");
        System.out.printf("fault injection, %s: each of the script's %d page requests refused in turn, all survived%n", c, requests);
    }

    /**
     * Allocates, frees and trims small and big blocks, checking contents; returns the page requests it
     * made. With {@code clean}, every call must succeed.
     */
    private static int script(RefusingPages pages, Concurrency c, boolean clean) {
        long before = pages.requests;
        PooledAllocator a;
        try {
            a = PooledAllocator.open(c, 1, List.of(new FixedTier()), 64L << 20, 64L << 20, null,
                    PooledAllocator.Options.DEFAULT, pages);
        } catch (OutOfMemoryError e) {
            assertTrue(!clean, "a clean run opens: " + e);
            return (int) (pages.requests - before);
        }
        try (a) {
            List<Held> held = new ArrayList<>();
            long[] sizes = {48, 64, 3 << 20, 48, 5 << 20, 16, 3 << 20};
            for (int round = 0; round < 3; round++) {
                for (long size : sizes) {
                    try {
                        long p = size > 1 << 20 ? a.calloc(size) : a.malloc(size); // big: a cached mapping, discarded
                        if (size > 1 << 20) {
                            assertEquals(0, MemorySegment.ofAddress(p).reinterpret(size).get(ValueLayout.JAVA_BYTE, size - 1));
                        }
                        MemorySegment.ofAddress(p).reinterpret(size).fill((byte) (p ^ size));
                        held.add(new Held(p, size));
                    } catch (OutOfMemoryError e) {
                        assertTrue(!clean, "a clean run allocates: " + e);
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
        }
        return (int) (pages.requests - before);
    }

    private static void check(Held h) {
        byte expected = (byte) (h.address() ^ h.size());
        MemorySegment s = MemorySegment.ofAddress(h.address()).reinterpret(h.size());
        assertEquals(expected, s.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(expected, s.get(ValueLayout.JAVA_BYTE, h.size() - 1));
    }
}
