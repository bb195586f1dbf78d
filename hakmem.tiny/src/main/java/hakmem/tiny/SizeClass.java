package hakmem.tiny;

/**
 * One block size of the tiny tier and, for one core, the slabs that serve it.
 *
 * <p>The class set: 8 B (the only class for 8-byte aligned requests of at most 8 B), then 16-byte steps
 * up to 128 B, then four classes per doubling (128, 160, 192, 224, 256, 320, ... 896, 1024). Every class
 * above 8 B is a multiple of 16 so that a plain {@code malloc} (16-byte aligned above 8 B) can use it; a
 * block at {@code slabBase + i * blockSize} is aligned to {@code lowestOneBit(blockSize)} because slab bases
 * are 64 KiB aligned. On uniform 8..1000 B requests the set wastes 8.5 % of the handed bytes on average,
 * against 25.4 % for powers of two only (see {@code SizeClassTest}).
 *
 * <p>Slabs of a class are in exactly one of these places: {@link #current} (allocation pops from it),
 * the {@link #partial} list (some blocks free, not current), nowhere (full: no block free), or the
 * {@link #retained} list (all blocks free, kept mapped for a quick reuse, at most {@link #RETAIN}).
 */
final class SizeClass {

    /** Block sizes of the classes, ascending. */
    static final int[] BLOCK_SIZES = {
        8, 16, 32, 48, 64, 80, 96, 112,
        128, 160, 192, 224, 256, 320, 384, 448,
        512, 640, 768, 896, 1024
    };

    static final int COUNT = BLOCK_SIZES.length;

    /** Empty slabs a class keeps besides its current one before handing them back to their chunk. */
    static final int RETAIN = 1;

    final int index;
    final int blockSize;
    /** Alignment of every block: the lowest set bit of the block size (slab bases are 64 KiB aligned). */
    final int alignment;
    final int capacity;
    /** {@code (offset * magic) >>> 32 == offset / blockSize} for every offset in a slab (see {@link Slab#magicFor}). */
    final long magic;
    /** A slab with no free block and no memory: {@link #current} before the first slab, so allocate needs no null check. */
    final Slab none;
    /**
     * For each log2 of an alignment 0..10, the smallest class at least as large as this one whose blocks
     * have that alignment, or null. Filled by the core once all classes exist.
     */
    final SizeClass[] forAlignment = new SizeClass[Integer.numberOfTrailingZeros(TinyCore.MAX_SIZE) + 1];

    Slab current;
    /** Head of the doubly linked list of partially free slabs (most recently refilled first). */
    Slab partial;
    /** Head of the singly linked list of retained empty slabs. */
    Slab retained;
    int retainedCount;
    /** Slabs assigned to this class: current, partial, full and retained. */
    int slabs;

    long allocations;
    long frees;
    /** Bytes asked for by this class's live blocks. */
    long liveBytes;

    SizeClass(int index) {
        this.index = index;
        this.blockSize = BLOCK_SIZES[index];
        this.alignment = Integer.lowestOneBit(blockSize);
        this.capacity = Slab.SIZE / blockSize;
        this.magic = Slab.magicFor(blockSize);
        this.none = Slab.none(this);
        this.current = none;
    }

    long liveBlocks() {
        return allocations - frees;
    }
}
