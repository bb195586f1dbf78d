package hakmem.tiny;

import hakmem.tck.Block;
import hakmem.tck.CoreDriver;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The class table itself: shape, the reciprocal division, and the internal waste it buys. */
class SizeClassTest {

    private static final int[] POWERS_OF_TWO = {8, 16, 32, 64, 128, 256, 512, 1024};

    @Test
    void classesAscendAndAreMultiplesOfSixteenAboveEight() {
        assertEquals(8, SizeClass.BLOCK_SIZES[0]);
        assertEquals(TinyCore.MAX_SIZE, SizeClass.BLOCK_SIZES[SizeClass.COUNT - 1]);
        for (int k = 1; k < SizeClass.COUNT; k++) {
            int size = SizeClass.BLOCK_SIZES[k];
            assertTrue(size > SizeClass.BLOCK_SIZES[k - 1], "ascending at " + size);
            assertEquals(0, size % 16, size + " B blocks would not serve 16-byte aligned malloc");
        }
        for (int p : POWERS_OF_TWO) {
            assertTrue(java.util.Arrays.stream(SizeClass.BLOCK_SIZES).anyMatch(s -> s == p), "hakmem's class " + p);
        }
    }

    @Test
    void indicesAndSizesFitTheCharArrays() {
        for (int k = 0; k < SizeClass.COUNT; k++) {
            SizeClass c = new SizeClass(k);
            assertTrue(c.capacity - 1 <= Character.MAX_VALUE && c.blockSize <= Character.MAX_VALUE);
            assertEquals(Slab.SIZE / c.blockSize, c.capacity);
            assertEquals(Integer.lowestOneBit(c.blockSize), c.alignment);
        }
    }

    @Test
    void reciprocalDivisionIsExactForEveryOffsetOfASlab() {
        for (int blockSize : SizeClass.BLOCK_SIZES) {
            long magic = Slab.magicFor(blockSize);
            for (int offset = 0; offset < Slab.SIZE; offset++) {
                int i = (int) ((offset * magic) >>> 32);
                if (i != offset / blockSize) {
                    throw new AssertionError(offset + " / " + blockSize + " gave " + i);
                }
            }
        }
    }

    /**
     * Internal waste on uniform requests of 8..1000 B (each size once, plain alignment): the mean of
     * (handed - asked) / handed must stay at or below 12.5 %; powers of two alone waste about 25 %.
     */
    @Test
    void internalWasteOnUniformSizesIsAtMostAnEighth() {
        double chosen = meanWaste(SizeClass.BLOCK_SIZES, false);
        double pow2 = meanWaste(POWERS_OF_TWO, false);
        System.out.printf("tiny classes, uniform 8..1000 B: mean waste %.2f %% of handed (%.2f %% of asked);"
                        + " powers of two: %.2f %% of handed (%.2f %% of asked)%n",
                100 * chosen, 100 * meanWaste(SizeClass.BLOCK_SIZES, true), 100 * pow2, 100 * meanWaste(POWERS_OF_TWO, true));
        assertTrue(chosen <= 0.125, "mean waste " + chosen);
        assertTrue(pow2 > 0.2, "the comparison set changed: " + pow2);
        // The same figure measured on the live core: allocate each size once and read the stats.
        try (CoreDriver h = new CoreDriver(new TinyTierProvider())) {
            for (int size = 8; size <= 1000; size++) {
                h.allocate(size, CoreDriver.plainAlignment(size), 0);
            }
            double measured = 0;
            for (Block b : h.live()) {
                measured += (b.usable() - b.size()) / (double) b.usable();
            }
            assertEquals(chosen, measured / h.live().size(), 1e-12);
            var stats = h.core().stats();
            assertEquals(stats.handedBytes() - stats.liveBytes(), stats.wasteBytes());
            h.freeAll();
        }
    }

    private static double meanWaste(int[] classes, boolean ofAsked) {
        double sum = 0;
        int n = 0;
        for (int size = 8; size <= 1000; size++) {
            int handed = 0;
            for (int c : classes) {
                if (c >= size) {
                    handed = c;
                    break;
                }
            }
            sum += (handed - size) / (double) (ofAsked ? size : handed);
            n++;
        }
        return sum / n;
    }
}
