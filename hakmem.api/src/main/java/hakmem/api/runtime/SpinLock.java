package hakmem.api.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A test-and-test-and-set lock for critical sections of a few tens of nanoseconds (one tier core call).
 *
 * <p>A monitor parks contended threads through the kernel, which costs far more than the section it
 * guards: measured here, one monitor around a tier collapsed to ~0.1x at 2 threads. This lock spins on
 * a plain read first ({@code onSpinWait}), then yields, then parks briefly, so a holder that was
 * descheduled (more threads than cores) still gets the CPU back.
 *
 * <p>Protocol: {@code state} is 0 when free, 1 when held. Lock is a CAS 0 -> 1 (full fence: the
 * holder sees everything the previous holder wrote); unlock is a release store of 0 (publishes the
 * section's writes to the next CAS winner). Not reentrant.
 */
final class SpinLock {

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SpinLock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Padding keeps the lock word off the cache lines of its neighbours (the core it guards).
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private volatile int state;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;

    void lock() {
        if (!STATE.compareAndSet(this, 0, 1)) {
            lockSlow();
        }
    }

    private void lockSlow() {
        for (int spins = 0; ; spins++) {
            // Plain-enough volatile read first: spinning on a CAS would keep stealing the line from the holder.
            if (state == 0 && STATE.compareAndSet(this, 0, 1)) {
                return;
            }
            if (spins < 128) {
                Thread.onSpinWait();
            } else if (spins < 256) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(1_000L);
                spins = 128;
            }
        }
    }

    void unlock() {
        // Release: the section's writes happen-before the next holder's successful CAS.
        STATE.setRelease(this, 0);
    }
}
