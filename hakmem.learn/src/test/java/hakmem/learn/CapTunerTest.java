package hakmem.learn;

import hakmem.learn.CapTuner.ClassWindow;
import hakmem.learn.CapTuner.Settings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CapTuner} with the default settings: target 0.90, band 0.05, dwell 3 windows, caps 1..1024. */
class CapTunerTest {

    private static final int[] CLASSES = {64, 256, 1024};
    private static final long ROOMY = 1L << 40;

    private static CapTuner roomy(int initialCap) {
        return new CapTuner(CLASSES, ROOMY, 8, initialCap, Settings.DEFAULT);
    }

    /** A magazine whose hit rate grows with its cap as cap / (cap + 16). */
    private static ClassWindow served(int sizeClass, int cap) {
        return new ClassWindow(sizeClass, 1000L * cap, 16_000L);
    }

    @Test
    void aLowHitRateDoublesTheCapOncePerDwell() {
        CapTuner tuner = roomy(8);
        List<ClassWindow> missing = List.of(new ClassWindow(0, 50, 50));
        assertArrayEquals(new int[] {16, 8, 8}, tuner.tune(missing, 1));
        assertArrayEquals(new int[] {16, 8, 8}, tuner.tune(missing, 1), "dwell: one window since the change");
        assertArrayEquals(new int[] {16, 8, 8}, tuner.tune(missing, 1), "dwell: two windows since the change");
        assertArrayEquals(new int[] {32, 8, 8}, tuner.tune(missing, 1));
    }

    @Test
    void insideTheBandNothingChanges() {
        CapTuner tuner = roomy(8);
        for (long hits : new long[] {850, 900, 950}) {
            tuner.tune(List.of(new ClassWindow(1, hits, 1000 - hits)), 1);
            assertEquals(8, tuner.cap(1), "hit rate " + hits / 1000.0);
        }
        tuner.tune(List.of(new ClassWindow(1, 849, 151)), 1);
        assertEquals(16, tuner.cap(1), "just below the band");
    }

    @Test
    void aHighHitRateGivesBackAQuarterDownToTheMinimum() {
        CapTuner tuner = roomy(8);
        List<ClassWindow> always = List.of(new ClassWindow(2, 1000, 0));
        int[] expected = {6, 5, 4, 3, 2, 1, 1};
        for (int step : expected) {
            tuner.tune(always, 1);
            assertEquals(step, tuner.cap(2));
            tuner.tune(always, 1);
            tuner.tune(always, 1);
        }
    }

    @Test
    void capsStayAtTheMaximum() {
        CapTuner tuner = roomy(1000);
        tuner.tune(List.of(new ClassWindow(0, 0, 1000)), 1);
        assertEquals(1024, tuner.cap(0));
        for (int i = 0; i < 9; i++) {
            tuner.tune(List.of(new ClassWindow(0, 0, 1000)), 1);
        }
        assertEquals(1024, tuner.cap(0));
    }

    @Test
    void aWindowWithoutTrafficLeavesAClassAloneAndCountsTowardDwell() {
        CapTuner tuner = roomy(8);
        tuner.tune(List.of(new ClassWindow(0, 0, 0)), 1);
        assertArrayEquals(new int[] {8, 8, 8}, tuner.caps());
        tuner.tune(List.of(new ClassWindow(0, 0, 10)), 1);
        assertEquals(16, tuner.cap(0));
        tuner.tune(List.of(), 1);
        tuner.tune(List.of(new ClassWindow(0, 0, 0)), 1);
        assertEquals(16, tuner.cap(0));
        tuner.tune(List.of(new ClassWindow(0, 0, 10)), 1);
        assertEquals(32, tuner.cap(0), "two quiet windows and this one make the dwell");
    }

    @Test
    void growsIntoTheBandAndSettles() {
        CapTuner tuner = roomy(8);
        List<Integer> changedAt = new ArrayList<>();
        for (int w = 0; w < 40; w++) {
            int before = tuner.cap(0);
            tuner.tune(List.of(served(0, before)), 1);
            if (tuner.cap(0) != before) {
                changedAt.add(w);
            }
        }
        // 8 -> 16 -> 32 -> 64 -> 128, whose hit rate 128/144 = 0.889 is inside 0.85..0.95
        assertEquals(128, tuner.cap(0));
        assertEquals(List.of(0, 3, 6, 9), changedAt);
    }

    @Test
    void shrinksIntoTheBandAndSettles() {
        CapTuner tuner = roomy(1024);
        for (int w = 0; w < 40; w++) {
            tuner.tune(List.of(served(1, tuner.cap(1))), 1);
        }
        // 1024 -> 768 -> 576 -> 432 -> 324 (0.953) -> 243 (0.938, inside the band)
        assertEquals(243, tuner.cap(1));
    }

    @Test
    void theConstructorFitsInitialCapsIntoTheBudgetLargestClassFirst() {
        // 8 * (64 + 256 + 1024) * 2 threads = 21504 > 20000: the 1024 B class gives one block per thread
        CapTuner tuner = new CapTuner(CLASSES, 20_000, 2, 8, Settings.DEFAULT);
        assertArrayEquals(new int[] {8, 8, 7}, tuner.caps());
        assertEquals(19_456, tuner.heldBound(2));
    }

    @Test
    void overTheBudgetTheCheapestMissesShrinkFirst() {
        CapTuner tuner = new CapTuner(CLASSES, 21_504, 2, 8, Settings.DEFAULT);
        assertEquals(21_504, tuner.heldBound(2), "exactly at the budget");
        // class 0 misses most and doubles (+1024 B over two threads); classes 1 and 2 sit in the band,
        // and class 1 missed less than class 2, so it pays: 2 blocks x 2 threads x 256 B = 1024 B
        int[] caps = tuner.tune(List.of(new ClassWindow(0, 100, 900), new ClassWindow(1, 900, 95),
                new ClassWindow(2, 900, 110)), 2);
        assertArrayEquals(new int[] {16, 6, 8}, caps);
        assertEquals(21_504, tuner.heldBound(2));
    }

    @Test
    void moreThreadsShrinkCapsToKeepTheBudgetAndRestartTheDwell() {
        // Initial caps must fit at the most threads: 8 x 1344 x 4 = 43008 > 40000, the largest class gives one.
        CapTuner tuner = new CapTuner(CLASSES, 40_000, 4, 8, Settings.DEFAULT);
        assertArrayEquals(new int[] {8, 8, 7}, tuner.caps());
        tuner.tune(List.of(new ClassWindow(0, 900, 100), new ClassWindow(1, 900, 100), new ClassWindow(2, 100, 900)), 2);
        assertArrayEquals(new int[] {8, 8, 14}, tuner.caps());
        assertEquals(33_792, tuner.heldBound(2));
        // 4 threads: 67584 B, 27584 over. Class 1 missed least: all but its minimum (7 x 1024 B);
        // classes 0 and 2 tie on misses, the larger gives 5 x 4096 B.
        tuner.tune(List.of(new ClassWindow(0, 900, 100), new ClassWindow(1, 900, 95), new ClassWindow(2, 900, 100)), 4);
        assertArrayEquals(new int[] {8, 1, 9}, tuner.caps());
        assertEquals(39_936, tuner.heldBound(4));
        List<ClassWindow> starving = List.of(new ClassWindow(2, 0, 100));
        tuner.tune(starving, 1);
        tuner.tune(starving, 1);
        assertEquals(9, tuner.cap(2), "the budget's change restarted the dwell");
        tuner.tune(starving, 1);
        assertEquals(18, tuner.cap(2));
    }

    @Test
    void rejectsBadArguments() {
        assertMessage("0.0", () -> new Settings(0.0, 0.0, 1, 1, 1));
        assertMessage("0.2", () -> new Settings(0.9, 0.2, 1, 1, 1));
        assertMessage("0", () -> new Settings(0.9, 0.05, 0, 1, 1));
        assertMessage("-1", () -> new Settings(0.9, 0.05, 1, -1, 1));
        assertMessage("4", () -> new Settings(0.9, 0.05, 1, 8, 4));
        assertMessage("-5", () -> new ClassWindow(-5, 0, 0));
        assertMessage("-6", () -> new ClassWindow(0, -6, 0));
        assertMessage("-7", () -> new ClassWindow(0, 0, -7));
        assertMessage("0", () -> new CapTuner(new int[] {64, 0}, ROOMY, 1, 1, Settings.DEFAULT));
        assertMessage("[]", () -> new CapTuner(new int[0], ROOMY, 1, 1, Settings.DEFAULT));
        assertMessage("0", () -> new CapTuner(CLASSES, ROOMY, 0, 1, Settings.DEFAULT));
        assertMessage("-2", () -> new CapTuner(CLASSES, ROOMY, 1, -2, Settings.DEFAULT));
        assertMessage("1343", () -> new CapTuner(CLASSES, 1343, 1, 1, Settings.DEFAULT));
        assertMessage("overflows", () -> new CapTuner(CLASSES, ROOMY, Integer.MAX_VALUE, 1,
                new Settings(0.9, 0.05, 1, 1, Integer.MAX_VALUE)));
        CapTuner tuner = roomy(8);
        assertMessage("9", () -> tuner.tune(List.of(), 9));
        assertMessage("3", () -> tuner.tune(List.of(new ClassWindow(3, 1, 1)), 1));
        assertMessage("twice", () -> tuner.tune(List.of(new ClassWindow(1, 1, 1), new ClassWindow(1, 2, 2)), 1));
        assertMessage("-1", () -> tuner.cap(-1));
        assertThrows(IllegalArgumentException.class, () -> tuner.tune(null, 1));
        assertArrayEquals(new int[] {8, 8, 8}, tuner.caps(), "a rejected window changes nothing");
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "\"" + part + "\" not in: " + e.getMessage());
    }
}
