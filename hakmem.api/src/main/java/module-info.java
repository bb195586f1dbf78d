/**
 * hakmem's public API ({@code hakmem.api}), its provider SPI ({@code hakmem.api.spi}) and the runtime
 * that composes tier and learner providers. Only the two API packages are exported.
 *
 * <p>The runtime maps memory with FFM downcalls: run with {@code --enable-native-access=hakmem.api}.
 */
module hakmem.api {
    exports hakmem.api;
    exports hakmem.api.spi;

    // For the AllocatorMXBean (Hakmem.Builder#jmx); its classes load only for an allocator named or registered.
    requires java.management;
    // For the JFR events of hakmem.api.runtime.JfrEvents (category "hakmem").
    requires jdk.jfr;

    uses hakmem.api.spi.TierProvider;
    uses hakmem.api.spi.LearnerProvider;
}
