package hakmem.l25;

import hakmem.l25.Harness.Alloc;
import hakmem.l25.Harness.Block;
import hakmem.l25.Harness.DoubleFree;
import hakmem.l25.Harness.Free;
import hakmem.l25.Harness.Interior;
import hakmem.l25.Harness.Op;
import hakmem.l25.Harness.Slack;
import hakmem.l25.Harness.Stray;
import hakmem.l25.Harness.Trim;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stateful properties of one l25 core driven alone against the model in {@link Harness}. */
class L25CoreProperties {

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Op> alloc = Combinators.combine(
                Arbitraries.frequencyOf(
                        Tuple.of(8, Arbitraries.longs().between(32 * 1024 + 1, Harness.MAX)),
                        Tuple.of(1, Arbitraries.longs().between(1, 32 * 1024))),
                Arbitraries.frequencyOf(
                        Tuple.of(8, Arbitraries.just(4)),
                        Tuple.of(2, Arbitraries.integers().between(5, 22))),
                Arbitraries.integers().between(0, 7))
                .as(Alloc::new);
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1000);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(10, alloc),
                Tuple.of(8, pick.map(Free::new)),
                Tuple.of(1, pick.map(DoubleFree::new)),
                Tuple.of(1, Combinators.combine(pick, Arbitraries.longs().between(0, Harness.MAX)).as(Interior::new)),
                Tuple.of(1, Combinators.combine(Arbitraries.of(true, false), Arbitraries.longs()).as(Stray::new)),
                Tuple.of(1, Arbitraries.just(new Trim())),
                Tuple.of(1, Arbitraries.of(1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 8.0).map(Slack::new)),
                Tuple.of(1, Combinators.combine(Arbitraries.longs().between(1, Harness.MAX),
                        Arbitraries.integers().between(1, 24), Arbitraries.integers().between(0, 7))
                        .as(Harness.Burst::new)),
                Tuple.of(1, Combinators.combine(pick, Arbitraries.integers().between(1, 24)).as(Harness.Drain::new)));
        return op.list().ofMinSize(1).ofMaxSize(120);
    }

    /** Invariant 1: live blocks never overlap; each is a whole block of its class in the core's chunks, in its site's shard. */
    @Property
    void liveBlocksAreDisjointAndWholeBlocksOfTheirClass(@ForAll("operations") List<Op> ops) {
        try (Harness h = new Harness()) {
            for (Op op : ops) {
                h.apply(op);
                h.checkPlacement();
            }
            h.freeAll();
        }
    }

    /** Invariant 2: blocks are aligned (naturally, so as asked) and large enough; classes within W_MAX (in alloc). */
    @Property
    void blocksAreAlignedAndLargeEnough(@ForAll("operations") List<Op> ops) {
        try (Harness h = new Harness()) {
            for (Op op : ops) {
                h.apply(op);
                h.checkAlignmentAndSize();
            }
        }
    }

    /** Invariant 3: page bitmaps, caches and counters agree (checkInvariants); stats equal the model's counts. */
    @Property
    void countsMatchTheModel(@ForAll("operations") List<Op> ops,
                             @ForAll @LongRange(min = 0, max = 8L << 20) long retained) {
        try (Harness h = new Harness(retained)) {
            for (Op op : ops) {
                h.apply(op);
                h.checkCounts();
            }
        }
    }

    /** Invariant 4: double, foreign and interior frees throw with the right reason and change nothing. */
    @Property
    void badFreesAreRejectedWithoutChange(@ForAll("operations") List<Op> ops,
                                          @ForAll @IntRange(min = 0, max = 1000) int pick,
                                          @ForAll @LongRange(min = 1, max = 1 << 20) long delta) {
        try (Harness h = new Harness()) {
            for (Op op : ops) {
                h.apply(op);
                h.apply(new DoubleFree(pick));
                h.apply(new Interior(pick, delta));
                h.apply(new Stray(false, delta * 4096 + pick));
                h.apply(new Stray(true, -delta));
            }
            h.checkCounts();
        }
    }

    /**
     * Invariant 5: churn at a fixed live set (free a random block, allocate a random size of the same
     * class from a random site) takes freed blocks or their pages back: reserved bytes never exceed
     * what the live set took, whatever the cache budget (0 sends every free back to its chunk).
     */
    @Property
    void churnAtAFixedLiveSetDoesNotGrow(
            @ForAll @Size(min = 1, max = 60) List<@LongRange(min = 1, max = 1 << 20) Long> sizes,
            @ForAll("budgets") long retained, @ForAll long seed) {
        try (Harness h = new Harness(retained)) {
            Random random = new Random(seed);
            for (long size : sizes) {
                h.alloc(size, 16, random.nextInt(8));
            }
            long reserved = h.source.reservedBytes();
            for (int step = 0; step < 150; step++) {
                Block victim = h.pickLive(random.nextInt(h.live.size()));
                int c = victim.sizeClass();
                long low = c == 0 ? 1 : Harness.CLASSES[c - 1] + 1;
                h.free(victim.address());
                h.alloc(low + random.nextLong(Harness.CLASSES[c] - low + 1), 16, random.nextInt(8));
                assertTrue(h.source.reservedBytes() <= reserved, "churn grew reserved bytes from " + reserved
                        + " to " + h.source.reservedBytes());
            }
            h.checkCounts();
        }
    }

    @Provide
    Arbitrary<Long> budgets() {
        return Arbitraries.of(0L, 256L << 10, L25Core.DEFAULT_RETAINED);
    }

    /**
     * Invariant 6: freed blocks beyond the cache budget go back to their chunks at once, free pages
     * beyond the dirty budget are discarded, no chunk but the spare is held without a block; trim()
     * keeps exactly the live blocks, and with none the core holds no chunk.
     */
    @Property
    void freedPagesGoBackAndTrimReleasesEverything(@ForAll("operations") List<Op> ops,
                                                    @ForAll("budgets") long retained) {
        try (Harness h = new Harness(retained)) {
            for (Op op : ops) {
                h.apply(op);
                assertTrue(h.core.cachedBytes() <= retained && h.core.dirtyBytes() <= h.core.dirtyBudget());
            }
            h.core.trim();
            h.checkCounts();
            h.checkPlacement();
            assertEquals(0, h.core.cachedBytes());
            long held = h.core.stats().classes().stream().mapToLong(cs -> cs.slabs()).sum();
            assertEquals(h.live.size(), held, "trim must keep exactly the live blocks");

            h.freeAll();
            h.checkCounts();
            assertTrue(h.core.cachedBytes() <= retained && h.core.dirtyBytes() <= h.core.dirtyBudget());
            int cachedBlocks = 0;
            for (int s = 0; s < L25Core.SHARDS; s++) {
                for (int c = 0; c < L25Core.CLASSES; c++) {
                    cachedBlocks += h.core.cachedCount(s, c);
                }
            }
            assertTrue(h.core.chunkCount() <= cachedBlocks + 1, "chunks held beyond those of cached blocks and the spare");
            h.core.trim();
            h.checkCounts();
            assertEquals(0, h.source.reservedBytes(), "trim with no live block must release every chunk");
            assertEquals(0, h.core.chunkCount());
        }
    }
}
