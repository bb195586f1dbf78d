package hakmem.api;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * An off-heap memory allocator with C-like raw addresses and FFM segments. Obtain one from
 * {@link Hakmem#create()} or {@link Hakmem#builder()}; every method may be called from any thread.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Sizes are {@code 0 .. }{@link #MAX_SIZE}. A size of {@code 0} returns a unique minimal block (as
 *       glibc does) that must be freed like any other; a negative size or one above {@code MAX_SIZE}
 *       throws {@link IllegalArgumentException} naming it.</li>
 *   <li>{@link #malloc} returns addresses aligned to 16 bytes (8 bytes for requests of at most 8 bytes);
 *       {@link #allocate(long, long)} aligns to the alignment asked, which must be a power of two.</li>
 *   <li>{@code free(0)} does nothing. Freeing an address this allocator never returned, an interior
 *       address or an address already freed throws {@link InvalidAddressException} naming it; nothing
 *       changes.</li>
 *   <li>A memory limit exceeded, or the OS refusing memory, throws {@link OutOfMemoryError}; no block
 *       changes (memory kept only for reuse may have been given back to make room).</li>
 *   <li>A call racing {@link #close()} completes or throws {@link IllegalStateException}; close() gives
 *       every page back to the OS at once, but the ranges that held blocks stay mapped (reading as zero)
 *       until the closed allocator is unreachable, so hakmem's own writes during such a call cannot
 *       fault. A caller's own access to a block after close() is a use after free.</li>
 *   <li>After {@link #close()}, every call but {@code close()} throws {@link IllegalStateException},
 *       whatever its arguments.</li>
 * </ul>
 * After any of these exceptions the allocator stays consistent and usable.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try (Allocator heap = Hakmem.create()) {                 // every tier found, thread caches
 *     long p = heap.malloc(100);                           // a raw address, as C's malloc
 *     MemorySegment.ofAddress(p).reinterpret(100).fill((byte) 1);
 *     heap.free(p);
 *
 *     MemorySegment s = heap.allocate(64, 16);             // exactly 64 bytes, bounds-checked by FFM
 *     s.set(ValueLayout.JAVA_LONG, 0, 42L);
 *     heap.free(s);
 *
 *     Site json = heap.site("json.parse");                 // requests labelled by call site
 *     heap.free(json.malloc(48));
 *
 *     try (Arena arena = heap.newArena()) {                // pooled arena: all freed at close()
 *         MemorySegment name = arena.allocateFrom("hakmem");
 *     }
 *     System.out.println(heap.stats());                    // a report for people
 * }
 * }
 */
public interface Allocator extends SegmentAllocator, AutoCloseable {

    /** Largest size any call accepts (2<sup>46</sup> bytes). */
    long MAX_SIZE = 1L << 46;

    /** Address of a new block of at least {@code size} bytes; contents undefined. */
    long malloc(long size);

    /** Address of a new block of at least {@code size} bytes, all zero. */
    long calloc(long size);

    /**
     * Moves the block at {@code address} to one of at least {@code newSize} bytes, keeping the first
     * {@code min(old, new)} bytes. {@code realloc(0, n)} is {@code malloc(n)}. On failure the old block
     * is untouched.
     */
    long realloc(long address, long newSize);

    /** Returns the block at {@code address}; {@code free(0)} does nothing. */
    void free(long address);

    /** Bytes usable in the live block at {@code address} (at least what was asked). */
    long usableSize(long address);

    /**
     * A segment of exactly {@code byteSize} bytes aligned to {@code byteAlignment}. It is not bound to
     * any arena: free it with {@link #free(MemorySegment)}.
     */
    @Override
    MemorySegment allocate(long byteSize, long byteAlignment);

    /** Returns a segment obtained from {@link #allocate(long, long)}. */
    void free(MemorySegment segment);

    /**
     * A confined {@link Arena} whose segments come from this allocator's pools, zeroed as a JDK arena's
     * are, and go back to them all at once when the arena is closed. Its segments have the scope of an
     * inner {@link Arena#ofConfined()}, so they are only accessible from the thread that made the arena,
     * and never after its {@code close()}: allocating from, or closing, the arena on another thread throws
     * {@link WrongThreadException}; allocating after close, or closing twice, throws
     * {@link IllegalStateException}, as the JDK's arenas do. Cost: segments of up to 1 KiB (alignment up
     * to 16) are carved one after another from regions of 2 KiB doubling to 32 KiB, each taken from the
     * pools as the last fills up, so such a segment costs a bounds check and a zero fill of its own
     * bytes, and an arena of small segments holds at most about twice their bytes plus one region;
     * larger segments take an allocation from the pools each. {@code close()} closes the inner arena,
     * then frees the regions and blocks. Segments are freed by the arena only: passing one to
     * {@link #free(MemorySegment)} is a double free (a carved one is no block at all). After this
     * allocator is closed, its arenas' {@code close()} only closes their scope (the memory is already
     * given back).
     *
     * @throws IllegalStateException if this allocator is closed
     */
    Arena newArena();

    /**
     * As {@link #newArena()}, but a shared arena (inner {@link Arena#ofShared()}): any thread may allocate
     * from it and access its segments, and {@code close()} is the JDK's shared close, which waits out
     * accesses in progress on other threads (a JVM-wide handshake) before the blocks go back to the pools.
     *
     * @throws IllegalStateException if this allocator is closed
     */
    Arena newSharedArena();

    /**
     * The call-site label {@code name}: requests made through it are tuned and accounted per site. The first
     * call with a name creates its site with {@link SiteOptions#DEFAULT}; later calls return that site,
     * whatever options it was created with.
     *
     * @throws IllegalArgumentException if {@code name} is null or blank
     * @throws IllegalStateException    if this allocator is closed, or holds the most sites it can label
     */
    Site site(String name);

    /**
     * The call-site label {@code name} with {@code options}, for example a site whose blocks are zeroed when
     * freed ({@link SiteOptions#zeroOnFree()}). The first call with a name creates its site with these
     * options; a later call returns it if its options are equal, and throws otherwise (one name, one set of
     * options).
     *
     * @throws NullPointerException     if {@code options} is null
     * @throws IllegalArgumentException if {@code name} is null or blank, or the site exists with other options
     *                                  (the message names the site and both options)
     * @throws IllegalStateException    if this allocator is closed, or holds the most sites it can label
     */
    Site site(String name, SiteOptions options);

    /** A snapshot of the counters of every tier and of the big-block path. */
    AllocatorStats stats();

    /** Returns cached and empty memory to the OS now. */
    void trim();

    /**
     * Checks that the allocator's metadata is consistent and throws {@link IllegalStateException}
     * describing the first inconsistency found; for tests (a user's too) after a run, or after an
     * exception. Checks that every block a user holds is live in the tier that owns it, that every
     * block in a thread cache or depot is live in its tier (a racing double free's second copy, which
     * leaves its cache dropped, is tolerated), that the counters add
     * up (allocations minus frees is what is live, per tier and per class; each tier's reserved bytes are
     * its handed, cached and free bytes, see {@link TierStats}), that every block of a zero-on-free site's
     * table is live, and that the bytes reserved are the tiers', the big blocks' and the retained chunks'
     * and within the limit. Exact when no
     * other thread calls the allocator meanwhile; it takes each lock briefly, so it is safe but may
     * report a passing state as inconsistent while other threads run. Costs a pass over every chunk's
     * marks: not for hot paths.
     *
     * @throws IllegalStateException when an inconsistency is found, or the allocator is closed
     */
    void verify();

    /** Gives all memory back to the OS. Blocks still live become invalid. Idempotent. */
    @Override
    void close();
}
