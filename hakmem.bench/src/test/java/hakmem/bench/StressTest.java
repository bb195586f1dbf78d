package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stress for every variant: more roles than cores, each allocating random sizes across all tiers and the
 * big-block path, filling each block with a pattern of (block id, owner), handing it to a random other
 * role through a bounded queue; the receiver checks the pattern and frees. Every role's thread ends
 * after a few hundred blocks and a fresh one takes over (thread death); a third of the roles run on
 * virtual threads. Every live block is also registered in one ordered map of address ranges, checked
 * for overlap at each allocation. Bounded by a block budget, and by a watchdog: a hang fails the test.
 */
class StressTest {

    private static final int ROLES = 6;
    /** Blocks each role makes; {@code -Dhakmem.test.stress.blocks=N} for a longer run. */
    private static final int BLOCKS_PER_ROLE = Integer.getInteger("hakmem.test.stress.blocks", 15_000);
    private static final int BLOCKS_PER_THREAD = 300;

    record Block(long address, long size, long id) {
    }

    /** Live ranges of all roles; a lock keeps check-and-insert atomic. */
    static final class Registry {
        private final TreeMap<Long, Long> live = new TreeMap<>(Long::compareUnsigned);
        long overlaps;

        synchronized void add(long address, long size) {
            Map.Entry<Long, Long> below = live.floorEntry(address);
            Map.Entry<Long, Long> above = live.ceilingEntry(address);
            if ((below != null && Long.compareUnsigned(below.getKey() + below.getValue(), address) > 0)
                    || (above != null && Long.compareUnsigned(address + size, above.getKey()) > 0)) {
                overlaps++;
            }
            live.put(address, size);
        }

        synchronized void remove(long address) {
            live.remove(address);
        }

        synchronized int size() {
            return live.size();
        }
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void blocksKeepTheirContentsAcrossThreadsThatComeAndGo(Concurrency variant) throws Exception {
        try (Allocator a = Hakmem.builder().concurrency(variant).shards(2).learning(false).build()) {
            List<BlockingQueue<Block>> inbox = new ArrayList<>();
            for (int r = 0; r < ROLES; r++) {
                inbox.add(new ArrayBlockingQueue<>(64));
            }
            Registry registry = new Registry();
            AtomicLong verified = new AtomicLong();
            AtomicLong mismatches = new AtomicLong();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> chains = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
            for (int r = 0; r < ROLES; r++) {
                int role = r;
                boolean virtual = r % 3 == 2;
                // One chain per role: a thread runs BLOCKS_PER_THREAD blocks, then ends; the next picks up.
                Thread chain = Thread.ofPlatform().name("role-" + r).start(() -> {
                    SplittableRandom rnd = new SplittableRandom(12345 + role);
                    int made = 0;
                    try {
                        while (made < BLOCKS_PER_ROLE) {
                            int from = made;
                            int upto = Math.min(BLOCKS_PER_ROLE, made + BLOCKS_PER_THREAD);
                            long seed = rnd.nextLong();
                            Runnable work = () -> work(a, role, from, upto, seed, inbox, registry, verified, mismatches, failures);
                            Thread t = virtual ? Thread.ofVirtual().start(work) : Thread.ofPlatform().start(work);
                            t.join();
                            made = upto;
                        }
                        // Keep receiving until every role is done, so no sender waits on a full inbox forever.
                        done.incrementAndGet();
                        while (done.get() < ROLES) {
                            drain(a, inbox.get(role), registry, verified, mismatches);
                            Thread.sleep(1);
                        }
                    } catch (InterruptedException e) {
                        failures.add(e);
                    }
                });
                chains.add(chain);
            }
            for (Thread t : chains) {
                t.join();
            }
            // What is still queued was handed over but not yet received: receive it now.
            for (BlockingQueue<Block> q : inbox) {
                for (Block b; (b = q.poll()) != null; ) {
                    receive(a, b, registry, verified, mismatches);
                }
            }
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            assertEquals(0, mismatches.get(), "blocks whose contents changed");
            assertEquals(0, registry.overlaps, "live blocks that overlapped");
            assertEquals((long) ROLES * BLOCKS_PER_ROLE, verified.get(), "every block verified and freed");
            assertEquals(0, registry.size());
            assertEquals(0, a.stats().liveBlocks(), "stats balanced: " + a.stats());
            assertEquals(a.stats().allocations(), a.stats().frees());
            a.trim();
            assertEquals(0, a.stats().reservedBytes(), "nothing stranded");
        }
    }

    private static void work(Allocator a, int role, int from, int upto, long seed, List<BlockingQueue<Block>> inbox,
                             Registry registry, AtomicLong verified, AtomicLong mismatches, List<Throwable> failures) {
        SplittableRandom rnd = new SplittableRandom(seed);
        BlockingQueue<Block> mine = inbox.get(role);
        try {
            for (int i = from; i < upto; i++) {
                long size = size(rnd);
                long p = a.malloc(size);
                registry.add(p, size);
                long id = ((long) role << 32) | i;
                fill(MemorySegment.ofAddress(p).reinterpret(size), id);
                int to = (role + 1 + rnd.nextInt(ROLES - 1)) % ROLES;
                Block b = new Block(p, size, id);
                while (!inbox.get(to).offer(b, 1, TimeUnit.MILLISECONDS)) {
                    drain(a, mine, registry, verified, mismatches);
                }
                drain(a, mine, registry, verified, mismatches);
            }
        } catch (Throwable e) {
            failures.add(e);
        }
    }

    private static void drain(Allocator a, BlockingQueue<Block> q, Registry registry, AtomicLong verified, AtomicLong mismatches) {
        for (Block b; (b = q.poll()) != null; ) {
            receive(a, b, registry, verified, mismatches);
        }
    }

    private static void receive(Allocator a, Block b, Registry registry, AtomicLong verified, AtomicLong mismatches) {
        if (!holds(MemorySegment.ofAddress(b.address()).reinterpret(b.size()), b.id())) {
            mismatches.incrementAndGet();
        }
        registry.remove(b.address());
        a.free(b.address());
        verified.incrementAndGet();
    }

    private static long size(SplittableRandom rnd) {
        int r = rnd.nextInt(1000);
        if (r < 700) {
            return 1 + rnd.nextInt(1024);
        } else if (r < 950) {
            return 1025 + rnd.nextInt(31 * 1024);
        } else if (r < 995) {
            return (32 << 10) + 1 + rnd.nextInt(992 << 10);
        }
        return (1 << 20) + 1 + rnd.nextInt(2 << 20);
    }

    private static void fill(MemorySegment s, long id) {
        long n = s.byteSize();
        for (long i = 0; i + 8 <= n; i += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, id * 31 + i);
        }
        for (long i = n & ~7L; i < n; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) id);
        }
    }

    private static boolean holds(MemorySegment s, long id) {
        long n = s.byteSize();
        for (long i = 0; i + 8 <= n; i += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != id * 31 + i) {
                return false;
            }
        }
        for (long i = n & ~7L; i < n; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != (byte) id) {
                return false;
            }
        }
        return true;
    }
}
