package hakmem.learn;

import java.util.Arrays;

/**
 * One quantile of a stream in O(1) memory: the P² algorithm of Jain and Chlamtac ("The P² algorithm
 * for dynamic calculation of quantiles and histograms without storing observations", CACM 28(10),
 * 1985). Five markers track the minimum, the p/2, p and (1+p)/2 quantiles and the maximum; each
 * observation moves the markers' positions, and a marker whose position drifts from its desired one by
 * a whole rank is moved by a piecewise-parabolic (else linear) prediction. The learner keeps one per
 * latency it watches (p99 of a window), so a window costs five doubles, not a sorted sample.
 *
 * <p>Exact for the first five observations: {@link #estimate()} is then the sample quantile with linear
 * interpolation between order statistics at rank {@code p * (n - 1)} (Hyndman and Fan's type 7, as R and
 * NumPy by default). After that it is an estimate, whose accuracy {@code P2QuantileProperties} states and
 * checks: on unimodal continuous streams of n = 100 to 20 000 observations (uniform, exponential,
 * log-normal) it lies between the exact quantiles at {@code p - e} and {@code p + e} with
 * {@code e = max(0.05, 4 / sqrt(n))}; on two far-apart populations it lands in the right population but
 * may sit anywhere inside it; on a few repeated values it may interpolate into the gap beside one. It is
 * always within the observed minimum and maximum, which it keeps exactly.
 *
 * <p>Not thread-safe: one learner thread owns it.
 */
final class P2Quantile {

    private static final int MARKERS = 5;

    private final double p;
    /** Marker heights, ascending: q[0] = min, q[2] estimates the p quantile, q[4] = max. */
    private final double[] heights = new double[MARKERS];
    /** Actual marker positions (1-based ranks), strictly ascending once count >= 5. */
    private final long[] positions = new long[MARKERS];
    /** Desired marker positions; they move by {@link #increments} per observation. */
    private final double[] desired = new double[MARKERS];
    private final double[] increments;
    private long count;

    /** A fresh estimator of the {@code p} quantile, {@code 0 < p < 1}. */
    P2Quantile(double p) {
        if (!(p > 0.0 && p < 1.0)) {
            throw new IllegalArgumentException("p must be in (0, 1): " + p);
        }
        this.p = p;
        this.increments = new double[] {0.0, p / 2.0, p, (1.0 + p) / 2.0, 1.0};
    }

    /** The quantile this estimator tracks. */
    double p() {
        return p;
    }

    /** Observations so far. */
    long count() {
        return count;
    }

    /** Adds one observation; NaN and infinities are rejected, as they have no rank. */
    void add(double x) {
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("observation must be finite: " + x);
        }
        if (count < MARKERS) {
            heights[(int) count++] = x;
            if (count == MARKERS) {
                start();
            }
            return;
        }
        count++;
        int k = cellOf(x);
        for (int i = k + 1; i < MARKERS; i++) {
            positions[i]++;
        }
        for (int i = 0; i < MARKERS; i++) {
            desired[i] += increments[i];
        }
        for (int i = 1; i < MARKERS - 1; i++) {
            adjust(i);
        }
    }

    /**
     * The estimate of the p quantile: exact (type 7) while {@code count() <= 5}, the middle marker after.
     *
     * @throws IllegalStateException before the first observation
     */
    double estimate() {
        if (count == 0) {
            throw new IllegalStateException("no observations yet for the " + p + " quantile");
        }
        if (count <= MARKERS) {
            double[] sorted = Arrays.copyOf(heights, (int) count);
            if (count < MARKERS) {
                Arrays.sort(sorted);
            }
            return exact(sorted, p);
        }
        return heights[2];
    }

    /** The smallest observation so far (exact). */
    double min() {
        requireObservations();
        return count < MARKERS ? Arrays.stream(heights, 0, (int) count).min().orElseThrow() : heights[0];
    }

    /** The largest observation so far (exact). */
    double max() {
        requireObservations();
        return count < MARKERS ? Arrays.stream(heights, 0, (int) count).max().orElseThrow() : heights[4];
    }

    /** Forgets every observation, so the estimator can serve the next window. */
    void clear() {
        count = 0;
    }

    /**
     * The type-7 sample quantile of an ascending array: linear interpolation at rank {@code p * (n - 1)}.
     * The reference the estimator is exact against for n <= 5, and the tests' oracle.
     */
    static double exact(double[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no observations: length " + sorted.length);
        }
        if (!(p >= 0.0 && p <= 1.0)) {
            throw new IllegalArgumentException("p must be in [0, 1]: " + p);
        }
        double rank = p * (sorted.length - 1);
        int below = (int) Math.floor(rank);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }

    private void requireObservations() {
        if (count == 0) {
            throw new IllegalStateException("no observations yet for the " + p + " quantile");
        }
    }

    /** The fifth observation: sort the first five into the markers, as the paper's initialisation. */
    private void start() {
        Arrays.sort(heights);
        for (int i = 0; i < MARKERS; i++) {
            positions[i] = i + 1;
        }
        desired[0] = 1.0;
        desired[1] = 1.0 + 2.0 * p;
        desired[2] = 1.0 + 4.0 * p;
        desired[3] = 3.0 + 2.0 * p;
        desired[4] = 5.0;
    }

    /** The cell k with q[k] <= x < q[k+1], widening the extremes when x falls outside them. */
    private int cellOf(double x) {
        if (x < heights[0]) {
            heights[0] = x;
            return 0;
        }
        if (x >= heights[4]) {
            heights[4] = x;
            return 3;
        }
        int k = 0;
        while (x >= heights[k + 1]) {
            k++;
        }
        return k;
    }

    /** Moves marker i by one rank toward its desired position if it is a whole rank off and has room. */
    private void adjust(int i) {
        double d = desired[i] - positions[i];
        boolean up = d >= 1.0 && positions[i + 1] - positions[i] > 1;
        boolean down = d <= -1.0 && positions[i - 1] - positions[i] < -1;
        if (!up && !down) {
            return;
        }
        int step = up ? 1 : -1;
        double candidate = parabolic(i, step);
        // The parabola may overshoot a neighbour; heights must stay ascending, so fall back to a line.
        heights[i] = heights[i - 1] < candidate && candidate < heights[i + 1] ? candidate : linear(i, step);
        positions[i] += step;
    }

    private double parabolic(int i, int step) {
        double below = positions[i] - positions[i - 1];
        double above = positions[i + 1] - positions[i];
        double span = positions[i + 1] - positions[i - 1];
        return heights[i] + step / span
                * ((below + step) * (heights[i + 1] - heights[i]) / above
                + (above - step) * (heights[i] - heights[i - 1]) / below);
    }

    private double linear(int i, int step) {
        return heights[i] + step * (heights[i + step] - heights[i]) / (positions[i + step] - positions[i]);
    }

    @Override
    public String toString() {
        return "P2Quantile[p=" + p + ", n=" + count + (count == 0 ? "]" : ", estimate=" + estimate() + "]");
    }
}
