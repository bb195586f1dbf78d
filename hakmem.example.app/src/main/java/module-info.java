/**
 * An example application that embeds hakmem: it requires the API alone, and the tiers, hakmem's and a
 * third party's ({@code example.fixedtier}), are plugins found on the module path.
 */
module example.app {
    requires hakmem.api;

    // Only to list what the module path offers; the allocator finds its tiers by itself.
    uses hakmem.api.spi.TierProvider;
}
