package hakmem.tiny;

import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

/** The tiny tier's provider: id {@code "tiny"}, requests of 1 B to 1 KiB. */
public final class TinyTierProvider implements TierProvider {

    /** Required by {@link java.util.ServiceLoader}. */
    public TinyTierProvider() {
    }

    @Override
    public String id() {
        return TinyCore.ID;
    }

    @Override
    public long maxSize() {
        return TinyCore.MAX_SIZE;
    }

    @Override
    public TierCore create(ChunkSource chunks) {
        return new TinyCore(chunks);
    }

    @Override
    public String description() {
        return "tiny (<= " + TinyCore.MAX_SIZE + " B): " + SizeClass.COUNT + " size classes " + SizeClass.BLOCK_SIZES[0]
                + ".." + SizeClass.BLOCK_SIZES[SizeClass.COUNT - 1] + " B in 64 KiB single-class slabs,"
                + " out-of-band free stacks and live bitmaps";
    }
}
