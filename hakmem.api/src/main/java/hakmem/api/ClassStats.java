package hakmem.api;

/**
 * Counters of one size class of a tier.
 *
 * @param blockSize     bytes per block of the class
 * @param allocations   blocks handed out since creation
 * @param frees         blocks returned since creation
 * @param liveBlocks    blocks handed out and not yet returned
 * @param liveBytes     bytes asked for by the live blocks
 * @param slabs         slabs (or page runs) of this class in use
 * @param reservedBytes bytes of memory those slabs occupy
 * @param cachedBlocks  free blocks of the class held in thread caches and their depots (TLS), ready to
 *                      hand out: neither live nor in the tier's slabs
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
