package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.InvalidAddressException;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.ConcurrencyTest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS variant's unlocked steps under Fray (controlled concurrency testing): where InterleavingTest
 * starts real threads many times and hopes the scheduler lands on the bad interleavings, Fray runs each
 * test body under its own scheduler, one thread at a time, switching at every synchronization point
 * (CAS, volatile access, lock, park, thread start and join) and picking a different schedule each
 * iteration. Each iteration builds a fresh allocator, so iterations are independent. The iteration counts
 * are fixed (the run is bounded); the schedules are drawn at random per run, and a failing one is saved as
 * a recording under target/fray/fray-report that {@code @ConcurrencyTest(replay = ...)} replays.
 *
 * <p>Runs only in the {@code fray} profile ({@code mvn -B verify -Pfray -pl hakmem.bench -am}), on the
 * class path, in the JDK Fray instruments.
 */
@ExtendWith(FrayTestExtension.class)
class ThreadCachesFrayTest {

    /** Sizes served by the thread caches (tiny), by l2, and by l25: each race is run once per size. */
    private static final long[] RACE_SIZES = {64, 4096, 256 << 10};

    private static Allocator tls() {
        return Hakmem.builder().concurrency(Concurrency.TLS).shards(2).learning(false).build();
    }

    /** Strict frees: the mark is taken with an atomic swap. */
    private static Allocator strictTls() {
        return Hakmem.builder().concurrency(Concurrency.TLS).shards(2).strictFrees(true).learning(false).build();
    }

    /**
     * Under plain marks (the default), two threads free the same live block at once and then each
     * allocates the same size at once. Allowed: one free or both succeed (both: the block sits in two
     * magazines). Forbidden: both frees fail, any other exception, the two allocations returning the same
     * block (a block handed to two callers at once). Afterwards the counters balance.
     */
    @ConcurrencyTest(iterations = 1000)
    void racingFreesUnderPlainMarksNeverHandABlockToTwoCallers() throws Exception {
        try (Allocator a = tls()) {
            long size = 64;
            long block = a.malloc(size);
            AtomicInteger wins = new AtomicInteger();
            long[] got = new long[2];
            List<Throwable> forbidden = Collections.synchronizedList(new ArrayList<>());
            Thread[] racers = new Thread[2];
            for (int r = 0; r < 2; r++) {
                int me = r;
                racers[r] = new Thread(() -> {
                    try {
                        a.free(block);
                        wins.incrementAndGet();
                    } catch (InvalidAddressException e) {
                        // the other free won
                    } catch (Throwable e) {
                        forbidden.add(e);
                    }
                    got[me] = a.malloc(size);
                });
            }
            for (Thread t : racers) {
                t.start();
            }
            for (Thread t : racers) {
                t.join();
            }
            assertTrue(forbidden.isEmpty(), () -> "forbidden outcomes: " + forbidden);
            assertTrue(wins.get() >= 1, "a free wins");
            assertTrue(got[0] != got[1], "one block handed to two callers at once");
            a.free(got[0]);
            a.free(got[1]);
            AllocatorStats s = a.stats();
            assertEquals(0, s.liveBlocks());
            assertEquals(3, s.allocations());
        }
    }

    /**
     * Strict frees: two threads free the same live block at once. Allowed: exactly one free succeeds and
     * the other gets an InvalidAddressException (taking the block's mark is an atomic swap, so only one can
     * win). Forbidden: both succeed (the block would sit in two magazines), both fail, any other exception.
     * Afterwards the counters balance and the allocator still serves the same size.
     */
    @ConcurrencyTest(iterations = 1000)
    void racingStrictFreesOfOneBlockLetExactlyOneWin() throws Exception {
        try (Allocator a = strictTls()) {
            for (long size : RACE_SIZES) {
                long block = a.malloc(size);
                AtomicInteger wins = new AtomicInteger();
                AtomicInteger rejected = new AtomicInteger();
                List<Throwable> forbidden = Collections.synchronizedList(new ArrayList<>());
                Runnable free = () -> {
                    try {
                        a.free(block);
                        wins.incrementAndGet();
                    } catch (InvalidAddressException e) {
                        rejected.incrementAndGet();
                    } catch (Throwable e) {
                        forbidden.add(e);
                    }
                };
                Thread first = new Thread(free);
                Thread second = new Thread(free);
                first.start();
                second.start();
                first.join();
                second.join();
                assertTrue(forbidden.isEmpty(), () -> "size " + size + ": forbidden outcomes: " + forbidden);
                assertEquals(1, wins.get(), "size " + size + ": exactly one free wins");
                assertEquals(1, rejected.get(), "size " + size + ": the other is rejected");

                // Still usable: the same size again, written and read back, then freed.
                long again = a.malloc(size);
                MemorySegment s = MemorySegment.ofAddress(again).reinterpret(size);
                s.set(ValueLayout.JAVA_LONG, 0, ~again);
                s.set(ValueLayout.JAVA_LONG, size - 8, again);
                assertEquals(~again, s.get(ValueLayout.JAVA_LONG, 0));
                assertEquals(again, s.get(ValueLayout.JAVA_LONG, size - 8));
                a.free(again);
            }
            AllocatorStats s = a.stats();
            assertEquals(2L * RACE_SIZES.length, s.allocations(), "one block per size, and one more after");
            assertEquals(2L * RACE_SIZES.length, s.frees(), "a rejected free is not counted");
            assertEquals(0, s.liveBlocks());
            assertEquals(0, s.caches().refused(), "no block was given back twice");
            a.trim();
            assertEquals(0, a.stats().reservedBytes(), "everything goes back to the OS");
        }
    }

    /** Blocks A allocates and hands to B: more than a 64-byte class's magazine (64 blocks) holds. */
    private static final int HANDED = 200;
    /** Blocks per hand-over: B frees while A still allocates. */
    private static final int CHUNK = 25;
    private static final long BLOCK = 64;

    /**
     * Blocks cross threads through the magazines and the depot. A allocates HANDED blocks of 64 bytes (more
     * than its magazine holds: it refills from the depot or its shard several times), fills each with a
     * pattern derived from its address, and hands them to B in chunks; B checks each pattern and frees the
     * block into its own magazine, which overflows and pushes batches to the depot, while A keeps
     * allocating and freeing blocks of its own (which may come from the batches B pushed). Allowed: every
     * pattern intact when checked, and no address handed out while it is still live (checked against a
     * set of live addresses, and by the patterns for any overlap). Afterwards the counters balance.
     */
    @ConcurrencyTest(iterations = 300)
    void blocksHandedAcrossThreadsKeepTheirContents() throws Exception {
        try (Allocator a = tls()) {
            Set<Long> live = Collections.synchronizedSet(new HashSet<>());
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            BlockingQueue<long[]> handOver = new ArrayBlockingQueue<>(HANDED / CHUNK + 1);

            Thread producer = new Thread(() -> {
                try {
                    for (int sent = 0; sent < HANDED; sent += CHUNK) {
                        long[] chunk = new long[CHUNK];
                        for (int i = 0; i < CHUNK; i++) {
                            chunk[i] = allocateFilled(a, live, failures);
                        }
                        handOver.put(chunk);
                        // Churn of A's own: take blocks (perhaps ones B just freed), check, give back.
                        for (int i = 0; i < 4; i++) {
                            long p = allocateFilled(a, live, failures);
                            checkAndFree(a, p, live, failures);
                        }
                    }
                    handOver.put(new long[0]);
                } catch (Throwable e) {
                    failures.add("A: " + e);
                }
            });
            Thread consumer = new Thread(() -> {
                try {
                    for (long[] chunk = handOver.take(); chunk.length > 0; chunk = handOver.take()) {
                        for (long p : chunk) {
                            checkAndFree(a, p, live, failures);
                        }
                    }
                } catch (Throwable e) {
                    failures.add("B: " + e);
                }
            });
            producer.start();
            consumer.start();
            producer.join();
            consumer.join();

            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            assertTrue(live.isEmpty(), () -> "blocks left live: " + live.size());
            AllocatorStats s = a.stats();
            long expected = HANDED + 4L * (HANDED / CHUNK);
            assertEquals(expected, s.allocations());
            assertEquals(expected, s.frees());
            assertEquals(0, s.liveBlocks());
            assertEquals(0, s.caches().refused());
            a.trim();
            assertEquals(0, a.stats().reservedBytes());
        }
    }

    /** A new 64-byte block, recorded live (it must not be live already) and filled with its pattern. */
    private static long allocateFilled(Allocator a, Set<Long> live, List<String> failures) {
        long p = a.malloc(BLOCK);
        if (!live.add(p)) {
            failures.add("address handed out twice while live: 0x" + Long.toHexString(p));
        }
        MemorySegment s = MemorySegment.ofAddress(p).reinterpret(BLOCK);
        for (long off = 0; off < BLOCK; off += 8) {
            s.set(ValueLayout.JAVA_LONG, off, pattern(p, off));
        }
        return p;
    }

    /** Checks the block's pattern, drops it from the live set (before the free: then it may come back) and frees it. */
    private static void checkAndFree(Allocator a, long p, Set<Long> live, List<String> failures) {
        MemorySegment s = MemorySegment.ofAddress(p).reinterpret(BLOCK);
        for (long off = 0; off < BLOCK; off += 8) {
            if (s.get(ValueLayout.JAVA_LONG, off) != pattern(p, off)) {
                failures.add("block 0x" + Long.toHexString(p) + " changed at offset " + off);
                break;
            }
        }
        live.remove(p);
        a.free(p);
    }

    private static long pattern(long address, long offset) {
        return (address + offset) * 0x9E3779B97F4A7C15L;
    }
}
