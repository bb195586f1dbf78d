package hakmem.api.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A test-and-test-and-set lock for critical sections of a few tens of nanoseconds (one tier core call).
 *
 * <p>A monitor parks contended threads through the kernel, which costs far more than the section it
 * guards: measured here, one monitor around a tier collapsed to ~0.1x at 2 threads. This lock backs off
 * exponentially between tries without touching the lock word (until a waiter runs out of patience and
 * watches it for the one section the holder still runs), so the holder keeps the lock's and the
 * core's cache lines and runs on at full speed (throughput over fairness), and yields once the backoff
 * is long, so a holder that was descheduled (more threads than cores) gets the CPU back.
 *
 * <p>Virtual threads park instead of spinning long: a virtual holder that blocks inside its section
 * (on a monitor, say) leaves its carrier and needs a free one to finish; thousands of
 * virtual waiters spinning on every carrier would keep it off for seconds at a time.
 *
 * <p>Protocol: {@code state} counts acquisitions and releases: even when free, odd when held. Lock
 * is a CAS from an even value to the next (full fence: the holder sees everything the previous holder
 * wrote); unlock is a release store of the next even value (publishes the section's writes to the next
 * CAS winner). A waiter on the slow path that finds the lock free takes it only if the word has not moved
 * during a grace period, that is if the holder has not come back for another section meanwhile; one
 * out of patience says it wants the lock ({@link #wanted}) and the others step back. Not reentrant;
 * unlocking a free lock throws.
 */
final class SpinLock {

    private static final VarHandle STATE;
    private static final VarHandle WANTED;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SpinLock.class, "state", int.class);
            WANTED = MethodHandles.lookup().findVarHandle(SpinLock.class, "wanted", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Padding keeps the lock word off the cache lines of its neighbours (the core it guards).
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private volatile int state;
    /**
     * Waiters out of patience: while any, no other thread starts to take the lock (one already past
     * this check may still). Read on every lock, rarely written.
     */
    private volatile int wanted;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;

    /**
     * Longest pause between tries, in spin-wait hints (a few hundred microseconds). Longer pauses let
     * the holder run longer uncontended: on larson at 2 threads (2 cores) 2^10 gave 0.36x the 1-thread
     * rate, 2^14 0.55x, 2^16 0.63x, at a growing cost in the waiter's latency.
     */
    private static final int MAX_BACKOFF = 1 << 14;
    /**
     * Spin-wait hints a waiter that finds the lock free watches it before taking it: if the word moved
     * meanwhile, the holder is still at work (free only between two of its requests) and the waiter
     * backs off again, so the lock and the core's lines change processors only once the holder has
     * really stopped. A free lock taken at once gave larson at 2 threads on 2 cores 0.5-0.75x its
     * 1-thread rate; a grace without the check that the word stayed put gave 0.73-0.85x, but the app mix
     * (two tiers, two locks) 0.40x, which this check and {@link #PATIENCE_NANOS} raise to about 0.8x.
     */
    private static final int GRACE = 64;
    /**
     * How long a waiter backs off (from its first miss) before it says it wants the lock (see
     * {@link #wanted}) and takes it as soon as it is free: a holder that never pauses would otherwise
     * keep it for good. Each handover moves the core's lines to another processor, so rarer is faster:
     * app mix at 2 threads, 1 ms gave 46, 3 ms 48, 6 and 12 ms 50 M ops/s (1 thread: 60).
     */
    private static final long PATIENCE_NANOS = 5_000_000;

    private final long patienceNanos;

    SpinLock() {
        this(PATIENCE_NANOS);
    }

    /** With another patience, for tests that drive waiters down the impatient path. */
    SpinLock(long patienceNanos) {
        this.patienceNanos = patienceNanos;
    }

    void lock() {
        int s = state;
        if ((s & 1) != 0 || wanted != 0 || !STATE.compareAndSet(this, s, s + 1)) {
            lockSlow();
        }
    }

    private void lockSlow() {
        if (Thread.currentThread().isVirtual()) {
            lockParking();
            return;
        }
        // Exponential backoff without touching the lock word: the holder keeps the line (and the core's
        // metadata) in its own cache and takes the lock again at full speed, instead of both threads
        // dragging the lines across for every request. Throughput over fairness, on purpose, up to
        // patienceNanos. The clock is read once a round (30 ns against at least 64 hints).
        long since = System.nanoTime();
        int backoff = 64;
        while (true) {
            for (int i = 0; i < backoff; i++) {
                Thread.onSpinWait();
            }
            int seen = state;
            if ((seen & 1) == 0) {
                for (int i = 0; i < GRACE; i++) {
                    Thread.onSpinWait();
                }
                if (state == seen && wanted == 0 && STATE.compareAndSet(this, seen, seen + 1)) {
                    return;
                }
            }
            if (System.nanoTime() - since >= patienceNanos) {
                lockWanted(false);
                return;
            }
            if (backoff < MAX_BACKOFF) {
                backoff <<= 1;
            } else {
                // The holder may be descheduled (more threads than cores): let it run. Every round, not
                // every 8th: larson at 8 threads on 2 cores, LOCKED 5.6 -> 14 and SHARDED 13 -> 24 M ops/s.
                Thread.yield();
            }
        }
    }

    /**
     * Says the lock is wanted, so no one else starts to take it, then takes it as soon as it is free:
     * a platform thread watching the word (the holder steps back at its next lock, so this lasts about
     * one section) and yielding now and then to a descheduled holder, a virtual thread polling between
     * timed parks. Returns whether a park cleared an interrupt (see {@link #park}).
     */
    private boolean lockWanted(boolean parking) {
        WANTED.getAndAdd(this, 1);
        try {
            boolean interrupted = false;
            long pause = 1_000;
            for (int spins = 1; ; spins++) {
                int seen = state;
                if ((seen & 1) == 0 && STATE.compareAndSet(this, seen, seen + 1)) {
                    return interrupted;
                }
                if (parking) {
                    interrupted |= park(pause);
                    pause = Math.min(pause << 1, 1_000_000);
                } else {
                    Thread.onSpinWait();
                    if ((spins & 1023) == 0) {
                        Thread.yield();
                    }
                }
            }
        } finally {
            WANTED.getAndAdd(this, -1); // whatever happens (an Error from yield), never left wanted
        }
    }

    /**
     * Virtual threads: short spins, then timed parks that free the carrier (no unpark: unlock stays a
     * single release store); out of patience, they say they want the lock like platform threads.
     */
    private void lockParking() {
        boolean interrupted = false;
        try {
            long since = System.nanoTime();
            long pause = 1_000;
            for (int rounds = 0; ; rounds++) {
                int seen = state;
                if ((seen & 1) == 0 && wanted == 0 && STATE.compareAndSet(this, seen, seen + 1)) {
                    return;
                }
                if (rounds < 8) {
                    for (int i = 0; i < 256 << rounds; i++) {
                        Thread.onSpinWait();
                    }
                } else if (System.nanoTime() - since >= patienceNanos) {
                    interrupted |= lockWanted(true);
                    return;
                } else {
                    interrupted |= park(pause);
                    pause = Math.min(pause << 1, 1_000_000);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt(); // the caller's interrupt, kept for it
            }
        }
    }

    /**
     * Parks the calling virtual thread for up to {@code pause} ns with its interrupt cleared; returns
     * whether it cleared one. An interrupted thread's parks return at once: the waiter would spin on
     * its carrier and keep an unmounted holder off it (all carriers taken: a deadlock). The flag is set
     * again only once the lock is taken: setting it wakes the thread, so the next park would not wait.
     */
    private static boolean park(long pause) {
        boolean interrupted = Thread.interrupted();
        java.util.concurrent.locks.LockSupport.parkNanos(pause);
        return interrupted;
    }

    /** Waiters out of patience now (0 when no thread waits). */
    int wanted() {
        return wanted;
    }

    /** Whether some thread holds the lock now. */
    boolean held() {
        return (state & 1) != 0;
    }

    void unlock() {
        // Release: the section's writes happen-before the next holder's successful CAS. A plain read
        // of the word: only the holder writes it while it is odd.
        int s = (int) STATE.get(this);
        if ((s & 1) == 0) {
            throw new IllegalMonitorStateException("unlock of a free lock"); // would leave it held for good
        }
        STATE.setRelease(this, s + 1);
    }
}
