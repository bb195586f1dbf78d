package hakmem.learn;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EloTableTest {

    private static final Strategy A = new Strategy("a", 16, 64L << 20, 128L << 20);
    private static final Strategy B = new Strategy("b", 64, 256L << 20, 128L << 20);
    private static final Strategy C = new Strategy("c", 0, 0, 0);

    private static final WindowCost CHEAP = new WindowCost(20.0, 0, 1 << 20);
    private static final WindowCost DEAR = new WindowCost(60.0, 4 << 20, 3 << 20);

    @Test
    void everyStrategyStartsAtFifteenHundred() {
        EloTable table = new EloTable(List.of(A, B, C));
        for (Strategy s : List.of(A, B, C)) {
            assertEquals(1500.0, table.rating(s));
            assertEquals(0, table.matches(s));
        }
        assertEquals(32.0, table.k());
        assertSame(A, table.leader(), "a tie goes to the first given");
        assertEquals(0.0, table.margin());
    }

    @Test
    void expectedScoreIsTheLogisticOfTheRatingGap() {
        assertEquals(0.5, EloTable.expected(1500, 1500));
        assertEquals(1.0 / 11.0, EloTable.expected(1500, 1900), 1e-15, "400 points: ten to one");
        assertEquals(10.0 / 11.0, EloTable.expected(1900, 1500), 1e-15);
        assertEquals(0.6400649998028851, EloTable.expected(1600, 1500), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> EloTable.expected(Double.NaN, 1500));
    }

    @Test
    void ratingsMoveByKTimesTheSurprise() {
        EloTable table = new EloTable(List.of(A, B));
        table.record(A, B, 1.0);
        // expected 0.5, so A gains 32 * 0.5 and B loses as much
        assertEquals(1516.0, table.rating(A), 1e-12);
        assertEquals(1484.0, table.rating(B), 1e-12);
        table.record(A, B, 0.0);
        // A was expected to score 1 / (1 + 10^(-32/400)) = 0.5459219227804837 and scored 0
        assertEquals(1516.0 - 32 * 0.5459219227804837, table.rating(A), 1e-9);
        assertEquals(1498.5304984710244, table.rating(A), 1e-9);
        assertEquals(1501.4695015289756, table.rating(B), 1e-9);
        assertEquals(2, table.matches(A));
        assertSame(B, table.leader());
    }

    @Test
    void kScalesTheMove() {
        EloTable table = new EloTable(List.of(A, B), 16.0);
        table.record(B, A, 1.0);
        assertEquals(1508.0, table.rating(B), 1e-12);
        assertEquals(1492.0, table.rating(A), 1e-12);
    }

    @Test
    void outcomeWeighsTimeByHalfAndEachMemoryCostByAQuarter() {
        WindowCost fast = new WindowCost(100.0, 0, 1000);
        WindowCost slow = new WindowCost(300.0, 0, 1000);
        // time: 300 / 400 = 0.75; mapped 0 and 0 tie; held ties: 0.5*0.75 + 0.25*0.5 + 0.25*0.5
        assertEquals(0.625, EloTable.outcome(fast, slow), 1e-12);
        assertEquals(0.375, EloTable.outcome(slow, fast), 1e-12);
        assertEquals(0.5, EloTable.outcome(fast, fast));

        WindowCost quickButHungry = new WindowCost(50.0, 3000, 3000);
        WindowCost slowButLean = new WindowCost(100.0, 1000, 1000);
        // time 100/150 = 2/3 for the quick one; each memory part 1000/4000 = 1/4
        assertEquals(0.5 * 2.0 / 3.0 + 0.25 * 0.25 + 0.25 * 0.25, EloTable.outcome(quickButHungry, slowButLean), 1e-12);
        assertTrue(EloTable.outcome(quickButHungry, slowButLean) < 0.5, "speed bought with memory loses");

        EloTable table = new EloTable(List.of(A, B));
        assertEquals(0.625, table.play(A, fast, B, slow), 1e-12);
        assertEquals(1504.0, table.rating(A), 1e-12);
        assertEquals(1496.0, table.rating(B), 1e-12);
    }

    @Test
    void theSumOfRatingsIsConserved() {
        List<Strategy> all = List.of(A, B, C);
        EloTable table = new EloTable(all);
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 5_000; i++) {
            Strategy x = all.get(random.nextInt(3));
            Strategy y = all.get((all.indexOf(x) + 1 + random.nextInt(2)) % 3);
            table.record(x, y, random.nextDouble());
            double sum = table.rating(A) + table.rating(B) + table.rating(C);
            assertEquals(3 * 1500.0, sum, 1e-6, "after match " + i);
        }
    }

    @Test
    void aDominatedStrategySinks() {
        EloTable table = new EloTable(List.of(A, B, C));
        WindowCost middling = new WindowCost(40.0, 1 << 20, 2 << 20);
        for (int i = 0; i < 50; i++) {
            table.play(A, CHEAP, C, DEAR);
            table.play(B, middling, C, DEAR);
            table.play(A, CHEAP, B, middling);
        }
        assertSame(A, table.leader());
        assertTrue(table.rating(A) > table.rating(B) && table.rating(B) > table.rating(C), table::toString);
        assertTrue(table.rating(C) < 1500.0 - 100.0, table::toString);
        assertTrue(table.margin() > 0.0);
        assertSame(B, table.bestOtherThan(A));
        assertSame(A, table.bestOtherThan(C));
    }

    @Test
    void epsilonZeroAlwaysPicksTheLeader() {
        EloTable table = new EloTable(List.of(A, B, C));
        table.record(B, A, 1.0);
        RandomGenerator random = new SplittableRandom(1);
        for (int i = 0; i < 1_000; i++) {
            assertSame(B, table.pick(0.0, random));
        }
    }

    @Test
    void epsilonOneExploresUniformly() {
        EloTable table = new EloTable(List.of(A, B, C));
        table.record(C, A, 1.0); // a clear leader must not matter
        RandomGenerator random = new SplittableRandom(42);
        int draws = 30_000;
        int[] counts = new int[3];
        for (int i = 0; i < draws; i++) {
            counts[List.of(A, B, C).indexOf(table.pick(1.0, random))]++;
        }
        // one standard deviation of a share is sqrt(1/3 * 2/3 / 30000), about 0.0027: 0.02 is over 7 of them
        for (int c : counts) {
            assertEquals(1.0 / 3.0, (double) c / draws, 0.02, java.util.Arrays.toString(counts));
        }
    }

    @Test
    void epsilonSplitsBetweenTheLeaderAndExploration() {
        EloTable table = new EloTable(List.of(A, B, C, new Strategy("d", 1, 1, 1)));
        RandomGenerator random = new SplittableRandom(9);
        int leader = 0;
        int draws = 40_000;
        for (int i = 0; i < draws; i++) {
            leader += table.pick(0.2, random) == A ? 1 : 0;
        }
        // the leader gets 1 - epsilon plus its quarter of the exploration: 0.8 + 0.2 / 4
        assertEquals(0.85, (double) leader / draws, 0.015);
    }

    @Test
    void aSingleStrategyHasAnInfiniteMargin() {
        EloTable table = new EloTable(List.of(A));
        assertEquals(Double.POSITIVE_INFINITY, table.margin());
        assertEquals(null, table.bestOtherThan(A));
        assertSame(A, table.pick(1.0, new SplittableRandom(0)));
    }

    @Test
    void resetForgetsTheRatings() {
        EloTable table = new EloTable(List.of(A, B));
        table.record(A, B, 1.0);
        table.reset();
        assertEquals(1500.0, table.rating(A));
        assertEquals(1500.0, table.rating(B));
        assertEquals(0, table.matches(A));
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new EloTable(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new EloTable(null));
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class, () -> new EloTable(List.of(A), -1.0));
        assertTrue(k.getMessage().contains("-1.0"), k.getMessage());
        IllegalArgumentException twin = assertThrows(IllegalArgumentException.class,
                () -> new EloTable(List.of(A, new Strategy("a", 1, 1, 1))));
        assertTrue(twin.getMessage().contains("\"a\""), twin.getMessage());

        EloTable table = new EloTable(List.of(A, B));
        IllegalArgumentException score = assertThrows(IllegalArgumentException.class, () -> table.record(A, B, 1.5));
        assertTrue(score.getMessage().contains("1.5"), score.getMessage());
        IllegalArgumentException self = assertThrows(IllegalArgumentException.class, () -> table.record(A, A, 1.0));
        assertTrue(self.getMessage().contains("a"), self.getMessage());
        IllegalArgumentException stranger = assertThrows(IllegalArgumentException.class, () -> table.rating(C));
        assertTrue(stranger.getMessage().contains("c"), stranger.getMessage());
        IllegalArgumentException eps = assertThrows(IllegalArgumentException.class,
                () -> table.pick(1.1, new SplittableRandom(0)));
        assertTrue(eps.getMessage().contains("1.1"), eps.getMessage());
        assertThrows(IllegalArgumentException.class, () -> table.pick(0.1, null));
        assertThrows(IllegalArgumentException.class, () -> EloTable.outcome(null, CHEAP));
        IllegalArgumentException time = assertThrows(IllegalArgumentException.class,
                () -> new WindowCost(-1.0, 0, 0));
        assertTrue(time.getMessage().contains("-1.0"), time.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WindowCost(Double.NaN, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new WindowCost(1.0, -2, 0));
        assertThrows(IllegalArgumentException.class, () -> new WindowCost(1.0, 0, -3));
    }
}
