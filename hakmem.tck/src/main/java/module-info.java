/**
 * hakmem's tier compatibility kit: the contract every tier core keeps (the six freelist invariants and
 * the error contract of {@link hakmem.api.spi.TierCore}), as jqwik properties a tier's test runs against
 * its own {@link hakmem.api.spi.TierProvider} by extending {@link hakmem.tck.TierCoreContract}.
 *
 * <p>The kit drives a core alone on a chunk source that records and checks every chunk the core takes,
 * gives back and discards, next to a model of the blocks it handed out; it sees the core only through
 * the SPI. It reads and writes block memory: run it with native access granted to it
 * ({@code --enable-native-access=ALL-UNNAMED} on the class path, {@code hakmem.tck} on the module path).
 */
module hakmem.tck {
    requires transitive hakmem.api;
    requires transitive net.jqwik.api;

    exports hakmem.tck;
}
