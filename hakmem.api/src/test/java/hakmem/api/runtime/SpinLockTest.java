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
}
