package hakmem.api.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mutual exclusion, with more threads than cores and virtual threads among them. */
class SpinLockTest {

    private long counter;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void noIncrementIsLostUnderContention() throws Exception {
        SpinLock lock = new SpinLock();
        int threads = 6;
        int each = 200_000;
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Runnable work = () -> {
                for (int i = 0; i < each; i++) {
                    lock.lock();
                    try {
                        counter++; // a plain read-modify-write: any overlap of two sections loses an update
                    } finally {
                        lock.unlock();
                    }
                }
            };
            all.add(t % 2 == 0 ? Thread.ofPlatform().start(work) : Thread.ofVirtual().start(work));
        }
        for (Thread t : all) {
            t.join();
        }
        assertEquals((long) threads * each, counter);
    }

    /**
     * Holders that leave their carrier inside the section (a sleep here; a contended monitor in the
     * allocator) while many more virtual threads than carriers wait. Waiters that spin on the carriers
     * would keep each holder off them for about a second per handoff (minutes in all); parked waiters
     * let every holder straight back on.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void virtualHoldersThatUnmountAreNotStarvedBySpinningWaiters() throws Exception {
        SpinLock lock = new SpinLock();
        int threads = 200;
        List<Thread> all = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            all.add(Thread.ofVirtual().start(() -> {
                lock.lock();
                try {
                    long seen = counter;
                    Thread.sleep(1); // unmounts the holder
                    counter = seen + 1;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    lock.unlock();
                }
            }));
        }
        for (Thread t : all) {
            t.join();
        }
        assertEquals(threads, counter);
        // A liveness bound (the sections sleep 0.2 s in all), not a speed target: spinning waiters took minutes.
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 30, "200 sections took " + seconds + " s");
    }

    /**
     * A holder that takes the lock again straight after each release (it is free only between two of
     * its sections) must still let a waiter in, platform or virtual: past its patience the waiter says
     * it wants the lock and the holder steps back. Without that, the waiter's grace check fails every time.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aHolderThatNeverPausesLetsAWaiterIn(boolean virtualWaiter) throws Exception {
        SpinLock lock = new SpinLock();
        AtomicBoolean waiterIn = new AtomicBoolean();
        CountDownLatch holding = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!waiterIn.get() && System.nanoTime() < deadline) {
                lock.lock();
                try {
                    holding.countDown();
                    for (int i = 0; i < 1000; i++) {
                        Thread.onSpinWait();
                    }
                } finally {
                    lock.unlock();
                }
            }
        });
        holding.await();
        long[] waited = new long[1];
        Runnable waiter = () -> {
            long t0 = System.nanoTime();
            lock.lock();
            try {
                waiterIn.set(true);
            } finally {
                lock.unlock();
            }
            waited[0] = System.nanoTime() - t0;
        };
        (virtualWaiter ? Thread.ofVirtual().start(waiter) : Thread.ofPlatform().start(waiter)).join();
        holder.join();
        // A liveness bound (patience is 20 ms), not a speed target: without patience the waiter was
        // still out when the holder gave up after 20 s.
        double seconds = waited[0] / 1e9;
        assertTrue(waiterIn.get() && seconds < 2, "the waiter got the lock after " + seconds + " s");
    }

    /**
     * A holder that stops inside its section (here it sleeps; on a busy machine it is preempted): the
     * platform waiter sees the word held and unchanged, takes the holder for stalled and sleeps instead
     * of burning the processor the holder needs. The counters, guarded by the lock, record the one
     * contended acquisition, its wait and the sleeps; a fast acquisition adds nothing.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aWaiterOnAStalledHolderSleepsAndIsCounted() throws Exception {
        SpinLock lock = new SpinLock();
        lock.lock();
        long[] waited = new long[1];
        Thread waiter = Thread.ofPlatform().start(() -> {
            long t0 = System.nanoTime();
            lock.lock();
            waited[0] = System.nanoTime() - t0;
            lock.unlock();
        });
        Thread.sleep(30); // holding, not running: far longer than SpinLock.STALL_NANOS
        lock.unlock();
        waiter.join();
        lock.lock(); // uncontended: counts nothing
        lock.unlock();
        hakmem.api.LockStats c = SpinLock.stats("test", lock);
        assertEquals(1, c.contended(), "contended acquisitions");
        assertTrue(c.waitNanos() > 0 && c.waitNanos() <= waited[0],
                "waited " + c.waitNanos() + " ns of the waiter's " + waited[0]);
        assertTrue(c.sleeps() >= 1, "the waiter never slept on a stalled holder: " + c);
    }

    /**
     * Waiters out of patience at once (patience 0: the first failed round) against a holder that never
     * pauses, virtual threads among them: every section still runs alone (an unguarded read-spin-write
     * counter loses no update), the lock ends free, and no waiter is left marked as wanting it.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void impatientWaitersStillExcludeEachOther() throws Exception {
        SpinLock lock = new SpinLock(0);
        int waiters = 6;
        int sections = 1000;
        AtomicInteger waitersDone = new AtomicInteger();
        Runnable section = () -> {
            lock.lock();
            try {
                long seen = counter;
                for (int i = 0; i < 20; i++) {
                    Thread.onSpinWait();
                }
                counter = seen + 1;
            } finally {
                lock.unlock();
            }
        };
        long[] holderSections = new long[1];
        Thread holder = Thread.ofPlatform().start(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (waitersDone.get() < waiters && System.nanoTime() < deadline) {
                section.run();
                holderSections[0]++;
            }
        });
        List<Thread> all = new ArrayList<>();
        for (int w = 0; w < waiters; w++) {
            Runnable work = () -> {
                for (int i = 0; i < sections; i++) {
                    section.run();
                }
                waitersDone.incrementAndGet();
            };
            all.add(w % 2 == 0 ? Thread.ofPlatform().start(work) : Thread.ofVirtual().start(work));
        }
        for (Thread t : all) {
            t.join(TimeUnit.SECONDS.toMillis(45));
        }
        holder.join(TimeUnit.SECONDS.toMillis(45));
        assertEquals(waiters, waitersDone.get(), "every waiter got through");
        assertEquals((long) waiters * sections + holderSections[0], counter, "no section's update lost");
        assertFalse(lock.held());
        assertEquals(0, lock.wanted());
        assertThrows(IllegalMonitorStateException.class, lock::unlock);
    }

    /**
     * Virtual waiters whose interrupt flag is set, as many as the carriers and more, while a virtual
     * holder sleeps in its section (unmounted): a park returns at once for an interrupted thread, so
     * waiters that parked with the flag set would spin on every carrier and the holder would never get
     * one back. Each waiter gets the lock, and keeps its interrupt.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void interruptedVirtualWaitersLetAnUnmountedHolderFinish() throws Exception {
        SpinLock lock = new SpinLock();
        int waiters = 4 * Runtime.getRuntime().availableProcessors();
        CountDownLatch holding = new CountDownLatch(1);
        Thread holder = Thread.ofVirtual().start(() -> {
            lock.lock();
            try {
                holding.countDown();
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
            }
        });
        holding.await();
        AtomicInteger keptInterrupt = new AtomicInteger();
        List<Thread> all = new ArrayList<>();
        for (int w = 0; w < waiters; w++) {
            all.add(Thread.ofVirtual().start(() -> {
                Thread.currentThread().interrupt();
                lock.lock();
                try {
                    counter++;
                } finally {
                    lock.unlock();
                }
                if (Thread.currentThread().isInterrupted()) {
                    keptInterrupt.incrementAndGet();
                }
            }));
        }
        holder.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(holder.isAlive(), "the holder never got a carrier back");
        for (Thread t : all) {
            t.join(TimeUnit.SECONDS.toMillis(20));
        }
        assertEquals(waiters, counter);
        assertEquals(waiters, keptInterrupt.get());
    }
}
