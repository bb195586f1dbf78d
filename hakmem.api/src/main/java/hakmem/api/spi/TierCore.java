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
 * leaving the core unchanged, and {@link IllegalArgumentException} naming the size for a size outside 1
 * to the provider's {@code maxSize()} (the runtime never asks one; the check keeps a core's tables in
 * bounds).
 *
 * <p>Memory: live blocks never overlap and each lies in one chunk the core holds; the core never
 * releases a chunk nor discards a page under a live block (but in {@link #close}), and
 * {@link TierStats#reservedBytes()} in {@link #stats} is the bytes of the chunks it holds. The
 * {@code hakmem.tck} module checks a provider against all of this ({@code TierCoreContract}).
 *
 * <p>The heart of a core of 64-byte blocks: chunks cut into blocks, free and live blocks tracked on the
 * Java heap, never inside the blocks (a user's write after free cannot corrupt the core):
 * {@snippet :
 * final class Fixed64Core implements TierCore {
 *     private final ChunkSource chunks;
 *     private final ArrayDeque<Long> free = new ArrayDeque<>();
 *     private final Set<Long> live = new HashSet<>();
 *
 *     Fixed64Core(ChunkSource chunks) {
 *         this.chunks = chunks;
 *     }
 *
 *     @Override
 *     public long allocate(long size, long alignment, int site) {
 *         if (alignment > 64) {
 *             return 0;                                   // the runtime serves it elsewhere
 *         }
 *         if (free.isEmpty()) {                           // throws OutOfMemoryError, the core unchanged
 *             long chunk = chunks.acquire(this);
 *             for (long p = chunk; p < chunk + chunks.chunkSize(); p += 64) {
 *                 free.add(p);
 *             }
 *         }
 *         long p = free.pop();
 *         live.add(p);
 *         return p;
 *     }
 *
 *     @Override
 *     public void free(long address) {
 *         if (!live.remove(address)) {                    // double, foreign or interior: nothing changes
 *             throw new InvalidAddressException(address, InvalidAddressException.Reason.UNKNOWN, "fixed64");
 *         }
 *         free.push(address);
 *     }
 *
 *     @Override
 *     public long[] classSizes() {
 *         return new long[] {64};                         // thread caches may cache its blocks
 *     }
 *
 *     // usableSize, trim, stats and close: see hakmem.example.tier
 * }
 * }
 */
public interface TierCore {

    /**
     * Returns the address of a block of at least {@code size} bytes aligned to {@code alignment}, or
     * {@code 0} when this core cannot honour that alignment for that size (the runtime then serves the
     * request elsewhere); never 0 at the plain alignment of {@code malloc} (8 bytes for requests of at
     * most 8, else 16).
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
     * The block sizes of this tier's classes, ascending, the largest at least the provider's
     * {@code maxSize()}, for thread caches: a request of {@code size} bytes with an alignment of at most
     * 16 must get a block of the smallest listed size {@code c} that is at least {@code size} (when
     * {@code c}'s lowest set bit is at least that alignment: a class under 16 bytes serves only requests
     * aligned to its own), so {@code allocate(c, 16, site)} gets a block of exactly class {@code c} for
     * every listed {@code c} that is a multiple of 16 (the classes thread caches use). Every block the core hands out is of a listed size, and
     * {@link #stats} lists these classes. Empty (the default) when this tier does not want thread
     * caching; then every request comes here.
     */
    default long[] classSizes() {
        return new long[0];
    }

    /**
     * Takes up the knobs of a newly published policy that concern it (l25: {@link Policy#roundingSlack()});
     * called under the core's lock, between two requests. The default ignores them. Must not lose or
     * strand a block: a changed limit applies from the next request.
     */
    default void apply(Policy policy) {
    }

    /**
     * Returns empty slabs and pages to the chunk source and the OS now: afterwards the core holds only
     * chunks with live blocks in them.
     */
    void trim();

    /** A snapshot of this core's counters. */
    TierStats stats();

    /** Releases every chunk this core holds; the core must not be used afterwards. */
    void close();
}
