package hakmem.learn;

import hakmem.api.spi.Policy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StrategyTest {

    @Test
    void turnsIntoThePolicyWithTheSameKnobs() {
        Strategy s = new Strategy("big-cache-32", 32, 128L << 20, 0);
        assertEquals(new Policy(32, 128L << 20, 0), s.toPolicy(Policy.DEFAULT));
        assertEquals(Policy.DEFAULT, Strategy.of("default", Policy.DEFAULT).toPolicy(Policy.DEFAULT));
        Policy pinned = Policy.DEFAULT.withPoolMaxBytes(4096).withRoundingSlack(1.0);
        assertEquals(new Policy(32, 128L << 20, 0, 4096, 1.0), s.toPolicy(pinned), "knobs no strategy varies stay the base's");
        assertEquals("default", Strategy.of("default", Policy.DEFAULT).name());
    }

    @Test
    void isAValue() {
        assertEquals(new Strategy("a", 1, 2, 3), new Strategy("a", 1, 2, 3));
        assertEquals(new Strategy("a", 1, 2, 3).hashCode(), new Strategy("a", 1, 2, 3).hashCode());
    }

    @Test
    void rejectsABlankName() {
        for (String name : new String[] {null, "", "  "}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Strategy(name, 1, 1, 1));
            assertTrue(e.getMessage().contains(String.valueOf(name)), e.getMessage());
        }
    }

    @Test
    void rejectsKnobsThePolicyRejects() {
        IllegalArgumentException blocks = assertThrows(IllegalArgumentException.class, () -> new Strategy("x", 5000, 1, 1));
        assertTrue(blocks.getMessage().contains("5000"), blocks.getMessage());
        IllegalArgumentException bytes = assertThrows(IllegalArgumentException.class, () -> new Strategy("x", 1, -7, 1));
        assertTrue(bytes.getMessage().contains("-7"), bytes.getMessage());
        IllegalArgumentException retained = assertThrows(IllegalArgumentException.class, () -> new Strategy("x", 1, 1, -9));
        assertTrue(retained.getMessage().contains("-9"), retained.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Strategy.of("x", null));
    }
}
