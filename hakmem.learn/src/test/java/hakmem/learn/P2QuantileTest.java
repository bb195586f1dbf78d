package hakmem.learn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Edge cases of {@link P2Quantile}; its accuracy on random streams is in {@link P2QuantileProperties}. */
class P2QuantileTest {

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 1.0, -0.5, 1.5, Double.NaN, Double.POSITIVE_INFINITY})
    void rejectsAQuantileOutsideTheOpenUnitInterval(double p) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new P2Quantile(p));
        assertTrue(e.getMessage().contains(String.valueOf(p)), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejectsObservationsWithoutARank(double x) {
        P2Quantile q = new P2Quantile(0.5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.add(x));
        assertTrue(e.getMessage().contains(String.valueOf(x)), e.getMessage());
        assertEquals(0, q.count());
    }

    @Test
    void hasNoEstimateBeforeTheFirstObservation() {
        P2Quantile q = new P2Quantile(0.99);
        IllegalStateException e = assertThrows(IllegalStateException.class, q::estimate);
        assertTrue(e.getMessage().contains("0.99"), e.getMessage());
        assertThrows(IllegalStateException.class, q::min);
        assertThrows(IllegalStateException.class, q::max);
    }

    @Test
    void fewerThanFiveObservationsGiveTheInterpolatedSampleQuantile() {
        P2Quantile median = new P2Quantile(0.5);
        median.add(3);
        assertEquals(3.0, median.estimate());
        median.add(1);
        assertEquals(2.0, median.estimate());
        median.add(2);
        assertEquals(2.0, median.estimate());

        P2Quantile quartile = new P2Quantile(0.25);
        for (double x : new double[] {4, 2, 3, 1}) {
            quartile.add(x);
        }
        // rank 0.25 * 3 = 0.75 between 1 and 2
        assertEquals(1.75, quartile.estimate(), 1e-12);
        assertEquals(1.0, quartile.min());
        assertEquals(4.0, quartile.max());
    }

    @Test
    void fiveObservationsAreStillExact() {
        P2Quantile q = new P2Quantile(0.9);
        for (double x : new double[] {50, 10, 40, 20, 30}) {
            q.add(x);
        }
        // rank 0.9 * 4 = 3.6 between 40 and 50
        assertEquals(46.0, q.estimate(), 1e-12);
    }

    @Test
    void aConstantStreamEstimatesTheConstant() {
        P2Quantile q = new P2Quantile(0.99);
        for (int i = 0; i < 10_000; i++) {
            q.add(42.0);
        }
        assertEquals(42.0, q.estimate());
        assertEquals(42.0, q.min());
        assertEquals(42.0, q.max());
        assertEquals(10_000, q.count());
    }

    @Test
    void followsThePapersWorkedExample() {
        // Jain and Chlamtac's example stream for the median; the expected height is the paper's steps
        // carried out in double precision.
        double[] stream = {0.02, 0.5, 0.74, 3.39, 0.83, 22.37, 10.15, 15.43, 38.62, 15.92,
                           34.60, 10.28, 1.47, 0.40, 0.05, 11.39, 0.27, 0.42, 0.09, 11.37};
        P2Quantile q = new P2Quantile(0.5);
        for (double x : stream) {
            q.add(x);
        }
        assertEquals(4.2462394088036435, q.estimate(), 1e-12);
        assertEquals(0.02, q.min());
        assertEquals(38.62, q.max());
    }

    @Test
    void anAscendingStreamTracksItsQuantiles() {
        P2Quantile median = new P2Quantile(0.5);
        P2Quantile p99 = new P2Quantile(0.99);
        for (int i = 1; i <= 10_001; i++) {
            median.add(i);
            p99.add(i);
        }
        assertEquals(5001.0, median.estimate(), 10_000 * 0.01);
        assertEquals(9901.0, p99.estimate(), 10_000 * 0.01);
    }

    @Test
    void clearStartsANewWindow() {
        P2Quantile q = new P2Quantile(0.5);
        for (int i = 0; i < 100; i++) {
            q.add(1000 + i);
        }
        q.clear();
        assertEquals(0, q.count());
        assertThrows(IllegalStateException.class, q::estimate);
        q.add(7);
        q.add(9);
        assertEquals(8.0, q.estimate());
        assertEquals(7.0, q.min());
    }

    @Test
    void exactRejectsAnEmptySampleAndABadQuantile() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> P2Quantile.exact(new double[0], 0.5));
        assertTrue(empty.getMessage().contains("0"), empty.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> P2Quantile.exact(new double[] {1}, 1.25));
        assertTrue(bad.getMessage().contains("1.25"), bad.getMessage());
        assertEquals(1.0, P2Quantile.exact(new double[] {1, 2}, 0.0));
        assertEquals(2.0, P2Quantile.exact(new double[] {1, 2}, 1.0));
    }
}
