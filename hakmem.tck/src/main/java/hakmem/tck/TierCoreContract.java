package hakmem.tck;

import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The contract every tier core keeps, as jqwik properties. A tier's test extends this class and names
 * its provider; every property then runs against cores of that provider, each core alone on a
 * {@link RecordingChunkSource} beside a model of its live blocks ({@link CoreDriver}):
 *
 * <pre>{@code
 * class FixedTierContractTest extends TierCoreContract {
 *     @Override
 *     protected TierProvider provider() {
 *         return new FixedTierProvider();
 *     }
 * }
 * }</pre>
 *
 * <p>The six freelist invariants, each a property over random operation sequences (allocations at
 * every class boundary and alignment, bursts, frees, drains, bad frees, trims):
 * <ol>
 *   <li>live blocks never overlap, each lies in one chunk the core holds, and keeps what was written to
 *       it while live;</li>
 *   <li>a block is aligned as asked and at least as large; a plain request always gets a block, of the
 *       smallest listed class when the core lists classes; {@code 0} changes nothing;</li>
 *   <li>{@code stats()} equals the model (blocks, bytes, classes) and reserves exactly the chunks held;</li>
 *   <li>a double, foreign or interior free throws {@link hakmem.api.InvalidAddressException} naming the
 *       address, {@code usableSize} likewise, and nothing changes;</li>
 *   <li>at a fixed live set, churn (free a block, allocate one of its class) never takes more chunks;</li>
 *   <li>trim keeps only chunks with live blocks; with none live, {@code trim()} gives every chunk back and
 *       the core works on.</li>
 * </ol>
 * Then the error contract's other half: {@code allocate} throws {@link OutOfMemoryError} only when the
 * chunk source refuses a chunk, changing nothing, and sizes outside the tier throw
 * {@link IllegalArgumentException} naming the size. Throughout, the recording source checks that no chunk
 * is released and no page discarded under a live block, and {@code close()} gives every chunk back.
 *
 * <p>Seeds are fixed ({@link #SEED}): every run tries the same sequences; tries come from jqwik's
 * {@code jqwik.tries.default} (raise it for a longer search). A tier whose tests can read its cores'
 * metadata adds an {@link #inspector()}, checked after every step of the stats property and after every
 * rejected free.
 */
public abstract class TierCoreContract {

    /** The seed of every property: CI runs the same sequences each time. */
    public static final String SEED = "20261214";

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]*");

    /** For a tier's test class, which jqwik instantiates. */
    protected TierCoreContract() {
    }

    /** The tier under test; may return a new provider on each call. */
    protected abstract TierProvider provider();

    /** The tier's own checks of its cores' metadata; none by default. */
    protected Inspector inspector() {
        return Inspector.NONE;
    }

    /** Address space of each core's chunk source. */
    protected long capacity() {
        return CoreDriver.DEFAULT_CAPACITY;
    }

    /**
     * Most bytes a core may keep reserved with no live block before {@code trim()} (the memory it keeps
     * for reuse); unbounded by default. A tier states its bound here to have it checked.
     */
    protected long idleReservedBytes() {
        return Long.MAX_VALUE;
    }

    /** A fresh core of the tier on its own recording source, with the inspector. */
    protected CoreDriver driver() {
        return new CoreDriver(provider(), capacity(), inspector());
    }

    private long[] classes() {
        try (ChunkSource source = ChunkSource.standalone(1)) {
            TierCore core = provider().create(source);
            long[] classes = core.classSizes();
            core.close();
            return classes;
        }
    }

    // ---------------------------------------------------------------- generators

    @Provide
    public Arbitrary<List<Op>> operations() {
        return Operations.sequences(provider().maxSize(), classes(), 0);
    }

    /** Sequences in which about one step in three is a bad free. */
    @Provide
    public Arbitrary<List<Op>> operationsWithErrors() {
        return Operations.sequences(provider().maxSize(), classes(), 3);
    }

    @Provide
    public Arbitrary<List<Long>> liveSets() {
        return Operations.liveSets(provider().maxSize(), classes());
    }

    @Provide
    public Arbitrary<Long> sizesOutside() {
        return Operations.sizesOutside(provider().maxSize());
    }

    // ---------------------------------------------------------------- the provider

    /**
     * The provider's id is a valid, non-reserved id, its size in range; a fresh core reports the tier's id
     * and nothing live; its classes, if any, ascend, cover {@code maxSize()} and match its stats.
     */
    @Example
    public void providerAndAFreshCoreDescribeTheTier() {
        TierProvider p = provider();
        check(p.id() != null && ID.matcher(p.id()).matches() && !p.id().equals("big"),
                "id() must match " + ID + " and not be 'big': " + p.id());
        check(p.maxSize() >= 1 && p.maxSize() <= 1L << 30, "maxSize() must be 1 B .. 1 GiB: " + p.maxSize());
        check(p.description() != null && !p.description().isBlank(), "description() is blank");
        try (CoreDriver d = driver()) {
            long[] classes = d.classSizes();
            for (int i = 0; i < classes.length; i++) {
                check(classes[i] > 0 && (i == 0 || classes[i] > classes[i - 1]),
                        "classSizes() must be positive and strictly ascending: " + java.util.Arrays.toString(classes));
            }
            check(classes.length == 0 || classes[classes.length - 1] >= p.maxSize(),
                    "the largest class must hold maxSize() " + p.maxSize());
            TierStats s = d.core().stats();
            check(s.allocations() == 0 && s.liveBlocks() == 0 && s.liveBytes() == 0 && s.handedBytes() == 0,
                    "a fresh core has counts: " + s);
            d.checkStats();
        }
    }

    // ---------------------------------------------------------------- the six invariants

    /** 1: live blocks never overlap, lie in the core's chunks, and keep their contents while live. */
    @Property(seed = SEED)
    public void liveBlocksNeverOverlapAndKeepTheirContents(@ForAll("operations") List<Op> ops) {
        try (CoreDriver d = driver()) {
            for (Op op : ops) {
                d.apply(op); // each allocation checks its block against its neighbours and the chunks held
                d.checkLive();
            }
            d.freeAll();
        }
    }

    /** 2: blocks are aligned as asked and large enough (checked as each is handed out), sizes stay put. */
    @Property(seed = SEED)
    public void blocksAreAlignedAndAtLeastAsLargeAsAsked(@ForAll("operations") List<Op> ops) {
        try (CoreDriver d = driver()) {
            for (Op op : ops) {
                d.apply(op);
            }
            d.checkLive();
        }
    }

    /** 3: stats equal the model after every step, and reserve exactly the chunks the core holds. */
    @Property(seed = SEED)
    public void statsEqualTheModel(@ForAll("operations") List<Op> ops) {
        try (CoreDriver d = driver()) {
            d.checkStats();
            for (Op op : ops) {
                d.apply(op);
                d.checkStats();
            }
            d.freeAll();
            d.checkStats();
        }
    }

    /** 4: double, foreign and interior frees throw naming the address, with a right reason, and change nothing. */
    @Property(seed = SEED)
    public void badFreesThrowNamingTheAddressAndChangeNothing(@ForAll("operationsWithErrors") List<Op> ops) {
        try (CoreDriver d = driver()) {
            for (Op op : ops) {
                d.apply(op); // the driver checks every rejected address as it is tried
            }
            d.checkStats();
            d.checkLive();
        }
    }

    /**
     * 5: churn at a fixed live set (free a block, allocate one of its class, from any site) reuses freed
     * memory: the core never holds more chunks than the live set first took.
     */
    @Property(seed = SEED)
    public void churnAtAFixedLiveSetDoesNotGrow(@ForAll("liveSets") List<Long> sizes,
                                                @ForAll @Size(max = 400) List<@IntRange(min = 0, max = 1 << 20) Integer> churn) {
        try (CoreDriver d = driver()) {
            int site = 0;
            for (long size : sizes) {
                d.allocate(size, CoreDriver.plainAlignment(size), site++ & 7);
            }
            long peak = d.source().heldBytes();
            for (int pick : churn) {
                Block victim = d.pick(pick);
                d.free(victim);
                long size = sameClass(d, victim.size(), pick);
                d.allocate(size, CoreDriver.plainAlignment(size), pick & 7);
                check(d.source().heldBytes() <= peak, "churn at a fixed live set grew the core from " + peak
                        + " to " + d.source().heldBytes() + " bytes of chunks");
            }
            d.checkStats();
        }
    }

    /** A size of the class of {@code size} (the same size when no class is listed). */
    private static long sameClass(CoreDriver d, long size, int pick) {
        long c = d.smallestClass(size);
        if (c < 0) {
            return size;
        }
        long low = 1;
        for (long k : d.classSizes()) {
            if (k < c) {
                low = k + 1;
            }
        }
        return low + Math.floorMod(pick * 0x9E3779B1L, c - low + 1);
    }

    /**
     * 6: trim keeps only chunks with live blocks; once none is live the core keeps at most
     * {@link #idleReservedBytes()}, {@code trim()} gives every chunk back, and the core works on.
     */
    @Property(seed = SEED)
    public void emptyMemoryGoesBackAndTrimReleasesEveryChunk(@ForAll("operations") List<Op> ops) {
        try (CoreDriver d = driver()) {
            for (Op op : ops) {
                d.apply(op);
            }
            d.trim(); // checks that every chunk held holds a live block
            d.checkStats();
            d.freeAll();
            check(d.source().heldBytes() <= idleReservedBytes(), "with no live block the core keeps "
                    + d.source().heldBytes() + " bytes, more than the tier's bound " + idleReservedBytes());
            d.trim();
            check(d.source().held().isEmpty() && d.core().stats().reservedBytes() == 0,
                    "trim() with no live block kept " + d.source().heldBytes() + " bytes");
            d.checkStats();
            long max = provider().maxSize();
            Block b = d.allocate(max, CoreDriver.plainAlignment(max), 0);
            check(b != null, "the core serves nothing after trim()");
            d.free(b);
            d.trim();
            d.checkStats();
        }
    }

    // ---------------------------------------------------------------- the rest of the error contract

    /**
     * allocate throws OutOfMemoryError only when the chunk source refuses a chunk (here: past 1 to 3
     * chunks), changing nothing; the core works on once memory comes back.
     */
    @Property(seed = SEED)
    public void allocateFailsOnlyWhenTheChunkSourceDoesAndChangesNothing(@ForAll("operations") List<Op> ops,
                                                                        @ForAll @IntRange(min = 1, max = 3) int chunks) {
        try (CoreDriver d = driver()) {
            d.source().limitChunks(chunks);
            for (Op op : ops) {
                d.apply(op); // the driver checks every refusal: the source refused, nothing changed
            }
            d.checkStats();
            d.freeAll();
            d.source().limitChunks(Integer.MAX_VALUE);
            long max = provider().maxSize();
            check(d.allocate(max, CoreDriver.plainAlignment(max), 0) != null, "the core serves nothing after refusals");
            d.checkStats();
        }
    }

    /**
     * With one chunk, allocations of the largest size run into the refusal within a chunk's worth of
     * blocks; freeing one block lets the next allocation through without another chunk.
     */
    @Example
    public void runningOutOfChunksChangesNothingAndFreedBlocksAreServedAgain() {
        try (CoreDriver d = driver()) {
            d.source().limitChunks(1);
            long max = provider().maxSize();
            long align = CoreDriver.plainAlignment(max);
            long most = d.source().chunkSize() / max + 1;
            Block last = null;
            for (long i = 0; i <= most; i++) {
                Block b = d.allocate(max, align, 0);
                if (b == null) {
                    break; // plain requests never return 0: the source refused, and the driver checked it
                }
                last = b;
            }
            check(d.source().refusals() > 0, "allocations of " + max + " B never needed a second chunk");
            check(last != null, "one chunk served no block of " + max + " B");
            d.checkStats();
            d.free(last);
            long before = d.source().refusals();
            check(d.allocate(max, align, 0) != null && d.source().refusals() == before,
                    "a freed block was not served again from the chunk held");
            d.checkStats();
        }
    }

    /** Sizes outside 1..maxSize() throw IllegalArgumentException naming the size and change nothing. */
    @Property(seed = SEED)
    public void sizesOutsideTheTierAreRefusedByName(@ForAll("sizesOutside") long size) {
        try (CoreDriver d = driver()) {
            d.allocate(provider().maxSize(), 16, 0);
            TierStats before = d.core().stats();
            long events = d.source().events();
            try {
                d.core().allocate(size, 16, 0);
                check(false, "allocate(" + size + ", 16, 0) accepted a size outside 1.." + provider().maxSize());
            } catch (IllegalArgumentException e) {
                check(e.getMessage() != null && e.getMessage().contains(Long.toString(size)),
                        "the message does not name the size " + size + ": " + e.getMessage());
            }
            check(d.core().stats().equals(before) && d.source().events() == events, "a refused size changed the core");
            d.checkStats();
            d.expectRejected(0, Reason.UNKNOWN);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
