/**
 * An example of a tier written outside hakmem: one class of 64-byte blocks for an application whose hot
 * allocation size is at most 64 bytes (message headers, small keys). It serves every request up to 64
 * bytes, so with it on the module path those go here instead of to the tiny tier.
 *
 * <p>Like hakmem's own tiers it exports nothing: the runtime finds it through the service, and it ships
 * {@code META-INF/services/hakmem.api.spi.TierProvider} for the class path too.
 */
module example.fixedtier {
    requires hakmem.api;

    provides hakmem.api.spi.TierProvider with example.fixedtier.FixedTierProvider;
}
