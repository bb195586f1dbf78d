package hakmem.learn;

import java.util.Arrays;

/**
 * The shape of one call site's request sizes: counts over power-of-two buckets, bucket b holding sizes
 * in {@code (2^(b-1), 2^b]} (bucket 0 holds 1 B), from 1 B to {@code 2^46} B; larger requests count in
 * the last bucket. Two signatures compare by {@link #distance total variation} of their normalised
 * counts, which the engine uses to notice that a site's workload moved and its learned choices are stale.
 *
 * <p>Total variation rather than Hellinger or KL: it reads as "the fraction of requests that moved to
 * another size bucket", is bounded by 1, needs no smoothing of empty buckets, and a threshold on it is
 * easy to state. Buckets are powers of two because that is the resolution at which a size class, a tier
 * or the big-block path changes; finer buckets would flag noise inside one class as drift.
 *
 * <p>Not thread-safe: samples reach it through the learner thread.
 */
final class SizeSignature {

    /** Buckets for 1 B .. 2^46 B: one per power of two, 2^0 through 2^46. */
    static final int BUCKETS = 47;

    private final long[] counts = new long[BUCKETS];
    private long total;

    /** An empty signature. */
    SizeSignature() {
    }

    /** The bucket of a request of {@code size} bytes, {@code size >= 1}. */
    static int bucketOf(long size) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be >= 1: " + size);
        }
        int bucket = 64 - Long.numberOfLeadingZeros(size - 1); // ceil(log2(size))
        return Math.min(bucket, BUCKETS - 1);
    }

    /** Counts one request of {@code size} bytes. */
    void record(long size) {
        record(size, 1);
    }

    /** Counts {@code times} requests of {@code size} bytes, as a sampler that saw one in {@code times}. */
    void record(long size, long times) {
        if (times < 1) {
            throw new IllegalArgumentException("times must be >= 1: " + times);
        }
        int bucket = bucketOf(size);
        if (total > Long.MAX_VALUE - times) {
            throw new IllegalArgumentException("times would overflow the total " + total + ": " + times);
        }
        counts[bucket] += times;
        total += times;
    }

    /** Adds every count of {@code other} to this one (a longer window from shorter ones). */
    void merge(SizeSignature other) {
        if (other == null) {
            throw new IllegalArgumentException("other signature: null");
        }
        if (total > Long.MAX_VALUE - other.total) {
            throw new IllegalArgumentException("merging " + other.total + " would overflow the total " + total);
        }
        for (int b = 0; b < BUCKETS; b++) {
            counts[b] += other.counts[b];
        }
        total += other.total;
    }

    /** An independent copy. */
    SizeSignature copy() {
        SizeSignature copy = new SizeSignature();
        copy.merge(this);
        return copy;
    }

    /** Requests counted. */
    long total() {
        return total;
    }

    /** Requests counted in {@code bucket}. */
    long count(int bucket) {
        checkBucket(bucket);
        return counts[bucket];
    }

    /** The share of requests in {@code bucket}; 0 for an empty signature. */
    double fraction(int bucket) {
        checkBucket(bucket);
        return total == 0 ? 0.0 : (double) counts[bucket] / total;
    }

    /**
     * Total variation distance, {@code 1/2 * sum |a_b - b_b|} over normalised counts: 0 for the same shape
     * whatever the totals, 1 when no bucket is shared.
     *
     * @throws IllegalArgumentException when either signature is empty: it has no shape to compare
     */
    double distance(SizeSignature other) {
        if (other == null) {
            throw new IllegalArgumentException("other signature: null");
        }
        if (total == 0 || other.total == 0) {
            throw new IllegalArgumentException("an empty signature has no shape: totals " + total + " and " + other.total);
        }
        double sum = 0.0;
        for (int b = 0; b < BUCKETS; b++) {
            sum += Math.abs((double) counts[b] / total - (double) other.counts[b] / other.total);
        }
        return Math.min(1.0, sum / 2.0); // rounding may push a disjoint pair a hair past 1
    }

    /** Forgets every count. */
    void clear() {
        Arrays.fill(counts, 0);
        total = 0;
    }

    private static void checkBucket(int bucket) {
        if (bucket < 0 || bucket >= BUCKETS) {
            throw new IllegalArgumentException("bucket must be 0.." + (BUCKETS - 1) + ": " + bucket);
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("SizeSignature[n=").append(total);
        for (int b = 0; b < BUCKETS; b++) {
            if (counts[b] != 0) {
                s.append(", <=2^").append(b).append(": ").append(counts[b]);
            }
        }
        return s.append(']').toString();
    }
}
