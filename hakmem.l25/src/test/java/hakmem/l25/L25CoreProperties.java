package hakmem.l25;

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

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the l25 tier beyond hakmem.tck's contract (run in {@link L25ContractTest} and
 * {@link L25NoCacheContractTest}): natural alignment, the rounding slack W_MAX, the shard of each
 * block's site, and what a core keeps in its caches and dirty pages, at several budgets.
 */
class L25CoreProperties {

    static final long PAGE = 64 * 1024;
    static final long MAX = 1024 * 1024;
    /** The documented classes, written out again so the tests do not trust the core's table. */
    static final long[] CLASSES = {PAGE, 2 * PAGE, 4 * PAGE, 8 * PAGE, 16 * PAGE};

    /** The l25 tier with cores caching {@code retained} bytes of freed blocks and a dirty floor of {@code dirty}. */
    static TierProvider withBudgets(long retained, long dirty) {
        return new TierProvider() {
            @Override
            public String id() {
                return L25TierProvider.ID;
            }

            @Override
            public long maxSize() {
                return L25Core.MAX_SIZE;
            }

            @Override
            public TierCore create(ChunkSource chunks) {
                return new L25Core(chunks, retained, dirty);
            }
        };
    }

    /** Smallest documented class holding {@code size} whose blocks are {@code alignment}-aligned, or -1. */
    static int smallestClass(long size, long alignment) {
        for (int c = 0; c < CLASSES.length; c++) {
            if (CLASSES[c] >= size && CLASSES[c] >= alignment) {
                return c;
            }
        }
        return -1;
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        return Operations.sequences(MAX, new long[0], 1);
    }

    @Provide
    Arbitrary<Double> slacks() {
        return Arbitraries.of(1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 8.0);
    }

    @Provide
    Arbitrary<Long> budgets() {
        return Arbitraries.of(0L, 256L << 10, L25Core.DEFAULT_RETAINED);
    }

    /**
     * Every block is naturally aligned, of the smallest class holding its size and alignment or a larger
     * one only within the rounding slack (set before the run and changed halfway), a whole block of that
     * class in the shard of its site; 0 above 1 MiB of alignment.
     */
    @Property(seed = TierCoreContract.SEED)
    void blocksAreNaturallyAlignedWithinTheSlackInTheirSitesShard(@ForAll("operations") List<Op> ops,
                                                                  @ForAll("slacks") double first,
                                                                  @ForAll("slacks") double second) {
        try (CoreDriver d = new CoreDriver(new L25TierProvider(), CoreDriver.DEFAULT_CAPACITY, L25Inspector.INSTANCE)) {
            L25Core core = (L25Core) d.core();
            core.roundingSlack(first);
            for (int i = 0; i < ops.size(); i++) {
                if (i == ops.size() / 2) {
                    core.roundingSlack(second);
                    assertEquals(second, core.roundingSlack());
                }
                switch (ops.get(i)) {
                    case Op.Alloc a -> {
                        long alignment = a.alignLog() < 0 ? CoreDriver.plainAlignment(a.size()) : 1L << a.alignLog();
                        checkBlock(core, a.size(), alignment, a.site(), d.allocate(a.size(), alignment, a.site()));
                    }
                    case Op.Burst b -> {
                        for (int k = 0; k < b.count(); k++) {
                            checkBlock(core, b.size(), 16, b.site(), d.allocate(b.size(), CoreDriver.plainAlignment(b.size()), b.site()));
                        }
                    }
                    default -> d.apply(ops.get(i));
                }
            }
        }
    }

    private static void checkBlock(L25Core core, long size, long alignment, int site, Block b) {
        int smallest = smallestClass(size, alignment);
        if (b == null) {
            assertEquals(-1, smallest, "size " + size + " aligned " + alignment + " has class " + smallest);
            return;
        }
        int c = Long.numberOfTrailingZeros(b.usable() / PAGE);
        assertEquals(CLASSES[c], b.usable(), b + ": usable size is a documented class");
        assertTrue(c >= smallest, b + ": class too small for " + size + " aligned " + alignment);
        assertTrue(c == smallest || b.usable() <= core.roundingSlack() * size,
                b + ": class exceeds W_MAX " + core.roundingSlack());
        assertEquals(0, b.address() & (b.usable() - 1), b + ": natural alignment");
        for (long off = 0; off < b.usable(); off += PAGE) {
            assertEquals(b.address(), L25Inspector.blockAt(core, b.address() + off), b + ": page of the block");
            assertEquals(c, L25Inspector.classAt(core, b.address() + off), b + ": class of the block's pages");
        }
        assertEquals(site & (L25Core.SHARDS - 1), L25Inspector.shardOf(core, b.address()), b + ": shard of the site");
    }

    /**
     * Freed blocks beyond the cache budget go back to their chunks at once and free pages beyond the dirty
     * budget are discarded (the inspector checks both after every step); trim() keeps exactly the live
     * blocks; with none, no chunk but those of cached blocks and the spare is held.
     */
    @Property(seed = TierCoreContract.SEED)
    void cachesStayWithinBudgetAndTrimKeepsExactlyTheLiveBlocks(@ForAll("operations") List<Op> ops,
                                                               @ForAll("budgets") long retained) {
        try (CoreDriver d = new CoreDriver(withBudgets(retained, retained), CoreDriver.DEFAULT_CAPACITY,
                L25Inspector.INSTANCE)) {
            L25Core core = (L25Core) d.core();
            for (Op op : ops) {
                d.apply(op);
                d.checkInternals();
            }
            d.trim();
            assertEquals(0, L25Inspector.cachedBytes(core));
            long held = core.stats().classes().stream().mapToLong(ClassStats::slabs).sum();
            assertEquals(d.live().size(), held, "trim must keep exactly the live blocks");

            d.freeAll();
            d.checkStats();
            int cachedBlocks = 0;
            for (int s = 0; s < L25Core.SHARDS; s++) {
                for (int c = 0; c < L25Core.CLASSES; c++) {
                    cachedBlocks += L25Inspector.cachedCount(core, s, c);
                }
            }
            assertTrue(L25Inspector.chunkCount(core) <= cachedBlocks + 1, "chunks held beyond those of cached blocks and the spare");
            d.trim();
            assertEquals(0, d.source().heldBytes(), "trim with no live block must release every chunk");
        }
    }
}
