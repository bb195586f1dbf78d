package hakmem.l2;

import hakmem.l2.Harness.Alloc;
import hakmem.l2.Harness.Block;
import hakmem.l2.Harness.DoubleFree;
import hakmem.l2.Harness.Free;
import hakmem.l2.Harness.Interior;
import hakmem.l2.Harness.Op;
import hakmem.l2.Harness.Stray;
import hakmem.l2.Harness.Trim;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stateful properties of one l2 core driven alone against the model in {@link Harness}. */
class L2CoreProperties {

    @Provide
    Arbitrary<List<Op>> operations() {
        // half the sizes fall in four classes, so classes fill several runs and runs empty and get recarved
        Arbitrary<Long> size = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(1, SizeClass.MAX_SIZE)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(1000L, 3000L, 16000L, 32768L)));
        Arbitrary<Op> alloc = Combinators.combine(
                size,
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(6, Arbitraries.just(4)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.just(3)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(5, 17))))
                .as(Alloc::new);
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1000);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, alloc),
                net.jqwik.api.Tuple.of(7, pick.map(Free::new)),
                net.jqwik.api.Tuple.of(1, pick.map(DoubleFree::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(pick, Arbitraries.longs().between(0, 1 << 15))
                        .as(Interior::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(Arbitraries.of(true, false), Arbitraries.longs())
                        .as(Stray::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Trim())),
                net.jqwik.api.Tuple.of(1, Combinators.combine(size, Arbitraries.integers().between(1, 80))
                        .as(Harness.Burst::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(pick, Arbitraries.integers().between(1, 80))
                        .as(Harness.Drain::new)));
        return op.list().ofMinSize(1).ofMaxSize(150);
    }

    @Provide
    Arbitrary<Long> dirtyFloors() {
        return Arbitraries.of(0L, 256L << 10, L2Core.DEFAULT_DIRTY);
    }

    /** Invariant 1: live blocks never overlap; each lies in a run of its own class in one of the core's chunks. */
    @Property
    void liveBlocksAreDisjointAndInARunOfTheirClass(@ForAll("operations") List<Op> ops) {
        try (Harness h = new Harness()) {
            for (Op op : ops) {
                h.apply(op);
                h.checkPlacement();
            }
            h.freeAll(); // verifies every block's pattern once more
        }
    }

    /** Invariant 2: blocks are aligned as asked (or 0 when no class can be) and at least as large as asked. */
    @Property
    void blocksAreAlignedAndLargeEnough(@ForAll("operations") List<Op> ops) {
        try (Harness h = new Harness()) {
            for (Op op : ops) {
                h.apply(op);
                h.checkAlignmentAndSize();
            }
        }
    }

    /** Invariant 3: free + live == capacity per run (checkInvariants) and stats equal the model's counts. */
    @Property
    void countsMatchTheModel(@ForAll("operations") List<Op> ops, @ForAll("dirtyFloors") long dirtyFloor) {
        try (Harness h = new Harness(dirtyFloor)) {
            for (Op op : ops) {
                h.apply(op);
                h.checkCounts();
            }
        }
    }

    /**
     * Invariant 4: double frees, foreign and interior addresses throw with the right reason and leave
     * the core unchanged (checked inside {@link Harness#expectRejected}); here every operation that can be
     * is followed by each kind of bad free.
     */
    @Property
    void badFreesAreRejectedWithoutChange(@ForAll("operations") List<Op> ops,
                                          @ForAll @IntRange(min = 0, max = 1000) int pick,
                                          @ForAll @LongRange(min = 1, max = 1 << 15) long delta) {
        try (Harness h = new Harness()) {
            for (Op op : ops) {
                h.apply(op);
                h.apply(new DoubleFree(pick));
                h.apply(new Interior(pick, delta));
                h.apply(new Stray(false, delta * 16 + pick));
                h.apply(new Stray(true, -delta));
            }
            h.checkCounts();
        }
    }

    /**
     * Invariant 5: churn at a fixed live set (free a random block, allocate a random size of the same
     * class) reuses freed blocks: reserved bytes never exceed what the live set took.
     */
    @Property
    void churnAtAFixedLiveSetDoesNotGrow(@ForAll @Size(min = 1, max = 120) List<@LongRange(min = 1, max = 32768) Long> sizes,
                                         @ForAll long seed, @ForAll("dirtyFloors") long dirtyFloor) {
        try (Harness h = new Harness(dirtyFloor)) {
            for (long size : sizes) {
                h.alloc(size, 16);
            }
            long reserved = h.source.reservedBytes();
            Random random = new Random(seed);
            for (int step = 0; step < 400; step++) {
                Block victim = h.pickLive(random.nextInt(h.live.size()));
                int c = victim.expectedClass();
                long low = c == 0 ? 1 : Harness.CLASSES[c - 1] + 1;
                h.free(victim.address());
                h.alloc(low + random.nextLong(Harness.CLASSES[c] - low + 1), 16);
                assertTrue(h.source.reservedBytes() <= reserved, "churn grew reserved bytes from " + reserved
                        + " to " + h.source.reservedBytes());
            }
            h.checkCounts();
        }
    }

    /**
     * Invariant 6: once every block is freed each class holds at most its current run and its spare,
     * free pages stay within the dirty budget (checkCounts), and after trim() the core holds no chunk
     * and no dirty page; a trim with live blocks keeps exactly their runs.
     */
    @Property
    void emptyRunsAreReturnedAndTrimReleasesEverything(@ForAll("operations") List<Op> ops,
                                                        @ForAll("dirtyFloors") long dirtyFloor) {
        try (Harness h = new Harness(dirtyFloor)) {
            for (Op op : ops) {
                h.apply(op);
            }
            h.core.trim();
            h.checkCounts();
            h.checkPlacement();
            List<Long> runsWithLive = new ArrayList<>();
            for (Block b : h.live.values()) {
                long base = h.core.runOf(b.address()).base;
                if (!runsWithLive.contains(base)) {
                    runsWithLive.add(base);
                }
            }
            long heldRuns = h.core.stats().classes().stream().mapToLong(cs -> cs.slabs()).sum();
            assertEquals(runsWithLive.size(), heldRuns, "trim must keep exactly the runs with live blocks");
            assertEquals(0, h.core.dirtyBytes(), "trim discards every free page");

            h.freeAll();
            h.checkCounts();
            for (var cs : h.core.stats().classes()) {
                assertTrue(cs.slabs() <= 2, "class " + cs.blockSize() + " holds " + cs.slabs() + " empty runs");
            }
            assertTrue(h.core.retainedBytes() <= L2Core.RETAIN_LIMIT);
            h.core.trim();
            h.checkCounts();
            assertEquals(0, h.source.reservedBytes(), "trim with no live block must release every chunk");
            assertEquals(0, h.core.chunkCount());
        }
    }
}
