package hakmem.api;

import java.lang.foreign.MemorySegment;

/**
 * A call-site label, as hakmem's {@code hak_alloc_at(size, site)}: requests made through a site are
 * routed and accounted with its id. Blocks are freed through the allocator as usual; a site made with
 * {@link SiteOptions#zeroOnFree()} has its blocks zeroed then.
 */
public interface Site {

    /** The name given to {@link Allocator#site(String)}. */
    String name();

    /** A small positive number unique per name within one allocator. */
    int id();

    /** The options the site was created with ({@link SiteOptions#DEFAULT} for {@link Allocator#site(String)}). */
    SiteOptions options();

    /** As {@link Allocator#malloc(long)}, labelled with this site. */
    long malloc(long size);

    /** As {@link Allocator#calloc(long)}, labelled with this site. */
    long calloc(long size);

    /** As {@link Allocator#allocate(long, long)}, labelled with this site. */
    MemorySegment allocate(long byteSize, long byteAlignment);
}
