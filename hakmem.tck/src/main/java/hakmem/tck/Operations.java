package hakmem.tck;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Generators of random operation sequences for a tier serving 1 to {@code maxSize} bytes: sizes mixed
 * uniform, small and on every class boundary, plain and larger alignments, bursts and drains so that
 * slabs, runs and chunks fill and empty, bad frees of every kind, and trims.
 */
public final class Operations {

    private Operations() {
    }

    /**
     * Sizes of 1 to {@code maxSize}: uniform, small, and each listed class with its neighbours (powers of
     * two and theirs when no class is listed).
     */
    public static Arbitrary<Long> sizes(long maxSize, long[] classes) {
        TreeSet<Long> edges = new TreeSet<>(List.of(1L, 8L, 9L, 16L, 17L, maxSize - 1, maxSize));
        if (classes.length > 0) {
            for (long c : classes) {
                edges.addAll(List.of(c - 1, c, c + 1));
            }
        } else {
            for (long p = 1; p <= maxSize; p <<= 1) {
                edges.addAll(List.of(p - 1, p, p + 1));
            }
        }
        edges.removeIf(s -> s < 1 || s > maxSize);
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.longs().between(1, maxSize)),
                Tuple.of(2, Arbitraries.longs().between(1, Math.min(maxSize, 64))),
                Tuple.of(2, Arbitraries.of(List.copyOf(edges))));
    }

    /** log2 of an alignment up to four times past {@code maxSize}, or -1 (plain) four times in five. */
    public static Arbitrary<Integer> alignLogs(long maxSize) {
        int most = Math.min(40, 64 - Long.numberOfLeadingZeros(maxSize) + 1);
        return Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.just(-1)),
                Tuple.of(2, Arbitraries.integers().between(0, most)));
    }

    /** Site ids: a few, so that site-keyed tiers see repeats, and sometimes any. */
    public static Arbitrary<Integer> sites() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(0, 7)),
                Tuple.of(1, Arbitraries.integers().between(0, Integer.MAX_VALUE)));
    }

    /** Blocks per burst: about 16 MiB of the largest size, 8 to 150. */
    static int burst(long maxSize) {
        return (int) Math.max(8, Math.min(150, (16L << 20) / maxSize));
    }

    /**
     * Sequences of 1 to 120 operations. {@code errorWeight} is the weight of each kind of bad free
     * (four kinds) against allocations (10), bursts (3), frees (7), drains (2) and trims (1).
     */
    public static Arbitrary<List<Op>> sequences(long maxSize, long[] classes, int errorWeight) {
        Arbitrary<Long> size = sizes(maxSize, classes);
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1 << 20);
        Arbitrary<Integer> count = Arbitraries.integers().between(1, burst(maxSize));
        List<Tuple2<Integer, Arbitrary<Op>>> mix = new ArrayList<>();
        mix.add(Tuple.of(10, op(Combinators.combine(size, alignLogs(maxSize), sites()).as(Op.Alloc::new))));
        mix.add(Tuple.of(3, op(Combinators.combine(size, count, sites()).as(Op.Burst::new))));
        mix.add(Tuple.of(7, op(pick.map(Op.Free::new))));
        mix.add(Tuple.of(2, op(Combinators.combine(pick, count).as(Op.Drain::new))));
        mix.add(Tuple.of(1, op(Arbitraries.just(new Op.Trim()))));
        if (errorWeight > 0) {
            mix.add(Tuple.of(errorWeight, op(pick.map(Op.DoubleFree::new))));
            mix.add(Tuple.of(errorWeight, op(pick.map(Op.Refree::new))));
            mix.add(Tuple.of(errorWeight, op(Combinators.combine(pick, Arbitraries.longs()).as(Op.Interior::new))));
            mix.add(Tuple.of(errorWeight, op(Combinators.combine(Arbitraries.of(true, true, false), Arbitraries.longs())
                    .as(Op.Stray::new))));
        }
        return Arbitraries.frequencyOf(mix).list().ofMinSize(1).ofMaxSize(120);
    }

    private static Arbitrary<Op> op(Arbitrary<? extends Op> a) {
        return a.map(o -> o);
    }

    /**
     * Live sets for churn: up to 400 sizes (fewer for large tiers, at most 64 MiB of the largest size),
     * most of them in the upper half of the range so that classes span several slabs or runs.
     */
    public static Arbitrary<List<Long>> liveSets(long maxSize, long[] classes) {
        int most = (int) Math.max(8, Math.min(400, (64L << 20) / maxSize));
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.longs().between(Math.max(1, maxSize - maxSize / 8), maxSize)),
                Tuple.of(2, Arbitraries.longs().between(Math.max(1, maxSize / 2), maxSize)),
                Tuple.of(1, sizes(maxSize, classes)))
                .list().ofMinSize(1).ofMaxSize(most);
    }

    /** Sizes a tier serving 1 to {@code maxSize} bytes must refuse. */
    public static Arbitrary<Long> sizesOutside(long maxSize) {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.of(0L, -1L, maxSize + 1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40)),
                Tuple.of(1, Arbitraries.longs().lessOrEqual(0)),
                Tuple.of(1, Arbitraries.longs().greaterOrEqual(maxSize + 1)));
    }
}
