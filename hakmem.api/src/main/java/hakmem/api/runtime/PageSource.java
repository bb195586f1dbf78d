package hakmem.api.runtime;

/**
 * Where the runtime's pages come from: the OS ({@link OsMemory#SYSTEM}), or in tests a wrapper that
 * refuses the k-th request, to show that every refusal surfaces as an error and corrupts nothing.
 * Mapping calls throw {@link OutOfMemoryError} when refused, as {@code mmap} failing with ENOMEM does.
 */
interface PageSource {

    /** Reserves address space only: no access, no commit charge. */
    long reserve(long length);

    /** Maps fresh zeroed read-write pages anywhere. */
    long mapFresh(long length);

    /** Replaces {@code [address, +length)} of a reservation with fresh zeroed read-write pages. */
    void commit(long address, long length);

    /** Gives {@code [address, +length)} back to the OS and leaves it reserved and inaccessible. */
    void decommit(long address, long length);

    /** Gives the pages back to the OS and leaves the range mapped read-write, reading as zero. */
    void drop(long address, long length);

    void unmap(long address, long length);

    /** The pages stay mapped and read as zero on next touch. */
    void discard(long address, long length);
}
