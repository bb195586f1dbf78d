package hakmem.api;

/**
 * Counters of one size class of a tier.
 *
 * <p>In the TLS variant, the classes of the thread-cached tiers count each block a user holds, and each
 * block in a thread cache, in the class its asked size maps to (a block's out-of-band mark holds only the
 * size asked): a block handed out from a larger class for an alignment above 16 shows in the smaller class.
 *
 * @param blockSize     bytes per block of the class
 * @param allocations   blocks handed out since creation
 * @param frees         blocks returned since creation
 * @param liveBlocks    blocks handed out and not yet returned
 * @param liveBytes     bytes asked for by the live blocks
 * @param slabs         slabs (or page runs) of this class in use
 * @param reservedBytes bytes of memory those slabs occupy
 * @param cachedBlocks  free blocks of the class kept whole for reuse outside the tier's slabs, ready to hand
 *                      out: in thread caches and their depots (TLS), or in the tier's own caches (l25's per-site
 *                      caches); neither live nor free in the slabs
 */
public record ClassStats(long blockSize, long allocations, long frees, long liveBlocks, long liveBytes,
                         long slabs, long reservedBytes, long cachedBlocks) {

    /** Counters of a class no thread cache holds blocks of. */
    public ClassStats(long blockSize, long allocations, long frees, long liveBlocks, long liveBytes, long slabs,
                      long reservedBytes) {
        this(blockSize, allocations, frees, liveBlocks, liveBytes, slabs, reservedBytes, 0);
    }

    /** Internal waste of the live blocks: bytes handed out minus bytes asked. */
    public long wasteBytes() {
        return liveBlocks * blockSize - liveBytes;
    }
}
