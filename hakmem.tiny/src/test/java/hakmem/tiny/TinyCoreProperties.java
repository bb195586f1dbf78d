package hakmem.tiny;

import hakmem.api.ClassStats;
import hakmem.tiny.CoreHarness.Alloc;
import hakmem.tiny.CoreHarness.Block;
import hakmem.tiny.CoreHarness.Burst;
import hakmem.tiny.CoreHarness.DoubleFree;
import hakmem.tiny.CoreHarness.Foreign;
import hakmem.tiny.CoreHarness.Free;
import hakmem.tiny.CoreHarness.FreeMany;
import hakmem.tiny.CoreHarness.Interior;
import hakmem.tiny.CoreHarness.Op;
import hakmem.tiny.CoreHarness.Trim;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static hakmem.tiny.CoreHarness.check;

/**
 * Stateful properties of {@link TinyCore} driven alone on a standalone chunk source, against the model
 * in {@link CoreHarness}. Each property runs random operation sequences and asserts one invariant after
 * every operation; tries come from {@code jqwik.tries.default}.
 */
class TinyCoreProperties {

    // ------------------------------------------------------------------ generators

    private static Arbitrary<Long> sizes() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.longs().between(1, TinyCore.MAX_SIZE)),
                Tuple.of(2, Arbitraries.longs().between(1, 16)),
                Tuple.of(1, Arbitraries.of(1L, 8L, 9L, 16L, 17L, 48L, 49L, 128L, 129L, 896L, 897L, 1023L, 1024L)));
    }

    private static Arbitrary<Op> alloc() {
        Arbitrary<Integer> alignLog = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.just(-1)), Tuple.of(2, Arbitraries.integers().between(0, 12)));
        return Combinators.combine(sizes(), alignLog).as(Alloc::new);
    }

    private static Arbitrary<Op> burst() {
        return Combinators.combine(sizes(), Arbitraries.integers().between(1, 150)).as(Burst::new);
    }

    private static Arbitrary<Integer> picks() {
        return Arbitraries.integers().between(0, 1 << 20);
    }

    private static Arbitrary<Op> free() {
        return picks().map(Free::new);
    }

    private static Arbitrary<Op> freeMany() {
        return Combinators.combine(picks(), Arbitraries.integers().between(1, 150)).as(FreeMany::new);
    }

    private static Arbitrary<Op> errors() {
        return Arbitraries.oneOf(
                picks().map(DoubleFree::new),
                Combinators.combine(picks(), picks()).as(Interior::new),
                Combinators.combine(Arbitraries.integers().between(0, 2), picks()).as(Foreign::new));
    }

    /** Mostly allocations and frees, in bursts too so that slabs fill, empty and chunks come and go. */
    @Provide
    Arbitrary<List<Op>> operations() {
        return Arbitraries.frequencyOf(
                Tuple.of(10, alloc()), Tuple.of(3, burst()), Tuple.of(7, free()), Tuple.of(3, freeMany()),
                Tuple.of(2, errors()), Tuple.of(1, Arbitraries.just(new Trim())))
                .list().ofMinSize(1).ofMaxSize(120);
    }

    /** Sequences rich in rejected addresses. */
    @Provide
    Arbitrary<List<Op>> operationsWithErrors() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, alloc()), Tuple.of(1, burst()), Tuple.of(3, free()), Tuple.of(1, freeMany()),
                Tuple.of(6, errors()), Tuple.of(1, Arbitraries.just(new Trim())))
                .list().ofMinSize(1).ofMaxSize(120);
    }

    // ------------------------------------------------------------------ 1. no overlap, own slab and class

    @Property
    void liveBlocksNeverOverlapAndLieInASlabOfTheirClass(@ForAll("operations") List<Op> ops) {
        try (CoreHarness h = new CoreHarness()) {
            for (Op op : ops) {
                int before = h.live.size();
                h.run(op);
                for (Block b : newBlocks(h, op, before)) {
                    h.checkPlacement(b);
                }
            }
            // Contents prove it in practice: every live block still holds its own pattern.
            for (Block b : h.live) {
                h.verifyContents(b);
            }
            h.freeAll();
        }
    }

    /** The blocks {@code op} allocated: appended to the live list by a burst, or the one of an allocation. */
    private static List<Block> newBlocks(CoreHarness h, Op op, int liveBefore) {
        if (op instanceof Burst) {
            return h.live.subList(liveBefore, h.live.size());
        }
        return h.lastAllocated == null ? List.of() : List.of(h.lastAllocated);
    }

    // ------------------------------------------------------------------ 2. alignment and size

    @Property
    void blocksAreAlignedAndAtLeastAsLargeAsAsked(@ForAll("operations") List<Op> ops) {
        try (CoreHarness h = new CoreHarness()) {
            for (Op op : ops) {
                int before = h.live.size();
                h.run(op);
                for (Block b : newBlocks(h, op, before)) {
                    h.checkShape(b);
                }
            }
        }
    }

    @Property
    void requestsNoClassCanAlignGetZero(@ForAll @IntRange(min = 1, max = TinyCore.MAX_SIZE) int size,
                                        @ForAll @IntRange(min = 11, max = 20) int alignLog) {
        try (CoreHarness h = new CoreHarness()) {
            check(h.allocate(size, 1L << alignLog) == null, "an alignment above 1 KiB was served");
            h.checkCounts();
            check(h.source.reservedBytes() == 0, "a refused request took memory");
        }
    }

    // ------------------------------------------------------------------ 3. free + live == capacity, stats == model

    @Property
    void slabsBalanceAndStatsEqualTheModel(@ForAll("operations") List<Op> ops) {
        try (CoreHarness h = new CoreHarness()) {
            for (Op op : ops) {
                h.run(op);
                h.checkCounts();
            }
            h.freeAll();
            h.checkCounts();
        }
    }

    // ------------------------------------------------------------------ 4. rejected addresses change nothing

    @Property
    void doubleForeignAndInteriorFreesThrowAndChangeNothing(@ForAll("operationsWithErrors") List<Op> ops) {
        try (CoreHarness h = new CoreHarness()) {
            for (Op op : ops) {
                // The harness asserts the reason, the message and an unchanged state for every rejected address.
                h.run(op);
            }
            h.checkCounts();
        }
    }

    // ------------------------------------------------------------------ 5. reuse before growth

    /**
     * At a fixed live set (each freed block replaced by one of the same size) a class never holds more
     * than {@code ceil(live / capacity)} slabs, and chunks never exceed what those slabs need: a new slab
     * is carved only when every slab of the class is full, a new chunk only when every slot is taken.
     */
    @Property
    void churnAtAFixedLiveSetDoesNotGrow(@ForAll("liveSets") List<Integer> liveSizes,
                                         @ForAll @Size(max = 1500) List<@IntRange(min = 0, max = 1 << 20) Integer> churn) {
        try (CoreHarness h = new CoreHarness()) {
            long[] liveByClass = new long[SizeClass.COUNT];
            for (int size : liveSizes) {
                h.allocate(size, CoreHarness.plainAlignment(size));
                liveByClass[classIndex(h.core.blockSizeFor(size, CoreHarness.plainAlignment(size)))]++;
                checkBound(h, liveByClass);
            }
            for (int pick : churn) {
                int i = Math.floorMod(pick, h.live.size());
                long size = h.live.get(i).size();
                h.free(i);
                h.allocate(size, CoreHarness.plainAlignment(size));
                checkBound(h, liveByClass);
            }
            h.checkCounts();
        }
    }

    /** Up to 400 sizes, most of them in the large classes so that classes span several slabs. */
    @Provide
    Arbitrary<List<Integer>> liveSets() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(897, TinyCore.MAX_SIZE)),
                Tuple.of(2, Arbitraries.integers().between(449, TinyCore.MAX_SIZE)),
                Tuple.of(1, Arbitraries.integers().between(1, TinyCore.MAX_SIZE)))
                .list().ofMinSize(1).ofMaxSize(400);
    }

    private static void checkBound(CoreHarness h, long[] liveByClass) {
        long slabs = 0;
        for (ClassStats c : h.core.stats().classes()) {
            int k = classIndex(c.blockSize());
            long capacity = Slab.SIZE / c.blockSize();
            long bound = (liveByClass[k] + capacity - 1) / capacity;
            check(c.slabs() <= bound, "class " + c.blockSize() + " holds " + c.slabs() + " slabs for "
                    + liveByClass[k] + " live blocks");
            slabs += bound;
        }
        long chunks = (slabs + Chunk.SLABS - 1) / Chunk.SLABS;
        check(h.source.reservedBytes() <= chunks * CoreHarness.CHUNK, "reserved " + h.source.reservedBytes()
                + " bytes where " + chunks + " chunks suffice");
    }

    private static int classIndex(long blockSize) {
        for (int k = 0; k < SizeClass.COUNT; k++) {
            if (SizeClass.BLOCK_SIZES[k] == blockSize) {
                return k;
            }
        }
        throw new AssertionError("no class of " + blockSize + " bytes");
    }

    // ------------------------------------------------------------------ 6. empty slabs go back, trim releases all

    @Property
    void emptySlabsAreReturnedAndTrimReleasesEveryChunk(@ForAll("operations") List<Op> ops) {
        int emptyBound = SizeClass.COUNT * (1 + SizeClass.RETAIN);
        try (CoreHarness h = new CoreHarness()) {
            for (Op op : ops) {
                h.run(op);
                check(h.core.emptySlabCount() <= emptyBound, "more empty slabs held than the retained budget");
                if (op instanceof Trim) {
                    check(h.core.emptySlabCount() == 0, "trim() kept an empty slab");
                }
            }
            h.freeAll();
            // With nothing live every slab held is an empty one within the budget, and chunks hold only those.
            check(h.core.slabCount() == h.core.emptySlabCount() && h.core.slabCount() <= emptyBound,
                    "slabs held with no live block: " + h.core.slabCount());
            check(h.core.chunkCount() <= h.core.slabCount(), "a chunk without a slab is held");
            h.core.trim();
            check(h.core.chunkCount() == 0 && h.source.reservedBytes() == 0 && h.core.stats().reservedBytes() == 0,
                    "trim() with no live block left " + h.source.reservedBytes() + " bytes reserved");
            h.checkCounts();
        }
    }
}
