package hakmem.learn;

import hakmem.api.spi.SampleSink;

import java.util.Locale;

/**
 * What the samples say about one call site since the allocator opened: requests and bytes (estimated:
 * each sample counts for its weight), size quantiles, and how its requests were served. Owned by the
 * learner's thread.
 */
final class SiteProfile {

    private final String name;
    private long requests;
    private long bytes;
    private long samples;
    private final long[] byKind = new long[SampleSink.BIG_FREE];
    private final P2Quantile medianSize = new P2Quantile(0.5);
    private final P2Quantile p99Size = new P2Quantile(0.99);

    SiteProfile(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    /** One allocation sample ({@link SampleSink#BIG_FREE} is not one). */
    void add(int kind, long size, int weight) {
        requests += weight;
        bytes += size * weight;
        samples++;
        byKind[kind] += weight;
        medianSize.add(size);
        p99Size.add(size);
    }

    long requests() {
        return requests;
    }

    long bytes() {
        return bytes;
    }

    long samples() {
        return samples;
    }

    /** Estimated requests served as {@code kind}. */
    long served(int kind) {
        return byKind[kind];
    }

    /** Median request size, NaN before any sample. */
    double medianSize() {
        return samples == 0 ? Double.NaN : medianSize.estimate();
    }

    /** 99th percentile request size, NaN before any sample. */
    double p99Size() {
        return samples == 0 ? Double.NaN : p99Size.estimate();
    }

    /** One line: requests, bytes, size quantiles and the shares served from thread caches and the big-block path. */
    String describe() {
        double cached = requests == 0 ? 0 : 100.0 * byKind[SampleSink.REFILL] / requests;
        return String.format(Locale.ROOT, "%s: ~%d requests, ~%d bytes (%d samples), size p50 %.0f B p99 %.0f B,"
                        + " %.1f%% from thread caches, %.1f%% big",
                name.isEmpty() ? "(unlabelled)" : name, requests, bytes, samples, medianSize(), p99Size(), cached,
                requests == 0 ? 0 : 100.0 * byKind[SampleSink.BIG] / requests);
    }
}
