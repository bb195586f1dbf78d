package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.CacheStats;
import hakmem.api.ClassStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.TierStats;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exact accounting, per variant, after every operation of random sequences (allocations of every tier and
 * the big path, some over-aligned or zeroed, frees, reallocs, trims, and batches run on a thread that then
 * ends, whose cache is reclaimed): every byte reserved from the OS is handed out in a live block, cached,
 * free in a tier or retained,
 * <pre>
 *   reservedBytes == handedBytes + cachedBytes + freeBytes + retainedBytes
 * </pre>
 * for the allocator and for each tier (metadata lives on the Java heap and reserves nothing). The tiers
 * count their free bytes from their chunks, slabs and runs, not from their counters, so the equation
 * checks the two against each other. Also: live blocks and bytes are what the model holds, each tier's
 * classes add up to it, and (TLS) the thread caches' cached bytes are those of the cached tiers.
 *
 * <p>One thing is not exact, and is checked only where it cannot occur: in TLS the thread-cached tiers'
 * classes count a block by the class its asked size maps to (a block's mark holds only the size asked),
 * so a block handed out for an alignment above 16 from a larger class shows, while live, in the smaller
 * class; and once freed into a thread cache it counts as a block of that class, so while it is cached the
 * tier's cached bytes are below what it occupies and its handed bytes above, by the same amount. The
 * tier's sum stays exact, but its classes' figures and the caches' bytes may then differ from the tier's:
 * those checks are skipped in TLS while such a block is live, or freed and not yet flushed by a trim
 * (which flushes every cache of this run to the cores, its other threads having ended).
 */
class AccountingProperties {

    /** Cached tiers of the TLS variant (the thread caches front them), by id. */
    private static final Set<String> THREAD_CACHED = Set.of("tiny", "l2");
    /** Largest size the thread-cached tiers serve. */
    private static final long CACHED_MAX = 32 << 10;

    sealed interface Op permits Alloc, Free, Realloc, Trim, OnOtherThread {
    }

    /** {@code alignment} 0: malloc or calloc. */
    record Alloc(long size, long alignment, boolean zero) implements Op {
    }

    record Free(int pick) implements Op {
    }

    record Realloc(int pick, long size) implements Op {
    }

    record Trim() implements Op {
    }

    /** Allocations on a new thread, which frees {@code frees} of them and ends; the rest stay live. */
    record OnOtherThread(List<Alloc> allocs, int frees) implements Op {
    }

    /** {@code overAligned}: allocated for an alignment above 16 from a thread-cached tier's range. */
    record Block(long address, long size, boolean overAligned) {
    }

    /** Per variant: snapshots reconciled, and the most bytes reserved in one. */
    private static final ConcurrentSkipListMap<Concurrency, AtomicLong[]> TALLY = new ConcurrentSkipListMap<>();

    @AfterContainer
    static void printTally() {
        TALLY.forEach((v, n) -> System.out.printf("accounting, %s: %d snapshots reconciled exactly (%d with their classes"
                + " and caches too), up to %d bytes reserved%n", v, n[0].get(), n[2].get(), n[1].get()));
    }

    @Property(seed = "1313")
    void locked(@ForAll("ops") @Size(min = 20, max = 100) List<Op> ops) {
        run(Concurrency.LOCKED, ops);
    }

    @Property(seed = "1313")
    void sharded(@ForAll("ops") @Size(min = 20, max = 100) List<Op> ops) {
        run(Concurrency.SHARDED, ops);
    }

    @Property(seed = "1313")
    void threadCaches(@ForAll("ops") @Size(min = 20, max = 100) List<Op> ops) {
        run(Concurrency.TLS, ops);
    }

    /** TLS with no alignment above 16, so that every check applies to every snapshot. */
    @Property(seed = "1313")
    void threadCachesWithPlainAlignments(@ForAll("plainOps") @Size(min = 20, max = 100) List<Op> ops) {
        run(Concurrency.TLS, ops);
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        return ops(Arbitraries.of(0L, 0L, 0L, 0L, 8L, 16L, 32L, 64L, 256L, 4096L));
    }

    @Provide
    Arbitrary<List<Op>> plainOps() {
        return ops(Arbitraries.of(0L, 0L, 0L, 1L, 8L, 16L));
    }

    private static Arbitrary<List<Op>> ops(Arbitrary<Long> alignments) {
        Arbitrary<Long> sizes = Arbitraries.oneOf(
                Arbitraries.longs().between(0, 1024),
                Arbitraries.longs().between(0, 1024),
                Arbitraries.longs().between(1025, 32 << 10),
                Arbitraries.longs().between((32 << 10) + 1, 1 << 20),
                Arbitraries.longs().between((1 << 20) + 1, 5 << 20));
        Arbitrary<Alloc> alloc = Combinators.combine(sizes, alignments, Arbitraries.of(false, false, true)).as(Alloc::new);
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1000);
        Arbitrary<Op> other = Combinators.combine(alloc.list().ofMinSize(1).ofMaxSize(40), Arbitraries.integers().between(0, 40))
                .as(OnOtherThread::new);
        return Arbitraries.frequencyOf(
                Tuple.of(8, alloc.map(a -> (Op) a)),
                Tuple.of(6, pick.map(Free::new)),
                Tuple.of(2, Combinators.combine(pick, sizes).as(Realloc::new)),
                Tuple.of(1, Arbitraries.just(new Trim())),
                Tuple.of(1, other)).list();
    }

    private static void run(Concurrency variant, List<Op> ops) {
        Hakmem.Builder b = Hakmem.builder().concurrency(variant).learning(false);
        if (variant != Concurrency.LOCKED) {
            b.shards(2);
        }
        try (Allocator a = b.build()) {
            List<Block> live = new ArrayList<>();
            // Whether an over-aligned block may sit in a thread cache (see the class comment).
            boolean[] overAlignedFreed = {false};
            for (Op op : ops) {
                switch (op) {
                    case Alloc alloc -> live.add(allocate(a, alloc));
                    case Free(int pick) -> {
                        if (!live.isEmpty()) {
                            free(a, live.remove(pick % live.size()), overAlignedFreed);
                        }
                    }
                    case Realloc(int pick, long size) -> {
                        if (!live.isEmpty()) {
                            Block old = live.remove(pick % live.size());
                            overAlignedFreed[0] |= old.overAligned();
                            live.add(new Block(a.realloc(old.address(), size), Math.max(size, 1), false));
                        }
                    }
                    case Trim() -> {
                        a.trim();
                        overAlignedFreed[0] = false;
                    }
                    case OnOtherThread(List<Alloc> allocs, int frees) -> {
                        List<Block> made = new ArrayList<>();
                        Thread t = Thread.ofPlatform().start(() -> {
                            for (Alloc x : allocs) {
                                made.add(allocate(a, x));
                            }
                            for (int i = 0; i < Math.min(frees, made.size()); i++) {
                                free(a, made.removeLast(), overAlignedFreed);
                            }
                        });
                        try {
                            t.join(); // orders the thread's writes (and its cache) before the checks
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        live.addAll(made);
                    }
                }
                boolean overAligned = overAlignedFreed[0] || live.stream().anyMatch(Block::overAligned);
                reconcile(variant, a.stats(), live, overAligned, op);
            }
            a.verify();
            for (Block x : live) {
                a.free(x.address());
            }
            a.trim();
            AllocatorStats end = a.stats();
            reconcile(variant, end, List.of(), false, "everything freed and trimmed");
            assertEquals(0, end.reservedBytes(), "nothing reserved once everything is freed and trimmed:\n" + end);
        }
    }

    private static Block allocate(Allocator a, Alloc x) {
        long p;
        if (x.alignment() == 0) {
            p = x.zero() ? a.calloc(x.size()) : a.malloc(x.size());
        } else {
            p = a.allocate(x.size(), x.alignment()).address();
        }
        return new Block(p, Math.max(x.size(), 1), x.alignment() > 16 && x.size() <= CACHED_MAX);
    }

    private static void free(Allocator a, Block b, boolean[] overAligned) {
        a.free(b.address());
        overAligned[0] |= b.overAligned();
    }

    private static void reconcile(Concurrency variant, AllocatorStats s, List<Block> live, boolean overAligned, Object after) {
        String where = variant + " after " + after + ":\n" + s;
        AtomicLong[] n = TALLY.computeIfAbsent(variant, v -> new AtomicLong[] {new AtomicLong(), new AtomicLong(), new AtomicLong()});
        n[0].incrementAndGet();
        n[1].accumulateAndGet(s.reservedBytes(), Math::max);
        if (variant != Concurrency.TLS || !overAligned) {
            n[2].incrementAndGet();
        }
        long tiersReserved = 0;
        for (TierStats t : s.tiers()) {
            String tier = t.tier() + ", " + where;
            assertTrue(t.handedBytes() >= t.liveBytes() && t.cachedBytes() >= 0 && t.freeBytes() >= 0, tier);
            assertEquals(t.reservedBytes(), t.handedBytes() + t.cachedBytes() + t.freeBytes(),
                    "reserved = handed + cached + free in " + tier);
            tiersReserved += t.reservedBytes();
            if (t.tier().equals("big")) {
                assertEquals(0, t.freeBytes(), "the OS refused no unmap: " + tier);
                continue;
            }
            long cached = 0, handed = 0, liveBlocks = 0, liveBytes = 0;
            for (ClassStats c : t.classes()) {
                cached += c.cachedBlocks() * c.blockSize();
                handed += c.liveBlocks() * c.blockSize();
                liveBlocks += c.liveBlocks();
                liveBytes += c.liveBytes();
            }
            assertEquals(t.liveBlocks(), liveBlocks, "the classes' live blocks in " + tier);
            if (variant != Concurrency.TLS || !overAligned) {
                assertEquals(t.cachedBytes(), cached, "the classes' cached bytes in " + tier);
                assertEquals(t.handedBytes(), handed, "the classes' handed bytes in " + tier);
                assertEquals(t.liveBytes(), liveBytes, "the classes' live bytes in " + tier);
            }
            if (variant != Concurrency.TLS && THREAD_CACHED.contains(t.tier())) {
                assertEquals(0, t.cachedBytes(), "no thread caches: " + tier);
            }
        }
        assertEquals(s.reservedBytes(), tiersReserved + s.retainedBytes(), "reserved = tiers + retained, " + where);
        assertEquals(s.reservedBytes(), s.handedBytes() + s.cachedBytes() + s.freeBytes() + s.retainedBytes(),
                "reserved = handed + cached + free + retained, " + where);
        assertEquals(live.size(), s.liveBlocks(), "live blocks, " + where);
        assertEquals(live.stream().mapToLong(Block::size).sum(), s.liveBytes(), "live bytes, " + where);
        if (variant == Concurrency.TLS) {
            if (!overAligned) {
                long threadCached = s.tiers().stream().filter(t -> THREAD_CACHED.contains(t.tier()))
                        .mapToLong(TierStats::cachedBytes).sum();
                assertEquals(s.caches().cachedBytes(), threadCached, "the thread caches' bytes, " + where);
            }
        } else {
            assertEquals(CacheStats.NONE, s.caches(), where);
        }
    }
}
