package hakmem.learn;

import hakmem.learn.CapTuner.ClassWindow;
import hakmem.learn.CapTuner.Settings;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CapTuner}'s bounds over random windows and thread counts, seeded by jqwik. */
class CapTunerProperties {

    private static final int[] CLASSES = {16, 64, 256, 1024, 4096, 16_384};

    @Property(seed = "4141")
    void capsStayInRangeWithinTheBudgetAndGrowOnlyAfterTheDwell(
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 6) int dwell,
            @ForAll @IntRange(min = 1, max = 64) int maxThreads, @ForAll @IntRange(min = 0, max = 2048) int initialCap) {
        SplittableRandom random = new SplittableRandom(seed);
        Settings settings = new Settings(0.9, 0.05, dwell, 1, 1024);
        long floor = 0;
        for (int b : CLASSES) {
            floor += (long) b * maxThreads;
        }
        long budget = floor + random.nextLong(0, floor * 64);
        CapTuner tuner = new CapTuner(CLASSES, budget, maxThreads, initialCap, settings);
        assertTrue(tuner.heldBound(maxThreads) <= budget, "the constructor fits the budget at the most threads");
        int[] lastRise = new int[CLASSES.length];
        java.util.Arrays.fill(lastRise, -dwell);
        for (int w = 0; w < 200; w++) {
            int threads = random.nextInt(1, maxThreads + 1);
            List<ClassWindow> window = new ArrayList<>();
            for (int c = 0; c < CLASSES.length; c++) {
                if (random.nextInt(4) != 0) {
                    window.add(new ClassWindow(c, random.nextLong(0, 10_000), random.nextLong(0, 2_000)));
                }
            }
            int[] before = tuner.caps();
            int[] after = tuner.tune(window, threads);
            assertTrue(tuner.heldBound(threads) <= budget, () -> "window over budget: " + tuner);
            for (int c = 0; c < CLASSES.length; c++) {
                assertTrue(after[c] >= 1 && after[c] <= 1024, "cap " + after[c]);
                if (after[c] > before[c]) {
                    // Only steering raises a cap, and it waits out the dwell since the class's last rise.
                    assertTrue(w - lastRise[c] >= dwell, "class " + c + " rose at " + lastRise[c] + " and " + w);
                    lastRise[c] = w;
                }
            }
        }
    }
}
