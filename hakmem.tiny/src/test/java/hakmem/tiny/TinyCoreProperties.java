package hakmem.tiny;

import hakmem.api.ClassStats;
import hakmem.tck.Block;
import hakmem.tck.CoreDriver;
import hakmem.tck.Op;
import hakmem.tck.Operations;
import hakmem.tck.TierCoreContract;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.Arrays;
import java.util.List;

/**
 * Properties of the tiny tier beyond hakmem.tck's contract (run in {@link TinyContractTest}): which class
 * and slab each block comes from, how many slabs a class may hold under churn, and the empty slabs it
 * keeps. Driven by the kit's {@link CoreDriver}, so every step is checked against the contract too.
 */
class TinyCoreProperties {

    private static final long[] CLASSES = Arrays.stream(SizeClass.BLOCK_SIZES).asLongStream().toArray();

    private static CoreDriver driver() {
        return new CoreDriver(new TinyTierProvider(), CoreDriver.DEFAULT_CAPACITY, TinyInspector.INSTANCE);
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        return Operations.sequences(TinyCore.MAX_SIZE, CLASSES, 1);
    }

    // ------------------------------------------------------------------ class and slab of every block

    /**
     * Every block is of the smallest class at least its size whose blocks are aligned as asked (the
     * lowest set bit of the block size), inside one slab of that class, on a block boundary.
     */
    @Property(seed = TierCoreContract.SEED)
    void everyBlockIsOfTheSmallestFittingClassInASlabOfIt(@ForAll("operations") List<Op> ops) {
        try (CoreDriver d = driver()) {
            for (Op op : ops) {
                switch (op) {
                    case Op.Alloc a -> {
                        long alignment = a.alignLog() < 0 ? CoreDriver.plainAlignment(a.size()) : 1L << a.alignLog();
                        checkClassAndSlab(d, a.size(), alignment, d.allocate(a.size(), alignment, a.site()));
                    }
                    case Op.Burst b -> {
                        for (int i = 0; i < b.count(); i++) {
                            long alignment = CoreDriver.plainAlignment(b.size());
                            checkClassAndSlab(d, b.size(), alignment, d.allocate(b.size(), alignment, b.site()));
                        }
                    }
                    default -> d.apply(op);
                }
            }
        }
    }

    private static void checkClassAndSlab(CoreDriver d, long size, long alignment, Block b) {
        long expected = 0;
        for (int c : SizeClass.BLOCK_SIZES) {
            if (c >= size && Integer.lowestOneBit(c) >= alignment) {
                expected = c;
                break;
            }
        }
        check(TinyInspector.blockSizeFor(d.core(), size, alignment) == expected, "class table for " + size
                + " at " + alignment);
        if (b == null) {
            check(expected == 0, "size " + size + " at " + alignment + " refused though class " + expected + " fits");
            return;
        }
        check(b.usable() == expected, size + " at " + alignment + " got a " + b.usable()
                + "-byte block, not the smallest fitting class " + expected);
        Slab s = TinyInspector.slabAt((TinyCore) d.core(), b.address());
        check(s != null && s.base == (b.address() & -(long) Slab.SIZE) && b.end() <= s.base + Slab.SIZE,
                b + " is not inside one slab");
        check(s.blockSize == b.usable() && (b.address() - s.base) % s.blockSize == 0,
                b + " is not on a block boundary of a slab of its class");
    }

    @Property(seed = TierCoreContract.SEED)
    void requestsNoClassCanAlignGetZero(@ForAll @IntRange(min = 1, max = TinyCore.MAX_SIZE) int size,
                                        @ForAll @IntRange(min = 11, max = 20) int alignLog) {
        try (CoreDriver d = driver()) {
            check(d.allocate(size, 1L << alignLog, 0) == null, "an alignment above 1 KiB was served");
            check(d.source().heldBytes() == 0, "a refused request took memory");
            d.checkStats();
        }
    }

    // ------------------------------------------------------------------ reuse before growth, per class

    /**
     * At a fixed live set (each freed block replaced by one of the same size) a class never holds more
     * than {@code ceil(live / capacity)} slabs, and chunks never exceed what those slabs need: a new slab
     * is carved only when every slab of the class is full, a new chunk only when every slot is taken.
     * (The contract's churn property bounds chunks only by what the live set first took.)
     */
    @Property(seed = TierCoreContract.SEED)
    void churnAtAFixedLiveSetKeepsEachClassWithinItsFullSlabs(
            @ForAll("liveSets") List<Integer> liveSizes,
            @ForAll @Size(max = 1500) List<@IntRange(min = 0, max = 1 << 20) Integer> churn) {
        try (CoreDriver d = driver()) {
            long[] liveByClass = new long[SizeClass.COUNT];
            for (int size : liveSizes) {
                d.allocate(size, CoreDriver.plainAlignment(size), 0);
                liveByClass[classIndex(TinyInspector.blockSizeFor(d.core(), size, CoreDriver.plainAlignment(size)))]++;
                checkBound(d, liveByClass);
            }
            for (int pick : churn) {
                Block victim = d.pick(pick);
                d.free(victim);
                d.allocate(victim.size(), CoreDriver.plainAlignment(victim.size()), 0);
                checkBound(d, liveByClass);
            }
            d.checkStats();
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

    private static void checkBound(CoreDriver d, long[] liveByClass) {
        long slabs = 0;
        for (ClassStats c : d.core().stats().classes()) {
            int k = classIndex(c.blockSize());
            long capacity = Slab.SIZE / c.blockSize();
            long bound = (liveByClass[k] + capacity - 1) / capacity;
            check(c.slabs() <= bound, "class " + c.blockSize() + " holds " + c.slabs() + " slabs for "
                    + liveByClass[k] + " live blocks");
            slabs += bound;
        }
        long chunks = (slabs + Chunk.SLABS - 1) / Chunk.SLABS;
        check(d.source().heldBytes() <= chunks * Chunk.SIZE, "reserved " + d.source().heldBytes()
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

    // ------------------------------------------------------------------ empty slabs

    /**
     * A class keeps at most its current slab and {@link SizeClass#RETAIN} empty ones, whatever happens;
     * trim() keeps none; with nothing live every slab held is such an empty one, and every chunk holds one.
     */
    @Property(seed = TierCoreContract.SEED)
    void emptySlabsStayWithinTheRetainedBudget(@ForAll("operations") List<Op> ops) {
        int emptyBound = SizeClass.COUNT * (1 + SizeClass.RETAIN);
        try (CoreDriver d = driver()) {
            for (Op op : ops) {
                d.apply(op);
                check(TinyInspector.emptySlabCount(d.core()) <= emptyBound, "more empty slabs held than the retained budget");
                if (op instanceof Op.Trim) {
                    check(TinyInspector.emptySlabCount(d.core()) == 0, "trim() kept an empty slab");
                }
            }
            d.freeAll();
            int slabs = TinyInspector.slabCount(d.core());
            check(slabs == TinyInspector.emptySlabCount(d.core()) && slabs <= emptyBound,
                    "slabs held with no live block: " + slabs);
            check(TinyInspector.chunkCount(d.core()) <= slabs, "a chunk without a slab is held");
        }
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
