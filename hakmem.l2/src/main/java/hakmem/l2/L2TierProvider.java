package hakmem.l2;

import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

/** Provider of the mid tier: sizes over 1 KiB up to 32 KiB in 21 classes, four per doubling. */
public final class L2TierProvider implements TierProvider {

    /** The tier's id in {@code Hakmem.builder().tiers(...)} and in stats. */
    public static final String ID = "l2";

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public L2TierProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public long maxSize() {
        return SizeClass.MAX_SIZE;
    }

    @Override
    public TierCore create(ChunkSource chunks) {
        return new L2Core(chunks);
    }

    @Override
    public String description() {
        return "l2 (<= 32 KiB): 21 classes 1 KiB..32 KiB, four per doubling, in runs of 64 KiB pages of 2 MiB chunks";
    }
}
