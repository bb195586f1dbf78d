package hakmem.l25;

import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

/** Provider of the large-pool tier: sizes over 32 KiB up to 1 MiB in five power-of-two classes of 64 KiB pages. */
public final class L25TierProvider implements TierProvider {

    /** The tier's id in {@code Hakmem.builder().tiers(...)} and in stats. */
    public static final String ID = "l25";

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public L25TierProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public long maxSize() {
        return L25Core.MAX_SIZE;
    }

    @Override
    public TierCore create(ChunkSource chunks) {
        return new L25Core(chunks);
    }

    @Override
    public String description() {
        return "l25 (<= 1 MiB): classes 64 KiB..1 MiB as naturally aligned runs of 64 KiB pages,"
                + " freed blocks cached per site shard";
    }
}
