package hakmem.api.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The size classes the thread caches hold, and where each lives in a cache's array ({@link ThreadCache}):
 * immutable, shared by every thread. A request of {@code size} bytes finds its class with one table
 * read at {@link #granules granules(size)}.
 */
final class ClassTable {

    /** Bytes a magazine may hold when full; its block count is this over the class size, within 2..64. */
    static final long MAGAZINE_BYTES = 32 << 10;
    static final int MAX_BLOCKS = 64;

    /** Sizes 1..maxCached are cached. */
    final long maxCached;
    final int tiers;
    final long[] classSize;
    /** Per class, the index of its tier among the cached ones. */
    final int[] classTier;
    /** Per class, the blocks a full magazine holds. */
    final int[] capacity;
    /** Per class, blocks per batch traded with a depot or a core: half a magazine. */
    final int[] batch;
    /** Per class, the index of its magazine's header in a cache's array. */
    final int[] header;
    /** Magazine header index by {@link #granules}. */
    final int[] headerBySize;
    /** Class by {@link #granules}. */
    final byte[] classBySize;
    /** Length of a cache's array. */
    final int length;

    /**
     * @param tierClassSizes per cached tier, in size order, its class sizes, each a multiple of the
     *                       granule, the last covering the tier's maxSize
     * @param tierMax        per cached tier, its maxSize
     */
    ClassTable(List<long[]> tierClassSizes, long[] tierMax) {
        this.tiers = tierClassSizes.size();
        List<Long> sizes = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int t = 0; t < tiers; t++) {
            for (long s : tierClassSizes.get(t)) {
                sizes.add(s);
                owners.add(t);
            }
        }
        if (sizes.size() > 127) {
            throw new IllegalArgumentException("too many cached classes: " + sizes.size());
        }
        this.classSize = sizes.stream().mapToLong(Long::longValue).toArray();
        this.classTier = owners.stream().mapToInt(Integer::intValue).toArray();
        int classes = classSize.length;
        this.capacity = new int[classes];
        this.batch = new int[classes];
        this.header = new int[classes];
        int at = ThreadCache.firstMagazine(tiers);
        for (int k = 0; k < classes; k++) {
            capacity[k] = (int) Math.max(2, Math.min(MAX_BLOCKS, MAGAZINE_BYTES / classSize[k]));
            batch[k] = Math.max(1, capacity[k] / 2);
            header[k] = at;
            at += 1 + capacity[k];
        }
        this.length = at;
        this.maxCached = tiers == 0 ? 0 : tierMax[tiers - 1];
        this.classBySize = new byte[granules(maxCached) + 1];
        this.headerBySize = new int[classBySize.length];
        for (int g = 1; g < classBySize.length; g++) {
            long size = Math.min((long) g << ChunkSpace.GRANULE_SHIFT, maxCached);
            int t = 0;
            while (tierMax[t] < size) {
                t++;
            }
            int k = 0;
            while (classTier[k] != t || classSize[k] < size) {
                k++;
            }
            classBySize[g] = (byte) k;
            headerBySize[g] = header[k];
        }
    }

    /** Granules a request of {@code size} bytes spans: the index into the by-size tables. */
    static int granules(long size) {
        return (int) ((size + ChunkSpace.GRANULE - 1) >>> ChunkSpace.GRANULE_SHIFT);
    }

    int classes() {
        return classSize.length;
    }

    /** The class of cached tier {@code t} with blocks of {@code blockSize} bytes, or -1. */
    int classOf(int t, long blockSize) {
        for (int k = 0; k < classSize.length; k++) {
            if (classTier[k] == t && classSize[k] == blockSize) {
                return k;
            }
        }
        return -1;
    }

    /** The class that serves a request of {@code size} bytes (1..maxCached). */
    int classOf(long size) {
        return classBySize[granules(size)];
    }
}
