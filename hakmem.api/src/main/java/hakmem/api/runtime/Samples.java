package hakmem.api.runtime;

import hakmem.api.spi.SampleSink;

/**
 * The samples a learner reads: rings picked by thread id, so threads seldom share one. Made only when
 * a learner runs; the paths that record check for null.
 */
final class Samples {

    /** Requests per sample on the locked pooled paths. */
    static final int PERIOD = 1024;

    private final SampleRing[] rings;

    Samples(int shards) {
        rings = new SampleRing[Integer.highestOneBit(Math.max(1, shards - 1)) << 1];
        for (int i = 0; i < rings.length; i++) {
            rings[i] = new SampleRing();
        }
    }

    void record(int kind, long size, int site, int tier, long nanos, int weight) {
        rings[(int) Thread.currentThread().threadId() & (rings.length - 1)].record(kind, size, site, tier, nanos, weight);
    }

    /** Drains every ring into {@code sink}; returns the samples lost since the last drain. */
    long drain(SampleSink sink) {
        long lost = 0;
        for (SampleRing r : rings) {
            lost += r.drain(sink);
        }
        return lost;
    }
}
