package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random and adversarial arguments at the public API, under every variant and several tier sets: sizes
 * at 0, at +-1 around every tier boundary and the cap, negative and huge; alignments invalid and huge;
 * frees, reallocs and usable sizes of random, interior, foreign (another instance's), already freed and
 * heap addresses. Each call either succeeds as the model says or throws the documented exception naming
 * the bad value; afterwards {@code verify()} finds the allocator consistent, every live block keeps its
 * contents, and it keeps serving. The tally of what each class of call got is printed at the end.
 */
class HostileInputProperties {

    static final long GIB = 1L << 30;
    static final long[] SIZES = {0, 1, 7, 8, 9, 15, 16, 17, 1023, 1024, 1025, 32767, 32768, 32769, (1 << 20) - 1, 1 << 20,
        (1 << 20) + 1, 3 << 20, Allocator.MAX_SIZE, Allocator.MAX_SIZE + 1, -1, -4096, Long.MIN_VALUE, Long.MAX_VALUE};
    static final long[] ALIGNMENTS = {1, 2, 8, 16, 32, 64, 4096, 1 << 20, GIB, 0, -1, 3, 24, 2 * GIB, 1L << 40, Long.MIN_VALUE};

    enum Target { ZERO, RANDOM, INTERIOR, FOREIGN, FREED, HEAP_SEGMENT, LIVE }

    sealed interface Op permits Malloc, Calloc, Aligned, Free, Realloc, Usable {
    }

    record Malloc(long size) implements Op {
    }

    record Calloc(long size) implements Op {
    }

    record Aligned(long size, long alignment) implements Op {
    }

    record Free(Target target, int pick, long random) implements Op {
    }

    record Realloc(Target target, int pick, long random, long size) implements Op {
    }

    record Usable(Target target, int pick, long random) implements Op {
    }

    record Config(Concurrency concurrency, List<String> tiers) {
    }

    /** Per class of call, per outcome: how many. */
    private static final Map<String, Map<String, Integer>> TALLY = new TreeMap<>();

    @Property(seed = "4141")
    void everyHostileCallGetsTheDocumentedOutcomeAndLeavesTheAllocatorConsistent(
            @ForAll("configs") Config config, @ForAll("ops") @Size(min = 10, max = 60) List<Op> ops) {
        synchronized (TALLY) {
            TALLY.computeIfAbsent("(tries) " + config.concurrency() + ", tiers " + (config.tiers() == null ? "all" : config.tiers()),
                    k -> new TreeMap<>()).merge("tries", 1, Integer::sum);
        }
        Hakmem.Builder b = Hakmem.builder().concurrency(config.concurrency()).learning(false);
        if (config.concurrency() != Concurrency.LOCKED) {
            b.shards(2);
        }
        if (config.tiers() != null) {
            b.tiers(config.tiers().toArray(String[]::new));
        }
        try (Allocator a = b.build(); Allocator other = Hakmem.builder().learning(false).build()) {
            long foreign = other.malloc(64);
            Map<Long, Long> live = new LinkedHashMap<>(); // address -> size asked
            List<Long> freed = new ArrayList<>();
            for (Op op : ops) {
                apply(a, op, live, freed, foreign);
                a.verify();
                synchronized (TALLY) {
                    TALLY.computeIfAbsent("(verify after each call)", k -> new TreeMap<>()).merge("consistent", 1, Integer::sum);
                }
                for (var e : live.entrySet()) {
                    checkFill(e.getKey(), e.getValue());
                }
            }
            long p = a.malloc(100); // and it keeps serving
            a.free(p);
            for (long q : live.keySet()) {
                a.free(q);
            }
            a.verify();
            assertEquals(0, a.stats().liveBlocks());
            other.free(foreign);
        }
    }

    private static void apply(Allocator a, Op op, Map<Long, Long> live, List<Long> freed, long foreign) {
        switch (op) {
            case Malloc m -> sized(m.size(), "malloc", () -> a.malloc(m.size()), live, false);
            case Calloc c -> sized(c.size(), "calloc", () -> a.calloc(c.size()), live, true);
            case Aligned al -> {
                boolean badAlignment = al.alignment() <= 0 || Long.bitCount(al.alignment()) != 1 || al.alignment() > GIB;
                if (badAlignment) {
                    outcome("allocate, bad alignment", () -> a.allocate(Math.max(al.size(), 0), al.alignment()).address(),
                            IllegalArgumentException.class, Long.toString(al.alignment()));
                } else {
                    sized(al.size(), "allocate, alignment " + (al.alignment() > 4096 ? "huge" : "ok"),
                            () -> a.allocate(al.size(), al.alignment()).address(), live, false);
                }
            }
            case Free f -> {
                long p = address(f.target(), f.pick(), f.random(), live, freed, foreign);
                if (f.target() == Target.HEAP_SEGMENT) {
                    outcome("free, heap segment", () -> {
                        a.free(MemorySegment.ofArray(new byte[16]));
                        return 0;
                    }, IllegalArgumentException.class, "native");
                } else if (p == 0 || live.containsKey(p)) {
                    outcome("free, " + (p == 0 ? "zero" : "live"), () -> {
                        a.free(p);
                        return 0;
                    }, null, null);
                    if (p != 0) {
                        live.remove(p);
                        freed.add(p);
                    }
                } else {
                    outcome("free, " + f.target().name().toLowerCase(), () -> {
                        a.free(p);
                        return 0;
                    }, InvalidAddressException.class, Long.toHexString(p));
                }
            }
            case Realloc r -> {
                long p = address(r.target(), r.pick(), r.random(), live, freed, foreign);
                boolean validSize = r.size() >= 0 && r.size() <= 3 << 20;
                if (p == 0 || r.target() == Target.HEAP_SEGMENT) {
                    return; // realloc(0, n) is malloc: covered above
                }
                if (live.containsKey(p) && validSize) {
                    long old = live.get(p);
                    long[] moved = new long[1];
                    outcome("realloc, live", () -> moved[0] = a.realloc(p, r.size()), null, null);
                    long kept = Math.min(old, Math.max(r.size(), 1));
                    for (long i = 0; i < Math.min(kept, 8); i++) {
                        assertEquals(fillOf(p, i), Memory.ALL.get(ValueLayout.JAVA_BYTE, moved[0] + i), "realloc kept the contents");
                    }
                    live.remove(p);
                    freed.add(p);
                    long size = Math.max(r.size(), 1);
                    fill(moved[0], size);
                    live.put(moved[0], size);
                } else if (!validSize && (r.size() < 0 || r.size() > Allocator.MAX_SIZE)) {
                    outcome("realloc, bad size", () -> a.realloc(p, r.size()), IllegalArgumentException.class, Long.toString(r.size()));
                } else if (!live.containsKey(p)) {
                    outcome("realloc, " + r.target().name().toLowerCase(), () -> a.realloc(p, 16), InvalidAddressException.class,
                            Long.toHexString(p));
                }
            }
            case Usable u -> {
                long p = address(u.target(), u.pick(), u.random(), live, freed, foreign);
                if (p == 0 || u.target() == Target.HEAP_SEGMENT) {
                    return;
                }
                if (live.containsKey(p)) {
                    long[] n = new long[1];
                    outcome("usableSize, live", () -> n[0] = a.usableSize(p), null, null);
                    assertTrue(n[0] >= Math.max(live.get(p), 1), "usable size covers what was asked");
                } else {
                    outcome("usableSize, " + u.target().name().toLowerCase(), () -> a.usableSize(p), InvalidAddressException.class,
                            Long.toHexString(p));
                }
            }
        }
    }

    /** A sized request: a valid size must succeed (or be refused by the OS when huge); a bad one names itself. */
    private static void sized(long size, String call, java.util.function.LongSupplier request, Map<Long, Long> live, boolean zero) {
        if (size < 0 || size > Allocator.MAX_SIZE) {
            outcome(call + ", bad size", request::getAsLong, IllegalArgumentException.class, Long.toString(size));
            return;
        }
        long[] p = new long[1];
        if (size > 1L << 40) {
            String got = outcome(call + ", huge size", () -> p[0] = request.getAsLong(), OutOfMemoryError.class, null);
            if (!got.equals("ok")) {
                return;
            }
        } else {
            outcome(call + ", size ok", () -> p[0] = request.getAsLong(), null, null);
        }
        long n = Math.max(size, 1);
        if (zero) {
            for (long i = 0; i < Math.min(n, 64); i++) {
                assertEquals(0, Memory.ALL.get(ValueLayout.JAVA_BYTE, p[0] + i), "calloc memory is zero");
            }
        }
        fill(p[0], n);
        live.put(p[0], n);
    }

    /**
     * Runs {@code call}: with {@code expected} null it must succeed; else it must throw exactly that type
     * (a subclass counts) with {@code names} in its message. Returns and tallies the outcome.
     */
    private static String outcome(String what, java.util.function.LongSupplier call, Class<? extends Throwable> expected, String names) {
        String got;
        try {
            call.getAsLong();
            got = "ok";
            if (expected != null && expected != OutOfMemoryError.class) {
                fail(what + ": returned instead of throwing " + expected.getSimpleName());
            }
        } catch (Throwable e) {
            got = e.getClass().getSimpleName();
            if (expected == null || !expected.isInstance(e)) {
                fail(what + ": threw " + e, e);
            }
            if (names != null) {
                assertTrue(e.getMessage().contains(names), what + ": the message names " + names + ": " + e.getMessage());
            }
        }
        synchronized (TALLY) {
            TALLY.computeIfAbsent(what, k -> new TreeMap<>()).merge(got, 1, Integer::sum);
        }
        return got;
    }

    private static long address(Target t, int pick, long random, Map<Long, Long> live, List<Long> freed, long foreign) {
        List<Long> held = new ArrayList<>(live.keySet());
        return switch (t) {
            case ZERO, HEAP_SEGMENT -> 0;
            case RANDOM -> random == 0 ? 1 : random;
            case FOREIGN -> foreign;
            case LIVE -> held.isEmpty() ? 0 : held.get(Math.floorMod(pick, held.size()));
            case FREED -> freed.isEmpty() ? 0 : freed.get(Math.floorMod(pick, freed.size()));
            case INTERIOR -> {
                for (int i = 0; i < held.size(); i++) {
                    long p = held.get(Math.floorMod(pick + i, held.size()));
                    long size = live.get(p);
                    if (size > 1) {
                        long[] deltas = {1, 8, 16, size / 2, size - 1};
                        long d = deltas[Math.floorMod(pick, deltas.length)];
                        if (d > 0 && d < size) {
                            yield p + d;
                        }
                    }
                }
                yield 0;
            }
        };
    }

    private static byte fillOf(long p, long i) {
        return (byte) (p * 31 + i);
    }

    /** Writes a pattern into the first and last bytes of a block (at most 8 each). */
    private static void fill(long p, long size) {
        for (long i = 0; i < Math.min(size, 8); i++) {
            Memory.ALL.set(ValueLayout.JAVA_BYTE, p + i, fillOf(p, i));
        }
        for (long i = Math.max(8, size - 8); i < size; i++) {
            Memory.ALL.set(ValueLayout.JAVA_BYTE, p + i, fillOf(p, i));
        }
    }

    private static void checkFill(long p, long size) {
        for (long i = 0; i < Math.min(size, 8); i++) {
            assertEquals(fillOf(p, i), Memory.ALL.get(ValueLayout.JAVA_BYTE, p + i), "block 0x" + Long.toHexString(p) + " kept its contents");
        }
        for (long i = Math.max(8, size - 8); i < size; i++) {
            assertEquals(fillOf(p, i), Memory.ALL.get(ValueLayout.JAVA_BYTE, p + i), "block 0x" + Long.toHexString(p) + " kept its contents");
        }
    }

    @AfterContainer
    static void printTally() {
        StringBuilder sb = new StringBuilder("hostile calls, by class: outcomes\n");
        TALLY.forEach((what, got) -> sb.append(String.format("  %-40s %s%n", what, got)));
        System.out.print(sb);
    }

    @Provide
    Arbitrary<Config> configs() {
        return Arbitraries.of(
                new Config(Concurrency.LOCKED, null), new Config(Concurrency.SHARDED, null), new Config(Concurrency.TLS, null),
                new Config(Concurrency.TLS, List.of("tiny")), new Config(Concurrency.TLS, List.of("l2", "l25")),
                new Config(Concurrency.SHARDED, List.of()), new Config(Concurrency.LOCKED, List.of("tiny", "l25")));
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Long> sizes = Arbitraries.oneOf(Arbitraries.of(java.util.Arrays.stream(SIZES).boxed().toList()),
                Arbitraries.longs().between(0, 3 << 20));
        Arbitrary<Long> alignments = Arbitraries.of(java.util.Arrays.stream(ALIGNMENTS).boxed().toList());
        Arbitrary<Target> targets = Arbitraries.of(Target.class);
        Arbitrary<Integer> picks = Arbitraries.integers().between(0, 1000);
        Arbitrary<Long> randoms = Arbitraries.longs();
        Arbitrary<Op> op = Arbitraries.oneOf(
                sizes.map(Malloc::new),
                sizes.map(Calloc::new),
                Combinators.combine(sizes, alignments).as(Aligned::new),
                Combinators.combine(targets, picks, randoms).as(Free::new),
                Combinators.combine(targets, picks, randoms, sizes).as(Realloc::new),
                Combinators.combine(targets, picks, randoms).as(Usable::new));
        return op.list();
    }
}
