package hakmem.bench;

import java.util.SplittableRandom;

/**
 * An application-like size mix: 80 % of requests 16–256 B, 15 % 257–2048 B, 5 % 2049–32768 B (uniform
 * within each band). Each worker holds a window of live blocks; a step frees a random slot and
 * allocates a block of the next size into it, writing its first and last byte. Sizes and slots come
 * from tables drawn once per worker from a seeded generator, so the generator costs nothing while
 * measuring and every allocator sees the same sequence. One operation is one malloc or one free
 * (as in larson); a batch is 256 steps.
 */
public final class AppMix {

    public static final int DEFAULT_WINDOW = 1000;
    static final int STEPS = 256;
    private static final int TABLE = 1 << 16;

    private AppMix() {
    }

    /** One request size drawn from the mix. */
    public static int size(SplittableRandom r) {
        int band = r.nextInt(100);
        if (band < 80) {
            return 16 + r.nextInt(256 - 16 + 1);
        }
        if (band < 95) {
            return 257 + r.nextInt(2048 - 257 + 1);
        }
        return 2049 + r.nextInt(32768 - 2049 + 1);
    }

    public static Driver.Loop loop(Backend b, int window, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] sizes = new int[TABLE];
        int[] victims = new int[TABLE];
        for (int i = 0; i < TABLE; i++) {
            sizes[i] = size(r);
            victims[i] = r.nextInt(window);
        }
        long[] slots = new long[window];
        for (int i = 0; i < window; i++) {
            int size = sizes[(TABLE - 1 - i) & (TABLE - 1)];
            slots[i] = b.malloc(size);
            Memory.touchEnds(b.address(slots[i]), size);
        }
        return new Driver.Loop() {
            int next;

            @Override
            public long batch() {
                int k = next;
                for (int s = 0; s < STEPS; s++, k++) {
                    int v = victims[k & (TABLE - 1)];
                    b.free(slots[v]);
                    int size = sizes[(k * 7 + 3) & (TABLE - 1)];
                    long h = b.malloc(size);
                    slots[v] = h;
                    Memory.touchEnds(b.address(h), size);
                }
                next = k;
                return 2L * STEPS;
            }

            @Override
            public void finish() {
                for (long h : slots) {
                    b.free(h);
                }
            }
        };
    }
}
