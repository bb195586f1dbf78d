package hakmem.bench;

/**
 * One measurement: one workload scenario, one allocator, one thread count, in one JVM.
 *
 * @param workload      larson, scenarios, appmix, remote or phase
 * @param scenario      which scenario of the workload (json, R=50%, 2:vm...); the workload's name where it has one
 * @param allocator     the allocator's id
 * @param threads       threads asked for (for remote: producer/consumer pairs)
 * @param ops           operations counted (see the workload for what one is)
 * @param seconds       measured time
 * @param nsPerOp       time per operation on one thread (mean over threads)
 * @param p50Ns         median of batch latency per operation, ns (NaN where not measured)
 * @param p99Ns         99th percentile of batch latency per operation, ns (NaN where not measured)
 * @param peakRssKiB    VmHWM of the measuring JVM at the end of the measurement (-1 unknown)
 * @param reservedBytes bytes the allocator reported reserved near the end (-1 where it cannot tell)
 * @param liveBytes     bytes requested by the blocks live at that moment (-1 where it cannot tell)
 */
public record Measurement(String workload, String scenario, String allocator, int threads, long ops, double seconds,
                          double nsPerOp, double p50Ns, double p99Ns, long peakRssKiB, long reservedBytes,
                          long liveBytes) {

    public double opsPerSecond() {
        return ops / seconds;
    }
}
