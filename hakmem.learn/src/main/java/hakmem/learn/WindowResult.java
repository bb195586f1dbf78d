package hakmem.learn;

import java.util.HashMap;
import java.util.Map;

/**
 * What the feeder measured over one window in which one strategy ran.
 *
 * @param cost     the window's cost, matched against other strategies' windows
 * @param p99Nanos the window's 99th percentile operation latency (from a {@link P2Quantile})
 * @param sizes    request-size signatures of the call sites sampled in the window, by site label;
 *                 copied, so the feeder may reuse its signatures for the next window
 * @param operations requests the allocator served in the window, or -1 when not counted (then the
 *                 engine does not watch the load)
 */
record WindowResult(WindowCost cost, double p99Nanos, Map<String, SizeSignature> sizes, long operations) {

    WindowResult {
        if (cost == null) {
            throw new IllegalArgumentException("cost: null");
        }
        if (!(p99Nanos >= 0.0) || Double.isInfinite(p99Nanos)) {
            throw new IllegalArgumentException("p99Nanos must be finite and >= 0: " + p99Nanos);
        }
        if (sizes == null) {
            throw new IllegalArgumentException("sizes: null (pass an empty map for no samples)");
        }
        Map<String, SizeSignature> copy = new HashMap<>();
        sizes.forEach((site, signature) -> {
            if (site == null || signature == null) {
                throw new IllegalArgumentException("null site or signature: " + site + " -> " + signature);
            }
            copy.put(site, signature.copy());
        });
        sizes = Map.copyOf(copy);
        if (operations < -1) {
            throw new IllegalArgumentException("operations must be >= 0, or -1 for not counted: " + operations);
        }
    }

    /** A window whose operations were not counted. */
    WindowResult(WindowCost cost, double p99Nanos, Map<String, SizeSignature> sizes) {
        this(cost, p99Nanos, sizes, -1);
    }

    /** A window with no size samples. */
    WindowResult(WindowCost cost, double p99Nanos) {
        this(cost, p99Nanos, Map.of());
    }
}
