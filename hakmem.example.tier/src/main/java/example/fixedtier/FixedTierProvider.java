package example.fixedtier;

import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

/** Id {@code "fixed64"}: requests of 1 to 64 bytes, each in a 64-byte block. */
public final class FixedTierProvider implements TierProvider {

    /** Required by {@link java.util.ServiceLoader}. */
    public FixedTierProvider() {
    }

    @Override
    public String id() {
        return FixedCore.ID;
    }

    @Override
    public long maxSize() {
        return FixedCore.BLOCK;
    }

    @Override
    public TierCore create(ChunkSource chunks) {
        return new FixedCore(chunks);
    }

    @Override
    public String description() {
        return FixedCore.ID + " (<= " + FixedCore.BLOCK + " B): one class of " + FixedCore.BLOCK
                + "-byte blocks, a free stack and a live bitmap per chunk (example third-party tier)";
    }
}
