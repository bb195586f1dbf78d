package hakmem.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * hakmem's own scenarios: a round allocates a set of blocks, uses each (one write per 4 KiB page) and
 * frees them all. One operation is one block's life (malloc, touching its pages, free), so ns per
 * operation compares the allocators where page faults and OS calls matter, not only the fast path.
 * <ul>
 *   <li>{@code json}: 1000 blocks of 64 KiB, freed in allocation order (a parser's buffers);</li>
 *   <li>{@code mir}: 100 blocks of 256 KiB (a compiler's intermediate representation);</li>
 *   <li>{@code vm}: 10 blocks of 2 MiB (a VM's heaps and stacks);</li>
 *   <li>{@code mixed}: the three sets' 1110 blocks in one round, allocated in a shuffled order and freed in
 *       another (a compiler-like mix whose lifetimes overlap across sizes).</li>
 * </ul>
 */
public enum Scenario {
    JSON(64 << 10, 1000), MIR(256 << 10, 100), VM(2 << 20, 10), MIXED(0, 0);

    private final int size;
    private final int count;

    Scenario(int size, int count) {
        this.size = size;
        this.count = count;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scenario of(String id) {
        try {
            return valueOf(id.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown scenario '" + id + "'; known: json, mir, vm, mixed");
        }
    }

    /** Block sizes of one round, in allocation order. */
    public int[] sizes(long seed) {
        if (this != MIXED) {
            int[] s = new int[count];
            Arrays.fill(s, size);
            return s;
        }
        int[] s = new int[JSON.count + MIR.count + VM.count];
        int i = 0;
        for (Scenario part : new Scenario[] {JSON, MIR, VM}) {
            for (int j = 0; j < part.count; j++) {
                s[i++] = part.size;
            }
        }
        shuffle(s, new SplittableRandom(seed));
        return s;
    }

    /** Indexes of the round's blocks in the order they are freed. */
    public int[] freeOrder(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (this == MIXED) {
            shuffle(order, new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L));
        }
        return order;
    }

    /** A worker's loop: one batch is one round. */
    public Driver.Loop loop(Backend b, long seed) {
        int[] sizes = sizes(seed);
        int[] order = freeOrder(sizes.length, seed);
        long[] blocks = new long[sizes.length];
        return new Driver.Loop() {
            @Override
            public long batch() {
                for (int i = 0; i < sizes.length; i++) {
                    long h = b.malloc(sizes[i]);
                    blocks[i] = h;
                    Memory.touchPages(b.address(h), sizes[i]);
                }
                for (int i : order) {
                    b.free(blocks[i]);
                }
                return sizes.length;
            }

            @Override
            public void finish() {
                // Every round frees its blocks: nothing is held between batches.
            }
        };
    }

    static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
