package hakmem.bench;

import hakmem.api.Concurrency;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CI's soak: {@link Soak} in this JVM on hakmem's TLS variant, 4 threads, seeded, for 60 s
 * ({@code -Dhakmem.test.soak.seconds=S} shortens it locally; longer soaks belong to the CLI's {@code soak}).
 * Also shows that the check it relies on works: a changed byte, a wrong tag, and a backend that scribbles
 * into live blocks are all reported as corruptions.
 */
class SoakTest {

    private static final double SECONDS = Double.parseDouble(System.getProperty("hakmem.test.soak.seconds", "60"));
    private static final long SEED = 4141;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void tlsSoakCorruptsNothingAndLeavesNothingBehind() throws Exception {
        try (HakmemBackend b = new HakmemBackend("hakmem-tls", Concurrency.TLS)) {
            Soak.Result r = new Soak(Soak.Params.of(SECONDS, 4, SEED), b, System.out::println).run();
            Soak.Flatness rss = r.rss();
            System.out.printf(java.util.Locale.ROOT, "soak %s: %d ops, %d verified, %d handed over, %d corruptions;"
                            + " RSS after warm-up: max deviation %.1f %%, drift %+.1f %%; reserved after trim %d B%n",
                    r.allocator(), r.ops(), r.verified(), r.handedOver(), r.corruptions(), 100 * rss.maxDeviation(),
                    100 * rss.drift(), r.reservedAfterTrim());
            assertTrue(r.failures().isEmpty(), () -> "threads failed: " + r.failures());
            assertEquals(0, r.corruptions(), () -> "corrupted blocks: " + r.corruptionSamples());
            assertTrue(r.verified() > 0, "no block was verified");
            assertTrue(r.handedOver() > 0, "no block was freed by another thread");
            assertEquals(r.allocations(), r.frees(), "every allocation freed");
            assertEquals(r.verified(), r.frees(), "every block checked before its free");
            assertEquals(0, r.liveBlocksAtEnd(), "stats: blocks still live");
            assertEquals(0, r.reservedAfterTrim(), "reserved bytes after trim()");
            assertTrue(r.samples().size() >= 2, "memory was sampled");
        }
    }

    @Test
    void aChangedByteOrAWrongTagIsAMismatch() {
        long[] sizes = {1, 7, 8, 9, 15, 16, 100, 1000, 1024, 1025, 4096 + 12, 40_000, 70_000, 2 * 1024 * 1024 + 3};
        try (Arena arena = Arena.ofConfined()) {
            for (long size : sizes) {
                MemorySegment s = arena.allocate(size, 16);
                long a = s.address();
                long tag = 0xABCDL + size;
                BlockPattern.fill(a, size, tag);
                assertEquals(-1, BlockPattern.firstMismatch(a, size, tag), "intact block of " + size + " B");
                assertTrue(BlockPattern.firstMismatch(a, size, tag + 1) >= 0, "other tag, " + size + " B");
                for (long off : new long[] {0, size - 1, size / 2}) {
                    byte was = s.get(ValueLayout.JAVA_BYTE, off);
                    s.set(ValueLayout.JAVA_BYTE, off, (byte) ~was);
                    long found = BlockPattern.firstMismatch(a, size, tag);
                    s.set(ValueLayout.JAVA_BYTE, off, was);
                    if (size <= BlockPattern.WHOLE || off == 0 || off == size - 1) {
                        // Whole blocks are checked byte for byte; large ones at least at both ends.
                        assertTrue(found >= 0 && found <= off && off < found + 8,
                                "byte +" + off + " of " + size + " B changed, reported at " + found);
                    }
                    assertEquals(-1, BlockPattern.firstMismatch(a, size, tag), "restored, " + size + " B");
                }
            }
        }
    }

    @Test
    void aPatternMovedToAnotherAddressIsAMismatch() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(256, 16);
            MemorySegment y = arena.allocate(256, 16);
            BlockPattern.fill(x.address(), 256, 7);
            y.copyFrom(x);
            assertEquals(0, BlockPattern.firstMismatch(y.address(), 256, 7));
        }
    }

    /** hakmem with a bug planted: every 97th allocation flips a byte of the block allocated just before, if still live. */
    static final class ScribblingBackend implements Backend {
        private final HakmemBackend inner = new HakmemBackend("scribbling", Concurrency.LOCKED);
        private long mallocs;
        private long victim;
        long scribbles;

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public long malloc(long size) {
            if (++mallocs % 97 == 0 && victim != 0) {
                Memory.ALL.set(ValueLayout.JAVA_BYTE, victim, (byte) ~Memory.ALL.get(ValueLayout.JAVA_BYTE, victim));
                scribbles++;
            }
            victim = inner.malloc(size);
            return victim;
        }

        @Override
        public void free(long handle) {
            if (handle == victim) {
                victim = 0;
            }
            inner.free(handle);
        }

        @Override
        public long liveBlocks() {
            return inner.liveBlocks();
        }

        @Override
        public long reservedBytes() {
            return inner.reservedBytes();
        }

        @Override
        public void trim() {
            inner.trim();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void theSoakReportsEveryScribbledBlock() throws Exception {
        try (ScribblingBackend b = new ScribblingBackend()) {
            // One thread, so the planted bug's own bookkeeping needs no lock.
            Soak.Result r = new Soak(new Soak.Params(0.5, 1, 200, SEED, 0.1, Soak.Params.DEFAULT_HAND_OFF), b, null).run();
            assertTrue(b.scribbles > 0, "the planted bug never struck");
            assertEquals(b.scribbles, r.corruptions(), () -> "first reports: " + r.corruptionSamples());
            assertFalse(r.ok());
            assertFalse(r.corruptionSamples().isEmpty());
            assertTrue(r.corruptionSamples().getFirst().contains("+0"), r.corruptionSamples().getFirst());
            assertEquals(0, r.liveBlocksAtEnd(), "corrupted blocks are still freed");
        }
    }

    @Test
    void flatnessIsJudgedAfterTheWarmUpAgainstTheFirstSampleThere() {
        List<Soak.Sample> s = List.of(sample(0, 10), sample(1, 500), sample(2, 1000), sample(3, 1040), sample(4, 980),
                sample(5, 1030));
        Soak.Flatness f = Soak.Flatness.of(s, 2, Soak.Sample::rssKiB);
        assertEquals(1000, f.reference());
        assertEquals(0.04, f.maxDeviation(), 1e-9);
        assertEquals(0.03, f.drift(), 1e-9);
        assertTrue(f.flat());
        Soak.Flatness growing = Soak.Flatness.of(List.of(sample(2, 1000), sample(3, 1051)), 2, Soak.Sample::rssKiB);
        assertFalse(growing.flat());
        assertFalse(Soak.Flatness.of(List.of(sample(0, 1000)), 2, Soak.Sample::rssKiB).flat(), "no sample after warm-up");
    }

    private static Soak.Sample sample(double seconds, long rssKiB) {
        return new Soak.Sample(seconds, rssKiB, -1, -1, 0);
    }
}
