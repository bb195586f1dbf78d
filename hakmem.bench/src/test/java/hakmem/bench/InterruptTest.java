package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interrupts, and exceptions thrown by user code between operations, leave no lock held and no block
 * lost: threads (virtual and platform) are interrupted over and over while they allocate, and throw out
 * of their own loop now and then, freeing what they hold in a finally block; afterwards every lock can be
 * taken (the calling thread allocates from every tier), nothing is live, and verify() passes.
 */
class InterruptTest {

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void interruptsAndUserExceptionsLeaveNoLockHeldAndNoBlockLost(Concurrency c) throws Exception {
        try (Allocator a = Hakmem.builder().concurrency(c).shards(2).learning(false).build()) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong checked = new AtomicLong();
            List<Throwable> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                long seed = 31 + t;
                Runnable work = () -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    while (!stop.get()) {
                        long[] held = new long[16];
                        try {
                            for (int i = 0; i < held.length; i++) {
                                long size = switch (rnd.nextInt(8)) {
                                    case 0 -> 2000 + rnd.nextInt(30_000);
                                    case 1 -> 40_000 + rnd.nextInt(200_000);
                                    default -> 1 + rnd.nextInt(1024);
                                };
                                held[i] = a.malloc(size);
                                Memory.ALL.set(ValueLayout.JAVA_LONG_UNALIGNED, held[i], held[i] ^ seed);
                                if (rnd.nextInt(50) == 0) {
                                    throw new IllegalStateException("the user's own failure");
                                }
                            }
                        } catch (IllegalStateException userFailure) {
                            // between operations: the blocks held so far are freed below
                        } catch (Throwable e) {
                            wrong.add(e);
                        } finally {
                            Thread.interrupted(); // the interrupt was for the loop, not for the frees
                            for (long p : held) {
                                if (p != 0) {
                                    if (Memory.ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, p) != (p ^ seed)) {
                                        wrong.add(new AssertionError("block 0x" + Long.toHexString(p) + " changed"));
                                    }
                                    checked.incrementAndGet();
                                    a.free(p);
                                }
                            }
                        }
                    }
                };
                threads.add(t % 2 == 0 ? Thread.ofVirtual().start(work) : Thread.ofPlatform().start(work));
            }
            SplittableRandom rnd = new SplittableRandom(7);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < until) {
                threads.get(rnd.nextInt(threads.size())).interrupt();
                Thread.sleep(0, 200_000);
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(wrong.isEmpty(), () -> c + ": " + wrong);
            assertTrue(checked.get() > 1000, "blocks went through: " + checked.get());
            for (long size : new long[] {16, 5000, 100_000, 3 << 20}) { // every tier's lock can be taken
                a.free(a.malloc(size));
            }
            assertEquals(0, a.stats().liveBlocks());
            a.verify();
        }
    }
}
