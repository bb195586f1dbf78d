/**
 * hakmem's benchmarks: the larson port and its baselines, run from the bench CLI
 * ({@code hakmem.bench.Main}). Not published; needs {@code --enable-native-access=hakmem.api,hakmem.bench}.
 */
module hakmem.bench {
    requires hakmem.api;
}
