package hakmem.api.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SHARDED's thread-to-shard map: live threads spread, ended threads' shards are taken over. */
class ThreadShardsTest {

    /** Platform threads that asked for their shard and stay alive until {@link #end}. */
    private record Askers(List<Thread> threads, List<Integer> shards, AtomicInteger unstable, CountDownLatch release) {
        /** Lets them end and waits for them; returns their shards. */
        List<Integer> end() throws InterruptedException {
            release.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(0, unstable.get(), "a thread's shard changed between two asks");
            return shards;
        }
    }

    /** Starts {@code n} platform threads that each ask for their shard twice; returns once all have. */
    private static Askers ask(ThreadShards map, int n) throws InterruptedException {
        Askers a = new Askers(new ArrayList<>(), java.util.Collections.synchronizedList(new ArrayList<>()),
                new AtomicInteger(), new CountDownLatch(1));
        CountDownLatch asked = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            a.threads.add(Thread.ofPlatform().start(() -> {
                int s = map.shard();
                if (map.shard() != s) {
                    a.unstable.incrementAndGet();
                }
                a.shards.add(s);
                asked.countDown();
                try {
                    a.release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        asked.await();
        return a;
    }

    private static List<Integer> shardsOfLiveThreads(ThreadShards map, int n) throws InterruptedException {
        return ask(map, n).end();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void liveThreadsGetDistinctShardsUpToTheirNumber() throws Exception {
        ThreadShards map = new ThreadShards(8, 64);
        List<Integer> shards = shardsOfLiveThreads(map, 8);
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7), new HashSet<>(shards), "8 live threads on 8 shards: " + shards);
        // 16 more, the first 8 having ended: every shard serves exactly two.
        List<Integer> next = shardsOfLiveThreads(map, 16);
        int[] count = new int[8];
        next.forEach(s -> count[s]++);
        for (int s = 0; s < 8; s++) {
            assertEquals(2, count[s], "threads per shard: " + java.util.Arrays.toString(count));
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aThreadThatReplacesAnEndedOneTakesOverItsShard() throws Exception {
        ThreadShards map = new ThreadShards(4, 64);
        int[] first = new int[1];
        // Three threads stay alive on three shards; a chain of threads, one after another, uses the fourth.
        Askers stayers = ask(map, 3);
        Set<Integer> chain = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            Thread t = Thread.ofPlatform().start(() -> first[0] = map.shard());
            t.join();
            chain.add(first[0]);
        }
        stayers.end();
        assertEquals(1, chain.size(), "successive threads took the one free shard each time: " + chain);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void virtualThreadsAndThreadsPastTheLimitAreHashedWithinRange() throws Exception {
        ThreadShards map = new ThreadShards(3, 2);
        List<Integer> shards = shardsOfLiveThreads(map, 6); // 2 registered, 4 hashed
        assertTrue(shards.stream().allMatch(s -> s >= 0 && s < 3), "shards: " + shards);
        AtomicInteger bad = new AtomicInteger();
        List<Thread> virtual = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            virtual.add(Thread.ofVirtual().start(() -> {
                int s = map.shard();
                if (s < 0 || s >= 3 || s != ThreadShards.hash(Thread.currentThread(), 3)) {
                    bad.incrementAndGet();
                }
            }));
        }
        for (Thread t : virtual) {
            t.join();
        }
        assertEquals(0, bad.get());
    }
}
