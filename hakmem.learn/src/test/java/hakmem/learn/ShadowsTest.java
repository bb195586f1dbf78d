package hakmem.learn;

import hakmem.api.spi.Policy;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ghost caches follow the runtime's rules, and shadows swap the running strategy's big-block part for each candidate's. */
class ShadowsTest {

    private static final long MIB = 1 << 20;

    @Test
    void aGhostServesTheSmallestFitWithinAQuarterAndEvictsTheOldest() {
        GhostCache g = new GhostCache(new Strategy("two", 2, 100 * MIB, 0));
        assertFalse(g.allocate(4 * MIB));
        g.free(4 * MIB);
        g.free(5 * MIB);
        assertFalse(g.allocate(3 * MIB), "4 MiB would waste over a quarter of 3");
        assertTrue(g.allocate(4 * MIB - 100), "rounded up to pages, it fits the 4 MiB mapping exactly");
        assertEquals(5 * MIB, g.bytes());
        g.free(6 * MIB);
        g.free(7 * MIB); // two blocks at most: the 5 MiB one, the oldest, goes
        assertEquals(13 * MIB, g.bytes());
        assertFalse(g.allocate(5 * MIB - 4096 * 300), "5 MiB is gone; 6 MiB wastes over a quarter");
        g.free(200 * MIB); // over the byte limit: dropped, not cached
        assertEquals(13 * MIB, g.bytes());
        assertEquals(1, g.hits());
        assertEquals(3, g.misses());
        g.newWindow();
        assertEquals(0, g.hits() + g.misses() + g.missBytes());
        assertEquals(13 * MIB, g.bytes(), "the cached mappings outlive the window");
    }

    @Test
    void aCacheOfNoBlocksHoldsNothing() {
        GhostCache g = new GhostCache(new Strategy("none", 0, 0, 0));
        g.free(MIB);
        assertEquals(0, g.bytes());
        assertFalse(g.allocate(MIB));
    }

    @Test
    void shadowCostsSwapTheRunningStrategysMissesForEachCandidates() {
        Strategy small = Strategy.of("lean", Policy.LEAN);   // 2 blocks, 8 MiB
        Strategy big = Strategy.of("roomy", Policy.ROOMY);   // 64 blocks, 512 MiB
        Shadows s = new Shadows(List.of(small, big));
        // Ten 4 MiB blocks cycle twice while lean runs: lean's ghost keeps at most 2 (8 MiB), roomy's all ten.
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 10; i++) {
                s.allocate(small, 4 * MIB + i * 4096, round == 0 ? 100_000 : 90_000);
            }
            for (int i = 0; i < 10; i++) {
                s.free(4 * MIB + i * 4096);
            }
        }
        Map<Strategy, WindowCost> costs = s.costs(small, new WindowCost(95_000, 80 * MIB, 200 * MIB), 20);
        WindowCost lean = costs.get(small);
        WindowCost roomy = costs.get(big);
        assertEquals(new WindowCost(95_000, 80 * MIB, 200 * MIB), lean, "the running strategy's cost is the real one");
        assertTrue(roomy.bytesMapped() < lean.bytesMapped(), "roomy's second round hits: " + roomy);
        assertTrue(roomy.nanosPerOp() <= lean.nanosPerOp(), roomy.toString());
        assertTrue(roomy.bytesHeld() > lean.bytesHeld(), "roomy holds every freed block: " + roomy);
        assertEquals(s.held(big) - s.held(small), roomy.bytesHeld() - lean.bytesHeld());
    }
}
