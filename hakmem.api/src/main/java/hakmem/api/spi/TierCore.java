package hakmem.api.spi;

import hakmem.api.InvalidAddressException;
import hakmem.api.TierStats;

/**
 * One instance of a pool tier. <b>Single-threaded</b>: the runtime never calls a core from two threads
 * at once and orders every call (happens-before) after the previous one.
 *
 * <p>Error contract: {@link #free} and {@link #usableSize} throw {@link InvalidAddressException} for an
 * address that is not the start of a live block of this core, and leave the core unchanged.
 * {@link #allocate} throws {@link OutOfMemoryError} only when {@link ChunkSource#acquire} does, again
 * leaving the core unchanged.
 */
public interface TierCore {

    /**
     * Returns the address of a block of at least {@code size} bytes aligned to {@code alignment}, or
     * {@code 0} when this core cannot honour that alignment for that size (the runtime then serves the
     * request elsewhere).
     *
     * @param size      1 to the provider's {@code maxSize()}
     * @param alignment a power of two
     * @param site      the request's site id ({@code 0} for an unlabelled request)
     */
    long allocate(long size, long alignment, int site);

    /** Returns a block to this core. */
    void free(long address);

    /** Bytes usable in the live block that starts at {@code address}. */
    long usableSize(long address);

    /**
     * The block sizes of this tier's classes, ascending, for thread caches: a request of {@code size}
     * bytes with an alignment of at most 16 must get a block of the smallest listed size that is at
     * least {@code size}, and {@code allocate(classSize, 16, site)} a block of exactly that class.
     * Empty (the default) when this tier does not want thread caching; then every request comes here.
     */
    default long[] classSizes() {
        return new long[0];
    }

    /** Returns empty slabs and pages to the chunk source and the OS now. */
    void trim();

    /** A snapshot of this core's counters. */
    TierStats stats();

    /** Releases every chunk this core holds; the core must not be used afterwards. */
    void close();
}
