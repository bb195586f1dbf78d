package hakmem.api.runtime;

import hakmem.api.Site;
import hakmem.api.SiteOptions;

import java.lang.foreign.MemorySegment;

/**
 * A site of a {@link PooledAllocator}: its requests carry the site's id to the tiers; a zero-on-free
 * site's blocks are also entered in the allocator's table of such blocks, so that their free zeroes them.
 */
final class SiteLabel implements Site {

    private final PooledAllocator allocator;
    private final String name;
    private final int id;
    private final SiteOptions options;
    /** {@code options.zeroOnFree()}, read by every request through the site. */
    private final boolean zeroOnFree;

    SiteLabel(PooledAllocator allocator, String name, int id, SiteOptions options) {
        this.allocator = allocator;
        this.name = name;
        this.id = id;
        this.options = options;
        this.zeroOnFree = options.zeroOnFree();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public SiteOptions options() {
        return options;
    }

    @Override
    public long malloc(long size) {
        return allocate(size, size <= 8 ? 8 : 16, false);
    }

    @Override
    public long calloc(long size) {
        return allocate(size, size <= 8 ? 8 : 16, true);
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (zeroOnFree) {
            return allocator.segmentOfSecret(byteSize, byteAlignment, this);
        }
        return allocator.allocate(byteSize, byteAlignment, id);
    }

    /** A block for this site: a zero-on-free site's is entered in the allocator's table. */
    long allocate(long size, long alignment, boolean zero) {
        if (zeroOnFree) {
            return allocator.allocateSecret(size, alignment, this, zero);
        }
        return allocator.allocate(size, alignment, id, zero);
    }

    @Override
    public String toString() {
        return "Site[" + name + " #" + id + (options.equals(SiteOptions.DEFAULT) ? "" : " " + options) + "]";
    }
}
