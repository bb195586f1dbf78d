package hakmem.api.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
        org.junit.jupiter.api.Assertions.assertTrue(seconds < 30, "200 sections took " + seconds + " s");
    }
    /**
     * A holder that takes the lock again straight after each release (it is free only between two of
     * its sections) must still let a waiter in: past its patience the waiter says it wants the lock
     * and the holder yields it. Without that, the waiter's grace check fails every time.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aHolderThatNeverPausesLetsAWaiterIn() throws Exception {
        SpinLock lock = new SpinLock();
        java.util.concurrent.atomic.AtomicBoolean waiterIn = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!waiterIn.get() && System.nanoTime() < deadline) {
                lock.lock();
                try {
                    holding.countDown();
                    for (int i = 0; i < 1000; i++) {
                        Thread.onSpinWait();
                    }
                    counter++;
                } finally {
                    lock.unlock();
                }
            }
        });
        holding.await();
        long t0 = System.nanoTime();
        lock.lock();
        try {
            waiterIn.set(true);
            counter++;
        } finally {
            lock.unlock();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        holder.join();
        // A liveness bound (patience is a few milliseconds), not a speed target: the previous lock (no patience) never let it in within the 20 s.
        org.junit.jupiter.api.Assertions.assertTrue(seconds < 2, "the waiter got the lock after " + seconds + " s");
        org.junit.jupiter.api.Assertions.assertTrue(counter > 1);
    }
    /**
     * Waiters that run out of patience at once (patience 0) against a holder that never pauses, with
     * virtual threads among them: every section still runs alone (an unguarded read-spin-write counter
     * loses no update), and no waiter is left marked as wanting the lock.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void impatientWaitersStillExcludeEachOther() throws Exception {
        SpinLock lock = new SpinLock(0);
        int sections = 300;
        java.util.concurrent.atomic.AtomicInteger waitersDone = new java.util.concurrent.atomic.AtomicInteger();
        Runnable section = () -> {
            lock.lock();
            try {
                long seen = counter;
                for (int i = 0; i < 50; i++) {
                    Thread.onSpinWait();
                }
                counter = seen + 1;
            } finally {
                lock.unlock();
            }
        };
        List<Thread> waiters = new ArrayList<>();
        long[] holderSections = new long[1];
        Thread holder = Thread.ofPlatform().start(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (waitersDone.get() < 5 && System.nanoTime() < deadline) {
                section.run();
                holderSections[0]++;
            }
        });
        for (int w = 0; w < 5; w++) {
            Runnable work = () -> {
                for (int i = 0; i < sections; i++) {
                    section.run();
                }
                waitersDone.incrementAndGet();
            };
            waiters.add(w < 3 ? Thread.ofPlatform().start(work) : Thread.ofVirtual().start(work));
        }
        for (Thread t : waiters) {
            t.join();
        }
        holder.join();
        assertEquals(5, waitersDone.get(), "every waiter got through");
        assertEquals(5L * sections + holderSections[0], counter, "no section's update lost");
        assertEquals(0, lock.wanted());
    }
}
