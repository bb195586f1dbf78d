package hakmem.learn;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * hakmem's evolution engine: which strategy runs in each window, and when to stop and start learning.
 *
 * <pre>
 *   LEARN  --leader holds its margin N windows, or the learn budget is spent-->  FROZEN
 *   FROZEN --p99 degraded, a site's size signature drifted, or the load shifted-->  LEARN
 *   FROZEN --every canaryPeriod windows-->                                       CANARY
 *   CANARY --challenger wins by the margin: adopt / else: roll back-->           FROZEN
 *   CANARY --p99 degraded (incumbent's windows), or drift-->                     LEARN
 * </pre>
 *
 * <p>LEARN picks each window's strategy epsilon-greedily from an {@link EloTable} and plays a match
 * between every two consecutive windows that ran different strategies: neighbouring windows see the
 * most similar load, so they are the fairest pair. FROZEN runs the confirmed strategy and plays no
 * matches, draws no random numbers: its only cost is comparing each window's p99 and size signatures to
 * the baselines taken when it froze. CANARY gives a challenger (the best-rated other strategy) one window
 * in {@link Mode#canaryStride()}, each matched against the incumbent's latest window.
 *
 * <p>The load: a window's operations against the median of the frozen strategy's converging streak (of
 * the first FROZEN window when there was none), both plus {@value #LOAD_SLACK} so a near-idle baseline is
 * not a division by nothing; a fall past {@value #LOAD_SHIFT} times, or a rise past it from a baseline of at most
 * {@value #IDLE_OPERATIONS} operations, for {@value #DEGRADE_WINDOWS}
 * windows in a row is a new phase (a burst after idling, idling after a burst) and sends the engine back
 * to LEARN: what was best for the old load need not be for the new one, and an idle allocator shows no
 * p99 and no sizes to notice it by.
 *
 * <p>Baselines: the size signatures are every site's samples merged over the LEARN that froze; the p99
 * is the median p99 of the confirmed strategy's windows in its converging streak (of the challenger's
 * windows when a canary adopts it), or the first FROZEN window's when there were none. p99 must stay
 * past its threshold for {@value #DEGRADE_WINDOWS} consecutive windows, so one pause does not restart
 * learning; drift needs {@value #MIN_DRIFT_SAMPLES} samples of a site in the window and in the baseline,
 * so a site seen a few times cannot trigger it. A site with no baseline is not drift: the next LEARN
 * will include it.
 *
 * <p>Driven from outside, one window at a time: run {@link #current()} for a window, then hand its
 * measurements to {@link #finish}. Time comes only from the injected clock and chance only from the
 * injected random source, so a seeded engine fed the same windows makes the same choices. Not
 * thread-safe: the learner thread owns it.
 */
final class Evolution {

    /** The engine's states. */
    enum State { LEARN, FROZEN, CANARY }

    /** Consecutive degraded windows that send FROZEN or CANARY back to LEARN. */
    static final int DEGRADE_WINDOWS = 2;
    /** Samples a site needs in the window and in the baseline before its drift counts. */
    static final long MIN_DRIFT_SAMPLES = 256;
    /** Factor by which a window's operations must differ from the baseline's to count as a load shift. */
    static final double LOAD_SHIFT = 8.0;
    /**
     * A baseline at most this busy is idle: only a rise from idle counts as a shift, since a rise from a busy
     * baseline is as likely the frozen strategy's own doing (a cache that fills serves more requests).
     */
    static final long IDLE_OPERATIONS = 16;
    /** Added to both sides of the load ratio, so an idle window against an idle baseline is no shift. */
    static final long LOAD_SLACK = 1;
    /** Transitions kept; older ones are dropped so a long-running engine holds bounded memory. */
    static final int MAX_TRANSITIONS = 256;

    private final Mode mode;
    private final EloTable table;
    private final LongSupplier clock;
    private final RandomGenerator random;
    private final ArrayDeque<Transition> transitions = new ArrayDeque<>();

    private State state;
    private Strategy current;
    private Strategy confirmed;

    // LEARN: the previous window, for the next match; the leader's streak; sizes seen so far.
    private Strategy previous;
    private WindowCost previousCost;
    private Strategy streakLeader;
    private int streak;
    private final List<Double> streakP99 = new ArrayList<>();
    private int learnWindows;
    private Map<String, SizeSignature> learnSizes = new HashMap<>();

    // FROZEN and CANARY: baselines and the incumbent's latest window.
    private Map<String, SizeSignature> baselineSizes = Map.of();
    private double baselineP99 = Double.NaN;
    private int degradedStreak;
    private double baselineOps = Double.NaN;
    private final List<Double> streakOps = new ArrayList<>();
    private int shiftedStreak;
    private int frozenWindows;
    private WindowCost incumbentCost;

    // CANARY.
    private Strategy challenger;
    private int canaryWindows;
    private int canaryTrials;
    private double canaryScore;
    private final List<Double> challengerP99 = new ArrayList<>();

    /**
     * An engine over {@code candidates} (distinct names; the first is the strategy MINIMAL keeps and
     * LEARN starts from), in {@code mode}, with time from {@code clock} (nanoseconds) and chance from
     * {@code random}.
     */
    Evolution(Mode mode, List<Strategy> candidates, LongSupplier clock, RandomGenerator random) {
        if (mode == null) {
            throw new IllegalArgumentException("mode: null");
        }
        if (clock == null) {
            throw new IllegalArgumentException("clock: null");
        }
        if (random == null) {
            throw new IllegalArgumentException("random: null");
        }
        this.mode = mode;
        this.table = new EloTable(candidates);
        this.clock = clock;
        this.random = random;
        if (mode.learns()) {
            state = State.LEARN;
            current = table.pick(mode.epsilon(), random);
        } else {
            state = State.FROZEN;
            confirmed = table.strategies().getFirst();
            current = confirmed;
        }
    }

    Mode mode() {
        return mode;
    }

    State state() {
        return state;
    }

    /** The strategy to run for the window now under way. */
    Strategy current() {
        return current;
    }

    /** The strategy FROZEN runs, or null before LEARN has first frozen one. */
    Strategy confirmed() {
        return confirmed;
    }

    /** The strategy a canary is trying, or null outside CANARY. */
    Strategy challenger() {
        return state == State.CANARY ? challenger : null;
    }

    /** {@code s}'s ELO rating now. */
    double rating(Strategy s) {
        return table.rating(s);
    }

    /** The candidates, in the order given. */
    List<Strategy> strategies() {
        return table.strategies();
    }

    /** Matches {@code s} has played since LEARN last began. */
    long matches(Strategy s) {
        return table.matches(s);
    }

    /** The p99 FROZEN compares windows with; NaN until one is taken. */
    double baselineP99() {
        return baselineP99;
    }

    /** Transitions so far, oldest first (at most {@value #MAX_TRANSITIONS}). */
    List<Transition> transitions() {
        return List.copyOf(transitions);
    }

    /** The measurements of the window that ran {@link #current()}; chooses the next window's strategy. */
    void finish(WindowResult window) {
        finish(window, null);
    }

    /**
     * As {@link #finish(WindowResult)}, with {@code shadows}: every candidate's cost on this window's
     * traffic (see {@link Shadows}), or null. In LEARN, shadows replace trials: every pair of candidates
     * plays a match on the window and the leader runs next, so nothing is explored at the traffic's
     * expense and no policy must run long enough to fill its caches before it shows its worth.
     */
    void finish(WindowResult window, Map<Strategy, WindowCost> shadows) {
        if (window == null) {
            throw new IllegalArgumentException("window: null");
        }
        if (!mode.learns()) {
            return;
        }
        switch (state) {
            case LEARN -> {
                if (shadows != null) {
                    finishLearnShadowed(window, shadows);
                } else {
                    finishLearn(window);
                }
            }
            case FROZEN -> finishFrozen(window);
            case CANARY -> finishCanary(window);
        }
    }

    // ------------------------------------------------------------------ LEARN

    private void finishLearn(WindowResult window) {
        mergeInto(learnSizes, window.sizes());
        if (previous != null && !previous.equals(current)) {
            table.play(current, window.cost(), previous, previousCost);
        }
        previous = current;
        previousCost = window.cost();
        endLearnWindow(window, "converged", false);
    }

    private void finishLearnShadowed(WindowResult window, Map<Strategy, WindowCost> shadows) {
        mergeInto(learnSizes, window.sizes());
        List<Strategy> all = table.strategies();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                WindowCost a = shadows.get(all.get(i));
                WindowCost b = shadows.get(all.get(j));
                if (a == null || b == null) {
                    throw new IllegalArgumentException("no shadow cost for " + (a == null ? all.get(i) : all.get(j)).name());
                }
                table.play(all.get(i), a, all.get(j), b);
            }
        }
        endLearnWindow(window, "converged on shadows", true);
    }

    /**
     * After a LEARN window's matches: freeze a leader that held its margin long enough, or the leader
     * when the budget is spent; else pick the next window's strategy (the leader itself when every
     * candidate is judged each window, as with shadows; epsilon-greedily when only trials judge).
     */
    private void endLearnWindow(WindowResult window, String converged, boolean leaderNext) {
        learnWindows++;
        trackStreak(window.p99Nanos(), window.operations());
        if (streak >= mode.convergeWindows()) {
            freeze(streakLeader, String.format(Locale.ROOT, "%s: %s led by %.1f >= %.1f ELO points for %d windows",
                    converged, streakLeader.name(), table.margin(), mode.convergeMargin(), streak));
        } else if (learnWindows >= mode.learnBudget()) {
            budgetSpent();
        } else {
            current = leaderNext ? table.leader() : table.pick(mode.epsilon(), random);
        }
    }

    private void budgetSpent() {
        streakP99.clear(); // the leader's streak, if any, is too short to trust for a baseline
        streakOps.clear();
        freeze(table.leader(), String.format(Locale.ROOT, "learn budget spent: no leader held %.1f ELO points for %d"
                + " windows in %d; froze the leader %s", mode.convergeMargin(), mode.convergeWindows(),
                learnWindows, table.leader().name()));
    }

    private void trackStreak(double p99, long operations) {
        Strategy leader = table.leader();
        if (table.margin() < mode.convergeMargin()) {
            streak = 0;
            streakLeader = null;
            streakP99.clear();
            streakOps.clear();
            return;
        }
        if (!leader.equals(streakLeader)) {
            streakLeader = leader;
            streak = 0;
            streakP99.clear();
            streakOps.clear();
        }
        streak++;
        if (current.equals(leader)) {
            streakP99.add(p99);
            streakOps.add((double) operations);
        }
    }

    private void freeze(Strategy strategy, String reason) {
        confirmed = strategy;
        current = strategy;
        baselineSizes = learnSizes;
        learnSizes = new HashMap<>();
        baselineP99 = streakP99.isEmpty() ? Double.NaN : median(streakP99);
        baselineOps = streakOps.isEmpty() || streakOps.contains(-1.0) ? Double.NaN : median(streakOps);
        enterFrozen(reason);
    }

    // ------------------------------------------------------------------ FROZEN

    private void finishFrozen(WindowResult window) {
        if (drifted(window) || degraded(window) || shifted(window)) {
            return;
        }
        incumbentCost = window.cost();
        frozenWindows++;
        if (mode.canaryPeriod() > 0 && frozenWindows >= mode.canaryPeriod() && table.strategies().size() > 1) {
            startCanary();
        }
    }

    private void enterFrozen(String reason) {
        degradedStreak = 0;
        shiftedStreak = 0;
        frozenWindows = 0;
        challenger = null;
        move(State.FROZEN, reason);
    }

    /** Sends the engine back to LEARN if a site's signature drifted past the threshold. */
    private boolean drifted(WindowResult window) {
        String worstSite = null;
        double worst = 0.0;
        for (Map.Entry<String, SizeSignature> e : window.sizes().entrySet()) {
            SizeSignature base = baselineSizes.get(e.getKey());
            SizeSignature now = e.getValue();
            if (base == null || base.total() < MIN_DRIFT_SAMPLES || now.total() < MIN_DRIFT_SAMPLES) {
                continue;
            }
            double d = now.distance(base);
            // Ties go to the smaller site name so the reason does not depend on map order.
            if (d > worst || (d == worst && worstSite != null && e.getKey().compareTo(worstSite) < 0)) {
                worst = d;
                worstSite = e.getKey();
            }
        }
        if (worstSite == null || worst <= mode.driftThreshold()) {
            return false;
        }
        learn(String.format(Locale.ROOT, "size drift: site %s moved %.3f > %.3f from its baseline",
                worstSite, worst, mode.driftThreshold()));
        return true;
    }

    /** Counts a degraded p99 window; sends the engine back to LEARN after enough in a row. */
    private boolean degraded(WindowResult window) {
        double p99 = window.p99Nanos();
        if (Double.isNaN(baselineP99)) {
            baselineP99 = p99;
            return false;
        }
        double limit = baselineP99 * (1.0 + mode.p99Degrade());
        if (p99 <= limit) {
            degradedStreak = 0;
            return false;
        }
        if (++degradedStreak < DEGRADE_WINDOWS) {
            return false;
        }
        learn(String.format(Locale.ROOT, "p99 degraded: %.0f ns > %.0f ns (baseline %.0f ns + %.0f%%) for %d windows",
                p99, limit, baselineP99, mode.p99Degrade() * 100.0, degradedStreak));
        return true;
    }

    /** Counts a window whose load moved past the shift factor; sends the engine back to LEARN after enough in a row. */
    private boolean shifted(WindowResult window) {
        long ops = window.operations();
        if (ops < 0) {
            return false;
        }
        if (Double.isNaN(baselineOps)) {
            baselineOps = ops;
            return false;
        }
        double ratio = (ops + LOAD_SLACK) / (baselineOps + LOAD_SLACK);
        boolean rose = ratio > LOAD_SHIFT && baselineOps <= IDLE_OPERATIONS;
        if (!rose && ratio >= 1.0 / LOAD_SHIFT) {
            shiftedStreak = 0;
            return false;
        }
        if (++shiftedStreak < DEGRADE_WINDOWS) {
            return false;
        }
        String reason = String.format(Locale.ROOT, "load shift: %d operations a window against a baseline of %.0f for %d windows",
                ops, baselineOps, shiftedStreak);
        baselineOps = Double.NaN;
        learn(reason);
        return true;
    }

    private void learn(String reason) {
        table.reset();
        previous = null;
        previousCost = null;
        streak = 0;
        streakLeader = null;
        streakP99.clear();
        streakOps.clear();
        learnWindows = 0;
        learnSizes = new HashMap<>();
        challenger = null;
        move(State.LEARN, reason);
        current = table.pick(mode.epsilon(), random);
    }

    // ------------------------------------------------------------------ CANARY

    private void startCanary() {
        challenger = table.bestOtherThan(confirmed);
        canaryWindows = 0;
        canaryTrials = 0;
        canaryScore = 0.0;
        challengerP99.clear();
        move(State.CANARY, String.format(Locale.ROOT, "canary: %s tries 1 window in %d against %s for %d trials after %d"
                + " frozen windows", challenger.name(), mode.canaryStride(), confirmed.name(),
                mode.canaryTrials(), frozenWindows));
        current = canaryPick();
    }

    private void finishCanary(WindowResult window) {
        if (drifted(window)) {
            return;
        }
        if (current.equals(challenger)) {
            canaryScore += table.play(challenger, window.cost(), confirmed, incumbentCost);
            canaryTrials++;
            challengerP99.add(window.p99Nanos());
        } else {
            if (degraded(window) || shifted(window)) {
                return;
            }
            incumbentCost = window.cost();
        }
        canaryWindows++;
        if (canaryTrials >= mode.canaryTrials()) {
            decideCanary();
        } else {
            current = canaryPick();
        }
    }

    /** The challenger takes the last window of every stride, so the incumbent's latest cost is fresh. */
    private Strategy canaryPick() {
        return (canaryWindows + 1) % mode.canaryStride() == 0 ? challenger : confirmed;
    }

    private void decideCanary() {
        double mean = canaryScore / canaryTrials;
        double bar = 0.5 + mode.canaryMargin();
        Strategy incumbent = confirmed;
        if (mean >= bar) {
            confirmed = challenger;
            baselineP99 = median(challengerP99);
            current = confirmed;
            enterFrozen(String.format(Locale.ROOT, "adopted: %s scored %.3f >= %.3f over %d trials against %s",
                    challenger.name(), mean, bar, canaryTrials, incumbent.name()));
        } else {
            current = confirmed;
            enterFrozen(String.format(Locale.ROOT, "rolled back: %s scored %.3f < %.3f over %d trials; kept %s",
                    challenger.name(), mean, bar, canaryTrials, incumbent.name()));
        }
    }

    // ------------------------------------------------------------------ shared

    private void move(State to, String reason) {
        if (transitions.size() == MAX_TRANSITIONS) {
            transitions.removeFirst();
        }
        transitions.addLast(new Transition(state, to, reason, clock.getAsLong()));
        state = to;
    }

    private static void mergeInto(Map<String, SizeSignature> into, Map<String, SizeSignature> window) {
        window.forEach((site, signature) -> into.computeIfAbsent(site, s -> new SizeSignature()).merge(signature));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    @Override
    public String toString() {
        return "Evolution[" + mode + ", " + state + ", current=" + current.name() + ", " + table + "]";
    }
}
