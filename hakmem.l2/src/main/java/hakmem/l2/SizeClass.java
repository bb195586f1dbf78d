package hakmem.l2;

/**
 * The mid tier's size classes and the run each class is carved from.
 *
 * <p>Four classes per doubling from 1 KiB to 32 KiB (1, 1.25, 1.5, 1.75 x 2^k): on requests spread
 * uniformly over 1 KiB..32 KiB that wastes about 7.7 % of the bytes handed out, where two per doubling
 * would waste about 14 % and powers of two alone about 25 %. Every class is a multiple of 256 B, so a
 * table indexed by {@code (size - 1) >>> 8} maps a size to its class exactly. The 1 KiB class serves
 * the sizes of an absent tiny tier (1 B .. 1 KiB).
 *
 * <p>A class's run is a few 64 KiB pages: the fewest whose tail past the last whole block is at most
 * 2.5 % of the run while holding at least four blocks, and at most 64 blocks so that one {@code long}
 * holds the run's free set. Runs start on a page boundary of a 2 MiB-aligned chunk, so block {@code i}
 * at {@code run + i * blockSize} is aligned to {@code lowestOneBit(blockSize)}: 256 B at least, 32 KiB
 * for the 32 KiB class.
 */
final class SizeClass {

    /** Largest request the tier serves. */
    static final long MAX_SIZE = 32 * 1024;
    /** Every class is a multiple of this, so every block is aligned to it. */
    static final long MIN_ALIGNMENT = 256;
    /** log2 of the run unit: a 64 KiB page. */
    static final int PAGE_SHIFT = 16;
    static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    /** Shift paired with {@link #RECIPROCAL}: exact quotients for offsets below 2^40 / 32 KiB = 32 MiB. */
    static final int RECIPROCAL_SHIFT = 40;

    static final int[] BLOCK = {
        1024, 1280, 1536, 1792,
        2048, 2560, 3072, 3584,
        4096, 5120, 6144, 7168,
        8192, 10240, 12288, 14336,
        16384, 20480, 24576, 28672,
        32768};
    /** 64 KiB pages per run of each class. */
    static final int[] RUN_PAGES = {
        1, 1, 1, 1,
        1, 1, 1, 1,
        1, 2, 2, 1,
        1, 3, 3, 2,
        1, 5, 3, 4,
        2};
    static final int COUNT = BLOCK.length;
    /** Blocks per run: {@code min(64, runBytes / blockSize)}. */
    static final int[] CAPACITY = new int[COUNT];
    /** The free set of an empty run: one bit per block. */
    static final long[] FULL_MASK = new long[COUNT];
    /** {@code ceil(2^40 / blockSize)}: {@code (offset * r) >>> 40 == offset / blockSize} without a division. */
    static final long[] RECIPROCAL = new long[COUNT];

    private static final int GRANULE_SHIFT = 8;
    private static final byte[] BY_GRANULE = new byte[(int) (MAX_SIZE >>> GRANULE_SHIFT)];

    static {
        for (int c = 0; c < COUNT; c++) {
            long runBytes = RUN_PAGES[c] * PAGE_SIZE;
            CAPACITY[c] = (int) Math.min(64, runBytes / BLOCK[c]);
            FULL_MASK[c] = CAPACITY[c] == 64 ? -1L : (1L << CAPACITY[c]) - 1;
            RECIPROCAL[c] = ((1L << RECIPROCAL_SHIFT) + BLOCK[c] - 1) / BLOCK[c];
        }
        int c = 0;
        for (int g = 0; g < BY_GRANULE.length; g++) {
            long largest = (long) (g + 1) << GRANULE_SHIFT;
            while (BLOCK[c] < largest) {
                c++;
            }
            BY_GRANULE[g] = (byte) c;
        }
    }

    private SizeClass() {
    }

    /** The smallest class holding {@code size} bytes, {@code 1 <= size <= MAX_SIZE}. */
    static int of(long size) {
        return BY_GRANULE[(int) ((size - 1) >>> GRANULE_SHIFT)];
    }

    /** The smallest class at or above {@code c} whose blocks are aligned to {@code alignment}, or -1. */
    static int aligned(int c, long alignment) {
        for (int k = c; k < COUNT; k++) {
            if (Long.lowestOneBit(BLOCK[k]) >= alignment) {
                return k;
            }
        }
        return -1;
    }

    static long runBytes(int c) {
        return RUN_PAGES[c] * PAGE_SIZE;
    }
}
