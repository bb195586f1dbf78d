package hakmem.api;

/**
 * Contention on one kind of lock of an allocator (as jemalloc's {@code stats.mutexes}): how often a
 * thread found it taken, how long such threads waited and what they did meanwhile. A lock kind is a
 * tier's cores (all shards together), the thread caches' depots or the big-block path. Only the slow
 * path counts, so an uncontended lock shows zeros and costs nothing to count.
 *
 * @param lock      what the lock guards: a tier's id, {@code "depots"} or {@code "big"}
 * @param contended acquisitions that found the lock taken
 * @param waitNanos nanoseconds those acquisitions waited, in all
 * @param yields    times their threads yielded the processor while waiting
 * @param sleeps    times their threads slept (parked) while waiting: a platform thread because the
 *                  holder looked descheduled (the lock held unchanged for tens of microseconds), a
 *                  virtual thread to free its carrier
 */
public record LockStats(String lock, long contended, long waitNanos, long yields, long sleeps) {

    /** Mean wait of a contended acquisition in nanoseconds, 0 when none. */
    public double meanWaitNanos() {
        return contended == 0 ? 0 : (double) waitNanos / contended;
    }
}
