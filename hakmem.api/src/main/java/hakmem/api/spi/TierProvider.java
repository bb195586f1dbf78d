package hakmem.api.spi;

/**
 * A pool tier: serves every request up to {@link #maxSize()} bytes that no smaller tier present serves.
 *
 * <p>Providers are found once through {@link java.util.ServiceLoader} (module path: {@code provides
 * hakmem.api.spi.TierProvider with ...}; class path: {@code META-INF/services/hakmem.api.spi.TierProvider}),
 * ordered by {@link #maxSize()} and then {@link #id()}. With a tier missing, the next tier up (or the
 * big-block path) serves its range, so a tier must accept any size from 1 byte to its {@code maxSize()}.
 *
 * <p>A tier of 64-byte blocks for one hot size (the {@code hakmem.example.tier} module is a complete one):
 * {@snippet :
 * public final class Fixed64Provider implements TierProvider {
 *     @Override
 *     public String id() {
 *         return "fixed64";
 *     }
 *
 *     @Override
 *     public long maxSize() {
 *         return 64;
 *     }
 *
 *     @Override
 *     public TierCore create(ChunkSource chunks) {
 *         return new Fixed64Core(chunks);              // see TierCore
 *     }
 * }
 * }
 * declared in its module, and for the class path in {@code META-INF/services/hakmem.api.spi.TierProvider}:
 * {@snippet :
 * module my.tier {
 *     requires hakmem.api;
 *     provides hakmem.api.spi.TierProvider with my.tier.Fixed64Provider;
 * }
 * }
 */
public interface TierProvider {

    /** Stable id used in {@code Hakmem.builder().tiers(...)} and the {@code hakmem.tiers} property, e.g. {@code "tiny"}. */
    String id();

    /** Largest request size, in bytes, this tier serves. */
    long maxSize();

    /**
     * Creates one single-threaded core of this tier. The runtime serializes every call on it (a lock,
     * a shard or a thread cache in front), so the core needs no synchronization of its own.
     *
     * @param chunks where the core takes its memory from; the core owns every chunk it acquires there
     */
    TierCore create(ChunkSource chunks);

    /** One line for diagnostics: what this tier serves and how. */
    default String description() {
        return id() + " (<= " + maxSize() + " B)";
    }
}
