package hakmem.api.runtime;

import hakmem.api.Site;

import java.lang.foreign.MemorySegment;

/** A site of a {@link PooledAllocator}: its requests carry the site's id to the tiers. */
final class SiteLabel implements Site {

    private final PooledAllocator allocator;
    private final String name;
    private final int id;

    SiteLabel(PooledAllocator allocator, String name, int id) {
        this.allocator = allocator;
        this.name = name;
        this.id = id;
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
    public long malloc(long size) {
        return allocator.allocate(size, size <= 8 ? 8 : 16, id, false);
    }

    @Override
    public long calloc(long size) {
        return allocator.allocate(size, size <= 8 ? 8 : 16, id, true);
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return allocator.allocate(byteSize, byteAlignment, id);
    }

    @Override
    public String toString() {
        return "Site[" + name + " #" + id + "]";
    }
}
