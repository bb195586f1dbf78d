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

    /** Runs {@code n} platform threads that each ask for their shard twice and stay alive until all have. */
    private static List<Integer> shardsOfLiveThreads(ThreadShards map, int n) throws InterruptedException {
        List<Integer> shards = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger unstable = new AtomicInteger();
        CountDownLatch asked = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                int s = map.shard();
                if (map.shard() != s) {
                    unstable.incrementAndGet();
                }
                shards.add(s);
                asked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        asked.await();
        release.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, unstable.get(), "a thread's shard changed between two asks");
        return shards;
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
        CountDownLatch release = new CountDownLatch(1);
        // Three threads stay alive on three shards; a chain of threads, one after another, uses the fourth.
        List<Thread> stayers = new ArrayList<>();
        CountDownLatch asked = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            stayers.add(Thread.ofPlatform().start(() -> {
                map.shard();
                asked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        asked.await();
        Set<Integer> chain = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            Thread t = Thread.ofPlatform().start(() -> first[0] = map.shard());
            t.join();
            chain.add(first[0]);
        }
        release.countDown();
        for (Thread t : stayers) {
            t.join();
        }
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
