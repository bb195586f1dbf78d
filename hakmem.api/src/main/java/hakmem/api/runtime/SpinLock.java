package hakmem.api.runtime;

import hakmem.api.LockStats;

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
 * is long. A waiter that sees the word held and unchanged for tens of microseconds takes the holder for
 * descheduled (more threads than cores, preempted inside its section) and sleeps, so the holder gets a
 * processor back instead of sharing it with spinning waiters. Waits are counted, by the new holder
 * under the lock ({@link #stats}), never on the fast path.
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
final class SpinLock extends SpinLockL2Pad {

    private static final VarHandle STATE;
    private static final VarHandle WANTED;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SpinLockState.class, "state", int.class);
            WANTED = MethodHandles.lookup().findVarHandle(SpinLockState.class, "wanted", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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
     * keep it for good. Each handover moves the core's lines to another processor, and the new holder's
     * blocks in among the old one's, so rarer is faster: 20 ms against 5 ran LOCKED larson at 4 and 8
     * threads faster and cut the app mix's p99 at 8 threads (figures in
     * {@code hakmem.bench/results/2026-12-08-2-cores-threads-over-cores}); 50 ms gained nothing more.
     */
    private static final long PATIENCE_NANOS = 20_000_000;

    /**
     * How long a platform waiter sees the lock held with the same word before it takes the holder for
     * stalled (descheduled inside its section) and sleeps: sections take tens of nanoseconds, a refill
     * a few microseconds, one that maps a chunk some tens.
     */
    private static final long STALL_NANOS = 50_000;
    /** First and longest sleep of a waiter whose holder is stalled; it doubles while the word stays put. */
    private static final long MIN_SLEEP_NANOS = 50_000;
    private static final long MAX_SLEEP_NANOS = 1_000_000;

    private final long patienceNanos;

    // Written only by a thread that holds the lock (after a slow acquisition), read under it.
    /** Acquisitions that took the slow path. */
    private long contended;
    /** Nanoseconds those acquisitions waited. */
    private long waitNanos;
    /** Yields of waiters that then took the lock. */
    private long yields;
    /** Sleeps (timed parks) of waiters that then took the lock. */
    private long sleeps;

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
        Stall stall = new Stall(state, since);
        int backoff = 64;
        int yields = 0;
        try {
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
                        counted(since, yields, stall);
                        return;
                    }
                }
                long now = System.nanoTime();
                if (stall.sleepIfStalled(seen, now)) {
                    continue;
                }
                if (now - since >= patienceNanos) {
                    lockWanted(false, since, yields, stall);
                    return;
                }
                if (backoff < MAX_BACKOFF) {
                    backoff <<= 1;
                } else {
                    Thread.yield();
                    yields++;
                }
            }
        } finally {
            if (stall.interrupted) {
                Thread.currentThread().interrupt(); // the caller's interrupt, kept for it
            }
        }
    }

    /**
     * Adds a slow acquisition to the counters; called by the new holder, so the lock guards them.
     */
    private void counted(long since, int yields, Stall stall) {
        contended++;
        waitNanos += System.nanoTime() - since;
        this.yields += yields;
        this.sleeps += stall.sleeps;
    }

    /**
     * Says the lock is wanted, so no one else starts to take it, then takes it as soon as it is free:
     * a platform thread watching the word (the holder steps back at its next lock, so this lasts about
     * one section) and sleeping while the holder is stalled, a virtual thread polling between timed
     * parks. Returns whether a virtual thread's park cleared an interrupt (see {@link #park}; a platform
     * thread's sleeps note theirs in {@code stall}).
     */
    private boolean lockWanted(boolean parking, long since, int yields, Stall stall) {
        WANTED.getAndAdd(this, 1);
        try {
            boolean interrupted = false;
            long pause = 1_000;
            for (int spins = 1; ; spins++) {
                int seen = state;
                if ((seen & 1) == 0 && STATE.compareAndSet(this, seen, seen + 1)) {
                    counted(since, yields, stall);
                    return interrupted;
                }
                if (parking) {
                    interrupted |= park(pause);
                    stall.sleeps++;
                    pause = Math.min(pause << 1, 1_000_000);
                } else {
                    Thread.onSpinWait();
                    if ((spins & 1023) == 0 && !stall.sleepIfStalled(seen, System.nanoTime())) {
                        Thread.yield();
                        yields++;
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
            Stall stall = new Stall(state, since);
            long pause = 1_000;
            for (int rounds = 0; ; rounds++) {
                int seen = state;
                if ((seen & 1) == 0 && wanted == 0 && STATE.compareAndSet(this, seen, seen + 1)) {
                    counted(since, 0, stall);
                    return;
                }
                if (rounds < 8) {
                    for (int i = 0; i < 256 << rounds; i++) {
                        Thread.onSpinWait();
                    }
                } else if (System.nanoTime() - since >= patienceNanos) {
                    interrupted |= lockWanted(true, since, 0, stall);
                    return;
                } else {
                    interrupted |= park(pause);
                    stall.sleeps++;
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
     * Parks the calling thread for up to {@code pause} ns with its interrupt cleared; returns whether it
     * cleared one. An interrupted thread's parks return at once: a virtual waiter would spin on its
     * carrier and keep an unmounted holder off it (all carriers taken: a deadlock), a platform one would
     * spin where it meant to sleep. The flag is set again only once the lock is taken: setting it wakes
     * the thread, so the next park would not wait.
     */
    private static boolean park(long pause) {
        boolean interrupted = Thread.interrupted();
        java.util.concurrent.locks.LockSupport.parkNanos(pause);
        return interrupted;
    }

    /**
     * What a platform waiter knows of the holder: the held word it last saw and since when. A word held
     * unchanged for {@link #STALL_NANOS} means the holder is not running (more threads than
     * processors, and it was preempted inside its section). Spinning or yielding then keeps it off its
     * processor (CFS hands a yielding thread the processor back before a thread that just used up its
     * slice), so the waiter sleeps, longer each time while the word stays put; no unlock wakes it, so
     * unlock stays a single release store.
     */
    private static final class Stall {
        private int watched;
        private long watchedSince;
        private long sleep = MIN_SLEEP_NANOS;
        int sleeps;
        /** Whether a sleep cleared the caller's interrupt (set again once the lock is taken). */
        boolean interrupted;

        Stall(int seen, long now) {
            watched = seen;
            watchedSince = now;
        }

        /** Sleeps if {@code seen} is the held word watched for {@link #STALL_NANOS}; returns whether it slept. */
        boolean sleepIfStalled(int seen, long now) {
            if (seen != watched || (seen & 1) == 0) {
                watched = seen;
                watchedSince = now;
                sleep = MIN_SLEEP_NANOS;
                return false;
            }
            if (now - watchedSince < STALL_NANOS) {
                return false;
            }
            interrupted |= park(sleep);
            sleeps++;
            sleep = Math.min(sleep << 1, MAX_SLEEP_NANOS);
            return true;
        }
    }

    /** The contention counters of {@code locks} summed under {@code name}, each read under its lock. */
    static LockStats stats(String name, SpinLock... locks) {
        long contended = 0, waitNanos = 0, yields = 0, sleeps = 0;
        for (SpinLock l : locks) {
            l.lock();
            try {
                contended += l.contended;
                waitNanos += l.waitNanos;
                yields += l.yields;
                sleeps += l.sleeps;
            } finally {
                l.unlock();
            }
        }
        return new LockStats(name, contended, waitNanos, yields, sleeps);
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

/**
 * Padding keeps the lock word off the cache lines of its neighbours (the core it guards, allocated
 * next to it). It takes a class chain: HotSpot orders one class's fields by size, so pads declared
 * beside the lock word need not surround it, but it places a superclass's fields before a subclass's,
 * except that a subclass's fill holes left in the superclass's first. Byte pads leave none (long pads
 * let the lock word into the 4 bytes after a 12-byte header). 128 bytes on each side, not 64: a
 * processor may fetch a line's neighbour with it. {@code SpinLockLayoutTest} checks the layout.
 */
abstract class SpinLockL1Pad {
    @SuppressWarnings("unused")
    private byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015,
            p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031,
            p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047,
            p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063,
            p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074, p075, p076, p077, p078, p079,
            p080, p081, p082, p083, p084, p085, p086, p087, p088, p089, p090, p091, p092, p093, p094, p095,
            p096, p097, p098, p099, p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111,
            p112, p113, p114, p115, p116, p117, p118, p119, p120, p121, p122, p123, p124, p125, p126, p127;
}

/** The lock's hot fields, between the pads (package-private: {@link SpinLock} reads them). */
abstract class SpinLockState extends SpinLockL1Pad {
    /** Counts acquisitions and releases: even when free, odd when held (see {@link SpinLock}). */
    volatile int state;
    /**
     * Waiters out of patience: while any, no other thread starts to take the lock (one already past
     * this check may still). Read on every lock, rarely written.
     */
    volatile int wanted;
}

/** Padding after the lock word: see {@link SpinLockL1Pad}. */
abstract class SpinLockL2Pad extends SpinLockState {
    @SuppressWarnings("unused")
    private byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013, q014, q015,
            q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027, q028, q029, q030, q031,
            q032, q033, q034, q035, q036, q037, q038, q039, q040, q041, q042, q043, q044, q045, q046, q047,
            q048, q049, q050, q051, q052, q053, q054, q055, q056, q057, q058, q059, q060, q061, q062, q063,
            q064, q065, q066, q067, q068, q069, q070, q071, q072, q073, q074, q075, q076, q077, q078, q079,
            q080, q081, q082, q083, q084, q085, q086, q087, q088, q089, q090, q091, q092, q093, q094, q095,
            q096, q097, q098, q099, q100, q101, q102, q103, q104, q105, q106, q107, q108, q109, q110, q111,
            q112, q113, q114, q115, q116, q117, q118, q119, q120, q121, q122, q123, q124, q125, q126, q127;
}
