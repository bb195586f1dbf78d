package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Calls racing {@code close()}: each completes or throws IllegalStateException, and none crashes the
 * JVM from inside hakmem (the zero fill of {@code calloc} and the copy of {@code realloc} write to blocks
 * that close() gives back). A crash fails the run: the forked test JVM dies.
 */
class CloseRaceTest {

    private static final int TRIALS = 40;

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void callsRacingCloseCompleteOrThrowIllegalStateException(Concurrency variant) throws Exception {
        SplittableRandom rnd = new SplittableRandom(1313);
        for (int trial = 0; trial < TRIALS; trial++) {
            Allocator a = Hakmem.builder().concurrency(variant).shards(2).learning(false).build();
            List<Throwable> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger refused = new AtomicInteger();
            CountDownLatch running = new CountDownLatch(3);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                long seed = rnd.nextLong();
                threads.add(Thread.ofPlatform().start(() -> hammer(a, seed, running, wrong, refused)));
            }
            running.await();
            Thread.sleep(rnd.nextInt(3));
            a.close();
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(wrong.isEmpty(), () -> variant + ": " + wrong);
            assertTrue(refused.get() == 3, "every thread ended on IllegalStateException");
        }
    }

    /** Virtual threads have no thread cache: their calls racing close() fail the same way. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void virtualThreadsRacingCloseOfTheThreadCachesGetIllegalStateException() throws Exception {
        SplittableRandom rnd = new SplittableRandom(77);
        for (int trial = 0; trial < 5 * TRIALS; trial++) {
            Allocator a = Hakmem.builder().concurrency(Concurrency.TLS).shards(2).learning(false).build();
            List<Throwable> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger refused = new AtomicInteger();
            CountDownLatch running = new CountDownLatch(4);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    running.countDown();
                    try {
                        while (true) {
                            a.free(a.malloc(64));
                        }
                    } catch (IllegalStateException e) {
                        refused.incrementAndGet();
                    } catch (Throwable e) {
                        wrong.add(e);
                    }
                }));
            }
            running.await();
            Thread.sleep(rnd.nextInt(2));
            a.close();
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(wrong.isEmpty(), () -> "trial: " + wrong);
            assertTrue(refused.get() == 4);
        }
    }

    private static void hammer(Allocator a, long seed, CountDownLatch running, List<Throwable> wrong, AtomicInteger refused) {
        SplittableRandom rnd = new SplittableRandom(seed);
        running.countDown();
        try {
            while (true) {
                switch (rnd.nextInt(3)) {
                    case 0 -> a.free(a.calloc(200));
                    case 1 -> {
                        // Contents are not checked: a close() racing the copy may already have given the pages back.
                        long p = a.malloc(100);
                        MemorySegment.ofAddress(p).reinterpret(100).fill((byte) 7);
                        p = a.realloc(p, 50_000);
                        p = a.realloc(p, 100);
                        a.free(p);
                    }
                    default -> a.free(a.calloc(2 << 20)); // a big block
                }
            }
        } catch (IllegalStateException e) {
            refused.incrementAndGet();
        } catch (Throwable e) {
            wrong.add(e);
        }
    }
}
