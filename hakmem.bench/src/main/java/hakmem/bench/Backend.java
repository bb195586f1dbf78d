package hakmem.bench;

/**
 * What a workload allocates through: hakmem or a baseline. Counts its own calls so a run can check that
 * everything allocated was freed, whatever the allocator.
 */
interface Backend extends AutoCloseable {

    String name();

    long malloc(long size);

    void free(long address);

    /** Blocks allocated and not freed, as the allocator itself sees it where it can tell, else -1. */
    default long liveBlocks() {
        return -1;
    }

    /** Bytes asked for by the live blocks, where the allocator can tell, else -1. */
    default long liveBytes() {
        return -1;
    }

    /** Bytes the allocator has mapped from the OS, where it can tell, else -1. */
    default long reservedBytes() {
        return -1;
    }

    @Override
    void close();
}
