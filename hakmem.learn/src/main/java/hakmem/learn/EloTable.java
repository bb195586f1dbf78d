package hakmem.learn;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * ELO ratings of a fixed set of candidate {@link Strategy strategies}, as chess ranks players from games:
 * every strategy starts at {@value #INITIAL_RATING}; a match between two strategies' window costs moves
 * each rating by {@code K * (actual - expected)}, the expected score of A against B being
 * {@code 1 / (1 + 10^((Rb - Ra) / 400))}. The two moves cancel, so the ratings' sum is conserved.
 *
 * <p>ELO rather than a mean cost per strategy: windows run at different times under different load, and
 * only two neighbouring windows are fair to compare; ELO turns those pairwise results into one ranking
 * and weighs a win over a strong strategy more than one over a weak one.
 *
 * <p>{@link #outcome The score of a match} weighs time per operation by {@value #TIME_WEIGHT} and memory by
 * the rest, split evenly between bytes mapped (page faults) and bytes held. Half for memory because every
 * learned choice must be judged on the memory it holds as well as on speed (the lesson of Netty's
 * adaptive sizing): a strategy that buys speed with memory wins the time half and loses the memory half.
 *
 * <p>Not thread-safe: the learner thread owns it. Deterministic given its inputs and random source.
 */
final class EloTable {

    static final double INITIAL_RATING = 1500.0;
    /**
     * Chess's K for new players: a decisive match moves a rating by at most K, so a strategy that wins
     * every match leaves the pack within a few tens of windows while one noisy window cannot.
     */
    static final double DEFAULT_K = 32.0;
    /** Exploration share when a caller has no mode to take it from; see {@link #pick}. */
    static final double DEFAULT_EPSILON = 0.1;
    static final double TIME_WEIGHT = 0.5;
    static final double MAPPED_WEIGHT = 0.25;
    static final double HELD_WEIGHT = 0.25;

    private final List<Strategy> strategies;
    private final Map<Strategy, Integer> indexOf = new HashMap<>();
    private final double[] ratings;
    private final long[] matches;
    private final double k;

    /** A table over {@code strategies} (distinct names, at least one) with K = {@value #DEFAULT_K}. */
    EloTable(List<Strategy> strategies) {
        this(strategies, DEFAULT_K);
    }

    EloTable(List<Strategy> strategies, double k) {
        if (strategies == null || strategies.isEmpty()) {
            throw new IllegalArgumentException("at least one strategy is needed: " + strategies);
        }
        if (!(k > 0.0) || Double.isInfinite(k)) {
            throw new IllegalArgumentException("K must be finite and > 0: " + k);
        }
        this.strategies = List.copyOf(strategies);
        Map<String, Strategy> byName = new HashMap<>();
        for (int i = 0; i < this.strategies.size(); i++) {
            Strategy s = this.strategies.get(i);
            Strategy twin = byName.putIfAbsent(s.name(), s);
            if (twin != null) {
                throw new IllegalArgumentException("duplicate strategy name \"" + s.name() + "\": " + twin + " and " + s);
            }
            indexOf.put(s, i);
        }
        this.ratings = new double[this.strategies.size()];
        this.matches = new long[this.strategies.size()];
        this.k = k;
        reset();
    }

    /** The candidates, in the order given. */
    List<Strategy> strategies() {
        return strategies;
    }

    double k() {
        return k;
    }

    double rating(Strategy s) {
        return ratings[index(s)];
    }

    /** Matches {@code s} has played since the last {@link #reset()}. */
    long matches(Strategy s) {
        return matches[index(s)];
    }

    /** Sets every rating back to {@value #INITIAL_RATING}: the workload they measured is gone. */
    void reset() {
        Arrays.fill(ratings, INITIAL_RATING);
        Arrays.fill(matches, 0);
    }

    /** A's expected score against B, {@code 1 / (1 + 10^((Rb - Ra) / 400))}. */
    static double expected(double ratingA, double ratingB) {
        if (!Double.isFinite(ratingA) || !Double.isFinite(ratingB)) {
            throw new IllegalArgumentException("ratings must be finite: " + ratingA + ", " + ratingB);
        }
        return 1.0 / (1.0 + Math.pow(10.0, (ratingB - ratingA) / 400.0));
    }

    /**
     * A's score in [0, 1] for a match of two window costs (B's is one minus it): per component
     * {@code b / (a + b)}, which is 1/2 for a tie, near 1 when A's cost is far lower and scale-free, so
     * nanoseconds and bytes weigh only by their weights; a component both left at zero is a tie.
     */
    static double outcome(WindowCost a, WindowCost b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException("window costs must not be null: " + a + ", " + b);
        }
        return TIME_WEIGHT * share(a.nanosPerOp(), b.nanosPerOp())
                + MAPPED_WEIGHT * share(a.bytesMapped(), b.bytesMapped())
                + HELD_WEIGHT * share(a.bytesHeld(), b.bytesHeld());
    }

    private static double share(double costA, double costB) {
        double sum = costA + costB;
        return sum == 0.0 ? 0.5 : costB / sum;
    }

    /** Plays one match of {@code a}'s window against {@code b}'s; returns A's score. */
    double play(Strategy a, WindowCost costA, Strategy b, WindowCost costB) {
        double score = outcome(costA, costB);
        record(a, b, score);
        return score;
    }

    /** Updates both ratings for a match in which A scored {@code scoreA} in [0, 1] (B scored the rest). */
    void record(Strategy a, Strategy b, double scoreA) {
        int ia = index(a);
        int ib = index(b);
        if (ia == ib) {
            throw new IllegalArgumentException("a strategy cannot play itself: " + a.name());
        }
        if (!(scoreA >= 0.0 && scoreA <= 1.0)) {
            throw new IllegalArgumentException("scoreA must be in [0, 1]: " + scoreA);
        }
        double expectedA = expected(ratings[ia], ratings[ib]);
        double delta = k * (scoreA - expectedA);
        // B's move is k * ((1 - scoreA) - (1 - expectedA)) = -delta: the sum is conserved by construction.
        ratings[ia] += delta;
        ratings[ib] -= delta;
        matches[ia]++;
        matches[ib]++;
    }

    /** The highest-rated strategy; the earliest given wins a tie, so a fresh table leads with the first. */
    Strategy leader() {
        return strategies.get(leaderIndex());
    }

    /**
     * The leader's lead over the runner-up in rating points; positive infinity with a single candidate
     * (nothing can overtake it).
     */
    double margin() {
        if (strategies.size() == 1) {
            return Double.POSITIVE_INFINITY;
        }
        int lead = leaderIndex();
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < ratings.length; i++) {
            if (i != lead) {
                second = Math.max(second, ratings[i]);
            }
        }
        return ratings[lead] - second;
    }

    /** The highest-rated strategy other than {@code excluded}, or null when it is the only one. */
    Strategy bestOtherThan(Strategy excluded) {
        int skip = index(excluded);
        int best = -1;
        for (int i = 0; i < ratings.length; i++) {
            if (i != skip && (best < 0 || ratings[i] > ratings[best])) {
                best = i;
            }
        }
        return best < 0 ? null : strategies.get(best);
    }

    /**
     * Epsilon-greedy choice of the strategy for the next window: with probability {@code epsilon} a
     * strategy drawn uniformly from all candidates (the leader included), else the leader. Exploration is
     * what lets a strategy rated low on old evidence be measured again; epsilon = 0 never explores.
     */
    Strategy pick(double epsilon, RandomGenerator random) {
        if (!(epsilon >= 0.0 && epsilon <= 1.0)) {
            throw new IllegalArgumentException("epsilon must be in [0, 1]: " + epsilon);
        }
        if (random == null) {
            throw new IllegalArgumentException("random: null");
        }
        // Draw only when exploring is possible, so epsilon = 0 leaves the random sequence untouched.
        if (epsilon > 0.0 && random.nextDouble() < epsilon) {
            return strategies.get(random.nextInt(strategies.size()));
        }
        return leader();
    }

    private int leaderIndex() {
        int best = 0;
        for (int i = 1; i < ratings.length; i++) {
            if (ratings[i] > ratings[best]) {
                best = i;
            }
        }
        return best;
    }

    private int index(Strategy s) {
        Integer i = s == null ? null : indexOf.get(s);
        if (i == null) {
            throw new IllegalArgumentException("not a strategy of this table: " + s);
        }
        return i;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("EloTable[");
        for (int i = 0; i < ratings.length; i++) {
            s.append(i == 0 ? "" : ", ").append(strategies.get(i).name()).append('=').append(Math.round(ratings[i]));
        }
        return s.append(']').toString();
    }
}
