package hakmem.l2;

import hakmem.api.ClassStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;
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

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the l2 tier beyond hakmem.tck's contract (run in {@link L2ContractTest} and
 * {@link L2NoDirtyFloorContractTest}): the class and run of each block, and what a core keeps once its
 * blocks are freed, at several dirty floors.
 */
class L2CoreProperties {

    /** The documented classes, written out again so the tests do not trust the core's table. */
    static final long[] CLASSES = {
        1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168,
        8192, 10240, 12288, 14336, 16384, 20480, 24576, 28672, 32768};

    /** The l2 tier with cores keeping at least {@code dirtyFloor} bytes of free pages undiscarded. */
    static TierProvider withDirtyFloor(long dirtyFloor) {
        return new TierProvider() {
            @Override
            public String id() {
                return L2TierProvider.ID;
            }

            @Override
            public long maxSize() {
                return SizeClass.MAX_SIZE;
            }

            @Override
            public TierCore create(ChunkSource chunks) {
                return new L2Core(chunks, dirtyFloor);
            }
        };
    }

    private static CoreDriver driver(long dirtyFloor) {
        return new CoreDriver(withDirtyFloor(dirtyFloor), 256L << 20, L2Inspector.INSTANCE);
    }

    /** The smallest documented class holding {@code size} whose blocks are aligned to {@code alignment}, or -1. */
    static int expectedClass(long size, long alignment) {
        for (int c = 0; c < CLASSES.length; c++) {
            if (CLASSES[c] >= size && Long.lowestOneBit(CLASSES[c]) >= alignment) {
                return c;
            }
        }
        return -1;
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        return Operations.sequences(SizeClass.MAX_SIZE, CLASSES, 1);
    }

    @Provide
    Arbitrary<Long> dirtyFloors() {
        return Arbitraries.of(0L, 256L << 10, L2Core.DEFAULT_DIRTY);
    }

    /**
     * Every block is of the smallest class at least its size whose blocks are aligned as asked (0 when
     * none is), inside one run of that class, on a block boundary.
     */
    @Property(seed = TierCoreContract.SEED)
    void everyBlockIsOfTheSmallestAlignedClassInARunOfIt(@ForAll("operations") List<Op> ops) {
        try (CoreDriver d = driver(L2Core.DEFAULT_DIRTY)) {
            for (Op op : ops) {
                switch (op) {
                    case Op.Alloc a -> {
                        long alignment = a.alignLog() < 0 ? CoreDriver.plainAlignment(a.size()) : 1L << a.alignLog();
                        checkClassAndRun(d, a.size(), alignment, d.allocate(a.size(), alignment, a.site()));
                    }
                    case Op.Burst b -> {
                        for (int i = 0; i < b.count(); i++) {
                            checkClassAndRun(d, b.size(), 16, d.allocate(b.size(), CoreDriver.plainAlignment(b.size()), b.site()));
                        }
                    }
                    default -> d.apply(op);
                }
            }
        }
    }

    private static void checkClassAndRun(CoreDriver d, long size, long alignment, Block b) {
        int expected = expectedClass(size, alignment);
        if (b == null) {
            assertEquals(-1, expected, "size " + size + " aligned " + alignment + " has class " + expected);
            return;
        }
        assertEquals(CLASSES[expected], b.usable(), "size " + size + " aligned " + alignment);
        Run r = ((L2Core) d.core()).runOf(b.address());
        assertNotNull(r, b + " in no run");
        assertEquals(expected, r.sizeClass, "run class of " + b);
        assertEquals(0, (b.address() - r.base) % CLASSES[expected], b + " not at a block start of its run");
        assertTrue(b.end() <= r.base + r.bytes(), b + " past its run");
    }

    /**
     * Trim keeps exactly the runs with live blocks and no dirty page; once every block is freed each class
     * holds at most its current run and its spare, spares within {@link L2Core#RETAIN_LIMIT}; trim then
     * releases every chunk.
     */
    @Property(seed = TierCoreContract.SEED)
    void trimKeepsExactlyTheRunsInUseAndFreedClassesKeepTwoRuns(@ForAll("operations") List<Op> ops,
                                                                @ForAll("dirtyFloors") long dirtyFloor) {
        try (CoreDriver d = driver(dirtyFloor)) {
            L2Core core = (L2Core) d.core();
            for (Op op : ops) {
                d.apply(op);
            }
            d.trim();
            Set<Long> runsWithLive = new HashSet<>();
            for (Block b : d.live()) {
                runsWithLive.add(core.runOf(b.address()).base);
            }
            long heldRuns = core.stats().classes().stream().mapToLong(ClassStats::slabs).sum();
            assertEquals(runsWithLive.size(), heldRuns, "trim must keep exactly the runs with live blocks");
            assertEquals(0, L2Inspector.dirtyBytes(core), "trim discards every free page");

            d.freeAll();
            d.checkStats();
            for (ClassStats cs : core.stats().classes()) {
                assertTrue(cs.slabs() <= 2, "class " + cs.blockSize() + " holds " + cs.slabs() + " empty runs");
            }
            assertTrue(L2Inspector.retainedBytes(core) <= L2Core.RETAIN_LIMIT);
            d.trim();
            assertEquals(0, d.source().heldBytes(), "trim with no live block must release every chunk");
            assertEquals(0, L2Inspector.chunkCount(core));
        }
    }
}
