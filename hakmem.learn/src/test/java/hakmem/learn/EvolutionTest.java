package hakmem.learn;

import hakmem.learn.Evolution.State;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The state machine driven by scripted windows: no threads, no sleeping. The clock advances one window
 * per window; {@link ScriptedChance} writes down exploration where a test needs exact steps.
 *
 * <p>Most tests use {@link Mode#FAST}: epsilon 0.2, converged after 5 windows by 30 points, a learn budget
 * of 60 windows, a canary every 200 frozen windows with 1 window in 20 for 3 trials and a margin of 0.05,
 * p99 degraded past +50 % for 2 windows, drift past 0.30.
 */
class EvolutionTest {

    private static final Strategy SLOW = new Strategy("slow", 0, 0, 0);
    private static final Strategy GOOD = new Strategy("good", 32, 128L << 20, 64L << 20);
    private static final Strategy THIRD = new Strategy("third", 8, 16L << 20, 0);

    private static final WindowCost CHEAP = new WindowCost(20.0, 0, 1 << 20);
    private static final WindowCost DEAR = new WindowCost(60.0, 4 << 20, 3 << 20);
    private static final String SITE = "json.parse";

    /** The engine, its clock, and what each window reports. */
    private static final class Run {
        final Evolution engine;
        final RandomGenerator random;
        long now;
        Function<Strategy, WindowCost> cost = s -> s.equals(GOOD) ? CHEAP : DEAR;
        double p99 = 1000.0;
        Map<String, SizeSignature> sizes = Map.of(SITE, signature(64, 1000));
        final List<Strategy> ran = new ArrayList<>();

        Run(Mode mode, List<Strategy> candidates, RandomGenerator random) {
            this.random = random;
            engine = new Evolution(mode, candidates, () -> now, random);
        }

        void window() {
            Strategy s = engine.current();
            ran.add(s);
            now += engine.mode().windowNanos();
            engine.finish(new WindowResult(cost.apply(s), p99, sizes));
        }

        void windows(int n) {
            for (int i = 0; i < n; i++) {
                window();
            }
        }

        Transition last() {
            return engine.transitions().getLast();
        }
    }

    private static SizeSignature signature(long size, long count) {
        SizeSignature s = new SizeSignature();
        s.record(size, count);
        return s;
    }

    /** LEARN on [slow, good] with the steps worked out in {@link #learnConvergesOnTheBetterStrategy}. */
    private static Run frozenOnGood() {
        Run run = new Run(Mode.FAST, List.of(SLOW, GOOD), new ScriptedChance(-1, 1, -1, 0));
        run.windows(8);
        assertSame(State.FROZEN, run.engine.state());
        return run;
    }

    @Test
    void minimalNeverLearns() {
        Run run = new Run(Mode.MINIMAL, List.of(SLOW, GOOD), new ScriptedChance());
        assertSame(State.FROZEN, run.engine.state());
        assertSame(SLOW, run.engine.confirmed());
        run.windows(50);
        run.p99 = 1e9;
        run.sizes = Map.of(SITE, signature(1 << 30, 10_000));
        run.windows(50);
        assertSame(State.FROZEN, run.engine.state());
        assertTrue(run.ran.stream().allMatch(SLOW::equals), "MINIMAL explores nothing");
        assertTrue(run.engine.transitions().isEmpty());
        assertEquals(1500.0, run.engine.rating(GOOD), "MINIMAL plays no matches");
        assertTrue(!Mode.MINIMAL.learns() && Mode.MINIMAL.epsilon() == 0.0 && Mode.MINIMAL.canaryShare() == 0.0);
    }

    @Test
    void learnConvergesOnTheBetterStrategy() {
        // window 1 slow; explore good; 2 good beats slow (+10: margin 20); 3 good; explore slow;
        // 4 slow loses (margin 38 >= 30, streak 1); 5..8 good (streak 2..5): frozen after window 8.
        Run run = new Run(Mode.FAST, List.of(SLOW, GOOD), new ScriptedChance(-1, 1, -1, 0));
        assertSame(State.LEARN, run.engine.state());
        assertNull(run.engine.confirmed());
        run.windows(7);
        assertSame(State.LEARN, run.engine.state());
        run.window();
        assertSame(State.FROZEN, run.engine.state());
        assertEquals(List.of(SLOW, GOOD, GOOD, SLOW, GOOD, GOOD, GOOD, GOOD), run.ran);
        assertSame(GOOD, run.engine.confirmed());
        assertSame(GOOD, run.engine.current());

        double afterFirst = 32 * (EloTable.outcome(CHEAP, DEAR) - 0.5);
        assertEquals(10.0, afterFirst, 1e-12);
        assertTrue(run.engine.rating(GOOD) - run.engine.rating(SLOW) >= 30.0);
        assertEquals(3000.0, run.engine.rating(GOOD) + run.engine.rating(SLOW), 1e-9);

        assertEquals(1, run.engine.transitions().size());
        Transition t = run.last();
        assertSame(State.LEARN, t.from());
        assertSame(State.FROZEN, t.to());
        assertTrue(t.reason().startsWith("converged: good led by "), t.reason());
        assertTrue(t.reason().endsWith(">= 30.0 ELO points for 5 windows"), t.reason());
        assertEquals(8 * Mode.FAST.windowNanos(), t.atNanos());
        assertEquals(1000.0, run.engine.baselineP99(), "the median p99 of good's streak windows");
    }

    @Test
    void frozenPlaysNoMatchesAndDrawsNothing() {
        Run run = frozenOnGood();
        ScriptedChance chance = (ScriptedChance) run.random;
        assertEquals(0, chance.left(), "the script was spent in LEARN");
        int draws = chance.draws();
        double good = run.engine.rating(GOOD);
        run.windows(150);
        assertSame(State.FROZEN, run.engine.state());
        assertEquals(good, run.engine.rating(GOOD));
        assertTrue(run.ran.subList(8, run.ran.size()).stream().allMatch(GOOD::equals));
        assertEquals(draws, chance.draws(), "FROZEN explores nothing");
        assertEquals(1, run.engine.transitions().size());
    }

    @Test
    void aDegradedP99ForTwoWindowsSendsFrozenBackToLearn() {
        Run run = frozenOnGood();
        run.p99 = 1600.0; // limit 1000 * 1.5
        run.window();
        assertSame(State.FROZEN, run.engine.state(), "one slow window is not a trend");
        run.p99 = 1400.0;
        run.window();
        run.p99 = 1600.0;
        run.window();
        assertSame(State.FROZEN, run.engine.state(), "the streak restarted after a good window");
        run.window();
        assertSame(State.LEARN, run.engine.state());
        Transition t = run.last();
        assertSame(State.FROZEN, t.from());
        assertSame(State.LEARN, t.to());
        assertEquals("p99 degraded: 1600 ns > 1500 ns (baseline 1000 ns + 50%) for 2 windows", t.reason());
        assertEquals(12 * Mode.FAST.windowNanos(), t.atNanos());
        assertEquals(1500.0, run.engine.rating(GOOD), "ratings of a workload that is gone are dropped");
        assertEquals(1500.0, run.engine.rating(SLOW));
    }

    @Test
    void sizeDriftSendsFrozenBackToLearn() {
        Run run = frozenOnGood();
        run.sizes = Map.of(SITE, signature(1 << 16, 255));
        run.window();
        assertSame(State.FROZEN, run.engine.state(), "too few samples to judge");
        run.sizes = Map.of("other.site", signature(1 << 16, 10_000));
        run.window();
        assertSame(State.FROZEN, run.engine.state(), "a site without a baseline is not drift");
        SizeSignature some = signature(64, 750);
        some.record(1 << 16, 250);
        run.sizes = Map.of(SITE, some);
        run.window();
        assertSame(State.FROZEN, run.engine.state(), "a quarter moved: under the 0.30 threshold");
        SizeSignature more = signature(64, 600);
        more.record(1 << 16, 400);
        run.sizes = Map.of(SITE, more, "other.site", signature(8, 500));
        run.window();
        assertSame(State.LEARN, run.engine.state());
        Transition t = run.last();
        assertSame(State.FROZEN, t.from());
        assertEquals("size drift: site json.parse moved 0.400 > 0.300 from its baseline", t.reason());
        assertEquals(12 * Mode.FAST.windowNanos(), t.atNanos());
    }

    @Test
    void aCanaryThatWinsIsAdopted() {
        Run run = frozenOnGood();
        run.windows(199);
        assertSame(State.FROZEN, run.engine.state());
        run.window();
        assertSame(State.CANARY, run.engine.state());
        assertSame(SLOW, run.engine.challenger());
        assertEquals("canary: slow tries 1 window in 20 against good for 3 trials after 200 frozen windows",
                run.last().reason());
        assertEquals(208 * Mode.FAST.windowNanos(), run.last().atNanos());

        // The workload turned: slow's knobs now cost less than good's.
        double slowBefore = run.engine.rating(SLOW);
        run.cost = s -> s.equals(SLOW) ? CHEAP : DEAR;
        run.p99 = 800.0;
        run.windows(59);
        assertSame(State.CANARY, run.engine.state());
        run.window();
        List<Strategy> canary = run.ran.subList(208, 268);
        for (int i = 0; i < canary.size(); i++) {
            assertSame((i + 1) % 20 == 0 ? SLOW : GOOD, canary.get(i), "canary window " + i);
        }
        assertSame(State.FROZEN, run.engine.state());
        assertSame(SLOW, run.engine.confirmed());
        assertSame(SLOW, run.engine.current());
        assertNull(run.engine.challenger());
        assertEquals("adopted: slow scored 0.813 >= 0.550 over 3 trials against good", run.last().reason());
        assertSame(State.CANARY, run.last().from());
        assertEquals(800.0, run.engine.baselineP99(), "the challenger's p99 is the new baseline");
        assertTrue(run.engine.rating(SLOW) > slowBefore + 20.0, "the canary's three wins count in ELO");
    }

    @Test
    void aCanaryThatLosesIsRolledBack() {
        Run run = frozenOnGood();
        run.windows(200);
        assertSame(State.CANARY, run.engine.state());
        run.windows(60);
        assertSame(State.FROZEN, run.engine.state());
        assertSame(GOOD, run.engine.confirmed());
        assertEquals("rolled back: slow scored 0.188 < 0.550 over 3 trials; kept good", run.last().reason());
        assertEquals(3, run.ran.subList(208, 268).stream().filter(SLOW::equals).count(), "a 5 % share");
        assertEquals(1000.0, run.engine.baselineP99());
        // The next canary comes one period later.
        run.windows(199);
        assertSame(State.FROZEN, run.engine.state());
        run.window();
        assertSame(State.CANARY, run.engine.state());
        assertEquals(List.of(State.FROZEN, State.CANARY, State.FROZEN, State.CANARY),
                run.engine.transitions().stream().map(Transition::to).toList());
    }

    @Test
    void driftDuringACanaryEndsItInLearn() {
        Run run = frozenOnGood();
        run.windows(200);
        assertSame(State.CANARY, run.engine.state());
        run.windows(5);
        run.sizes = Map.of(SITE, signature(1 << 20, 300));
        run.window();
        assertSame(State.LEARN, run.engine.state());
        assertSame(State.CANARY, run.last().from());
        assertEquals("size drift: site json.parse moved 1.000 > 0.300 from its baseline", run.last().reason());
        assertNull(run.engine.challenger());
    }

    @Test
    void aDegradedIncumbentDuringACanaryEndsItInLearn() {
        Run run = frozenOnGood();
        run.windows(200);
        run.p99 = 2000.0;
        run.windows(2);
        assertSame(State.LEARN, run.engine.state());
        assertSame(State.CANARY, run.last().from());
        assertEquals("p99 degraded: 2000 ns > 1500 ns (baseline 1000 ns + 50%) for 2 windows", run.last().reason());
    }

    @Test
    void theLearnBudgetFreezesTheLeaderWhenNoneStandsOut() {
        Run run = new Run(Mode.FAST, List.of(SLOW, GOOD), new SplittableRandom(5));
        run.cost = s -> CHEAP; // indistinguishable
        run.windows(59);
        assertSame(State.LEARN, run.engine.state());
        run.window();
        assertSame(State.FROZEN, run.engine.state());
        assertSame(SLOW, run.engine.confirmed(), "all tied: the first candidate leads");
        assertEquals("learn budget spent: no leader held 30.0 ELO points for 5 windows in 60; froze the leader slow",
                run.last().reason());
        assertTrue(run.ran.contains(GOOD), "epsilon explored the other strategy");
        assertTrue(Double.isNaN(run.engine.baselineP99()));
        run.p99 = 700.0;
        run.window();
        assertEquals(700.0, run.engine.baselineP99(), "the first frozen window sets a missing baseline");
    }

    @Test
    void seededLearningFindsTheBestOfThreeAndReplaysExactly() {
        List<Transition> first = seededRun(11);
        List<Transition> again = seededRun(11);
        assertEquals(first, again, "same seed, same windows: same decisions");
        assertTrue(first.getFirst().reason().startsWith("converged: good "), first.getFirst().reason());
    }

    private static List<Transition> seededRun(long seed) {
        Run run = new Run(Mode.BALANCED, List.of(SLOW, THIRD, GOOD), new SplittableRandom(seed));
        SplittableRandom noise = new SplittableRandom(seed + 1);
        run.cost = s -> {
            double base = s.equals(GOOD) ? 10.0 : s.equals(THIRD) ? 30.0 : 45.0;
            long held = s.equals(GOOD) ? 1 << 20 : 3 << 20;
            return new WindowCost(base * (0.8 + 0.4 * noise.nextDouble()), noise.nextLong(1 << 20), held);
        };
        while (run.engine.state() == State.LEARN) {
            run.window();
        }
        assertSame(GOOD, run.engine.confirmed(), run.engine::toString);
        return run.engine.transitions();
    }

    @Test
    void transitionsAreBoundedOldestDropped() {
        Run run = new Run(Mode.FAST, List.of(GOOD), new ScriptedChance());
        SizeSignature small = signature(64, 1000);
        SizeSignature large = signature(1 << 20, 1000);
        for (int cycle = 0; cycle < 150; cycle++) {
            run.sizes = Map.of(SITE, cycle % 2 == 0 ? small : large);
            run.windows(5); // one candidate: nothing can overtake it, so 5 windows converge
            assertSame(State.FROZEN, run.engine.state(), "cycle " + cycle);
            run.sizes = Map.of(SITE, cycle % 2 == 0 ? large : small);
            run.window();
            assertSame(State.LEARN, run.engine.state(), "cycle " + cycle);
        }
        List<Transition> kept = run.engine.transitions();
        assertEquals(Evolution.MAX_TRANSITIONS, kept.size());
        assertEquals(150 * 6 * Mode.FAST.windowNanos(), kept.getLast().atNanos());
        assertSame(State.LEARN, kept.getFirst().from(), "an even count dropped: the oldest kept is a freeze");
        assertTrue(kept.getFirst().atNanos() > 0);
    }

    @Test
    void everyModeIsConsistent() {
        for (Mode m : Mode.values()) {
            assertTrue(m.windowNanos() > 0, m::name);
            assertTrue(m.epsilon() >= 0.0 && m.epsilon() <= 1.0, m::name);
            assertTrue(m.convergeWindows() >= 1 && m.learnBudget() >= m.convergeWindows(), m::name);
            assertTrue(m.canaryStride() >= 2 && m.canaryTrials() >= 1, m::name);
            if (m.learns()) {
                assertTrue(m.canaryShare() >= 0.05 && m.canaryShare() <= 0.10, m::name);
                assertTrue(m.p99Degrade() > 0.0 && m.driftThreshold() > 0.0 && m.driftThreshold() < 1.0, m::name);
                assertTrue(m.epsilon() > 0.0, m::name);
            }
        }
        assertTrue(Mode.RESEARCH.epsilon() > Mode.BALANCED.epsilon());
        assertTrue(Mode.RESEARCH.driftThreshold() < Mode.FAST.driftThreshold());
    }

    @Test
    void rejectsBadArguments() {
        List<Strategy> two = List.of(SLOW, GOOD);
        assertThrows(IllegalArgumentException.class, () -> new Evolution(null, two, () -> 0, new SplittableRandom(0)));
        assertThrows(IllegalArgumentException.class, () -> new Evolution(Mode.FAST, two, null, new SplittableRandom(0)));
        assertThrows(IllegalArgumentException.class, () -> new Evolution(Mode.FAST, two, () -> 0, null));
        assertThrows(IllegalArgumentException.class, () -> new Evolution(Mode.FAST, List.of(), () -> 0, new SplittableRandom(0)));
        Evolution e = new Evolution(Mode.FAST, two, () -> 0, new SplittableRandom(0));
        assertThrows(IllegalArgumentException.class, () -> e.finish(null));
        IllegalArgumentException p99 = assertThrows(IllegalArgumentException.class, () -> new WindowResult(CHEAP, -3.0));
        assertTrue(p99.getMessage().contains("-3.0"), p99.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WindowResult(null, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new WindowResult(CHEAP, 1.0, null));
        IllegalArgumentException reason = assertThrows(IllegalArgumentException.class,
                () -> new Transition(State.LEARN, State.FROZEN, " ", 0));
        assertTrue(reason.getMessage().contains("\" \""), reason.getMessage());
    }

    @Test
    void aWindowResultCopiesItsSignatures() {
        SizeSignature mine = signature(64, 10);
        WindowResult r = new WindowResult(CHEAP, 1.0, Map.of(SITE, mine));
        mine.record(1 << 20, 1000);
        assertEquals(10, r.sizes().get(SITE).total());
    }
}
