package hakmem.learn;

/**
 * How hard the engine learns: presets from never ({@link #MINIMAL}) to always exploring
 * ({@link #RESEARCH}). Each trades learning cost (windows spent on strategies that may be worse) for how
 * soon and how surely a better strategy is found and a changed workload noticed.
 *
 * <table>
 * <caption>Parameters of each preset</caption>
 * <tr><th>mode</th><th>window</th><th>epsilon</th><th>converge</th><th>learn budget</th>
 *     <th>canary</th><th>p99 degrade</th><th>drift</th></tr>
 * <tr><td>MINIMAL</td><td>1 s</td><td>0</td><td>-</td><td>-</td><td>never</td><td>never</td><td>never</td></tr>
 * <tr><td>FAST</td><td>100 ms</td><td>0.20</td><td>5 windows by 30</td><td>60</td>
 *     <td>every 200 windows, 1 in 20, 3 trials, margin 0.05</td><td>+50 %</td><td>0.30</td></tr>
 * <tr><td>BALANCED</td><td>250 ms</td><td>0.10</td><td>10 windows by 50</td><td>200</td>
 *     <td>every 200 windows, 1 in 20, 5 trials, margin 0.05</td><td>+30 %</td><td>0.25</td></tr>
 * <tr><td>LEARNING</td><td>250 ms</td><td>0.20</td><td>20 windows by 75</td><td>500</td>
 *     <td>every 100 windows, 1 in 10, 8 trials, margin 0.04</td><td>+20 %</td><td>0.20</td></tr>
 * <tr><td>RESEARCH</td><td>1 s</td><td>0.30</td><td>40 windows by 100</td><td>2000</td>
 *     <td>every 50 windows, 1 in 10, 10 trials, margin 0.03</td><td>+10 %</td><td>0.15</td></tr>
 * </table>
 *
 * <p>Why these shapes: a longer window averages more operations per match, so noisier modes need fewer
 * windows to trust; epsilon is the share of LEARN windows spent off the leader; "converge N by M" is the
 * leader holding an ELO lead of at least M points for N consecutive windows, where M is about one to three
 * decisive wins at K = 32, so luck in one match does not freeze a strategy; the learn budget freezes the
 * leader anyway when candidates are too close to separate (then any of them is as good). A canary runs
 * the challenger on one window in every stride, the incumbent on the rest, so at most 1/stride of the
 * traffic pays for a bad challenger; it is adopted when its mean match score beats one half by the
 * margin. p99 degrade is how much worse than the frozen baseline a window's p99 may be, and drift the
 * total variation distance of a site's size signature from its baseline, before LEARN resumes.
 */
enum Mode {

    /** Never learns: the first strategy is frozen for good, nothing is explored, nothing is watched. */
    MINIMAL(1_000_000_000L, 0.0, 1, 0.0, 1, 0, 2, 1, 0.0, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY),
    /** Converges quickly on coarse evidence; tolerant thresholds, so it rarely returns to LEARN. */
    FAST(100_000_000L, 0.20, 5, 30.0, 60, 200, 20, 3, 0.05, 0.50, 0.30),
    /** The default: a measured LEARN, rare small canaries. */
    BALANCED(250_000_000L, 0.10, 10, 50.0, 200, 200, 20, 5, 0.05, 0.30, 0.25),
    /** Explores more and demands a clearer leader; tighter thresholds bring it back to LEARN sooner. */
    LEARNING(250_000_000L, 0.20, 20, 75.0, 500, 100, 10, 8, 0.04, 0.20, 0.20),
    /** For studying strategies: long windows, heavy exploration, frequent canaries, tight thresholds. */
    RESEARCH(1_000_000_000L, 0.30, 40, 100.0, 2000, 50, 10, 10, 0.03, 0.10, 0.15);

    private final long windowNanos;
    private final double epsilon;
    private final int convergeWindows;
    private final double convergeMargin;
    private final int learnBudget;
    private final int canaryPeriod;
    private final int canaryStride;
    private final int canaryTrials;
    private final double canaryMargin;
    private final double p99Degrade;
    private final double driftThreshold;

    Mode(long windowNanos, double epsilon, int convergeWindows, double convergeMargin, int learnBudget,
         int canaryPeriod, int canaryStride, int canaryTrials, double canaryMargin,
         double p99Degrade, double driftThreshold) {
        this.windowNanos = windowNanos;
        this.epsilon = epsilon;
        this.convergeWindows = convergeWindows;
        this.convergeMargin = convergeMargin;
        this.learnBudget = learnBudget;
        this.canaryPeriod = canaryPeriod;
        this.canaryStride = canaryStride;
        this.canaryTrials = canaryTrials;
        this.canaryMargin = canaryMargin;
        this.p99Degrade = p99Degrade;
        this.driftThreshold = driftThreshold;
    }

    /** Whether the engine ever leaves its first strategy. */
    boolean learns() {
        return this != MINIMAL;
    }

    /** Length of one window, the unit every other parameter counts in; the feeder cuts windows by it. */
    long windowNanos() {
        return windowNanos;
    }

    /** Share of LEARN windows given to a uniformly drawn strategy instead of the leader. */
    double epsilon() {
        return epsilon;
    }

    /** Consecutive windows the leader must hold its margin to be frozen. */
    int convergeWindows() {
        return convergeWindows;
    }

    /** ELO points the leader must lead the runner-up by. */
    double convergeMargin() {
        return convergeMargin;
    }

    /** LEARN windows after which the leader is frozen even without a margin. */
    int learnBudget() {
        return learnBudget;
    }

    /** FROZEN windows between canaries; 0 for never. */
    int canaryPeriod() {
        return canaryPeriod;
    }

    /** In CANARY, the challenger runs one window in this many. */
    int canaryStride() {
        return canaryStride;
    }

    /** Share of CANARY windows the challenger gets, {@code 1 / canaryStride()}; 0 when canaries are off. */
    double canaryShare() {
        return canaryPeriod == 0 ? 0.0 : 1.0 / canaryStride;
    }

    /** Challenger windows before the canary is decided. */
    int canaryTrials() {
        return canaryTrials;
    }

    /** How far above one half the challenger's mean match score must be to be adopted. */
    double canaryMargin() {
        return canaryMargin;
    }

    /** A window's p99 above {@code baseline * (1 + p99Degrade())} counts as degraded. */
    double p99Degrade() {
        return p99Degrade;
    }

    /** A site's signature distance from its baseline above this is drift. */
    double driftThreshold() {
        return driftThreshold;
    }
}
