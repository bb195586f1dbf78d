package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.spi.Learner;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.LearnerProvider;
import hakmem.api.spi.Policy;
import hakmem.api.spi.SampleSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The learning engine wired into the allocator: found on the path, sampled, steering, stopped on close. */
class LearningTest {

    /** A provider that hands its context to the test, so the test can publish and drain by hand. */
    static final class Captured implements LearnerProvider {
        final AtomicReference<LearnerContext> context = new AtomicReference<>();

        @Override
        public String id() {
            return "captured";
        }

        @Override
        public Learner start(LearnerContext c) {
            context.set(c);
            return new Learner() {
                @Override
                public String state() {
                    return "BY HAND";
                }

                @Override
                public void close() {
                }
            };
        }
    }

    @Test
    void theEngineIsFoundAndLearningCanBeTurnedOff() {
        try (Allocator a = Hakmem.builder().build()) {
            assertTrue(a.stats().learner().startsWith("elo BALANCED "), a.stats().learner());
            assertTrue(a.stats().report().contains("learner elo BALANCED"), a.stats().report());
        }
        try (Allocator a = Hakmem.builder().learning(false).build()) {
            assertEquals("off", a.stats().learner());
        }
        try (Allocator a = Hakmem.builder().learningMode("minimal").build()) {
            assertTrue(a.stats().learner().startsWith("elo MINIMAL FROZEN default"), a.stats().learner());
        }
    }

    @Test
    void anUnknownModeFailsTheBuildByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hakmem.builder().learningMode("turbo").build());
        assertTrue(e.getMessage().contains("'turbo'") && e.getMessage().contains("BALANCED"), e.getMessage());
    }

    @Test
    void theLearnerThreadEndsWithItsAllocator() throws InterruptedException {
        Allocator a = Hakmem.builder().build();
        Thread learner = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("hakmem-learner-") && t.isAlive()).reduce((x, y) -> y.threadId() > x.threadId() ? y : x)
                .orElseThrow();
        a.close();
        learner.join(5_000);
        assertTrue(!learner.isAlive(), "learner still running after close: " + learner);
    }

    /**
     * Through the builder: the engine's windows run as a task on the user's executor and close the
     * allocator's windows as its own thread would; close() cancels the task and leaves the executor up.
     */
    @Test
    void theLearnerRunsOnAnExecutorTheUserPasses() throws Exception {
        java.util.concurrent.ScheduledThreadPoolExecutor executor = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                r -> Thread.ofPlatform().daemon().name("app-timer").unstarted(r));
        executor.setRemoveOnCancelPolicy(true);
        try {
            Allocator a = Hakmem.builder().learnerExecutor(executor).learningMode("FAST").build();
            long deadline = System.nanoTime() + 30_000_000_000L;
            java.util.regex.Pattern windows = java.util.regex.Pattern.compile("windows ([1-9]\\d*) of");
            while (!windows.matcher(a.stats().learner()).find() && System.nanoTime() < deadline) {
                a.free(a.malloc(64));
                Thread.sleep(10);
            }
            assertTrue(windows.matcher(a.stats().learner()).find(), a.stats().learner());
            assertEquals(1, executor.getQueue().size(), "one periodic task: " + executor.getQueue());
            a.close();
            assertTrue(executor.getQueue().isEmpty(), "close cancelled the task");
            assertTrue(!executor.isShutdown(), "the executor is the user's");
            assertThrows(NullPointerException.class, () -> Hakmem.builder().learnerExecutor(null));
        } finally {
            executor.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void requestsAreSampledOffTheFastPathAndBigOnesEveryTime(Concurrency c) {
        Captured p = new Captured();
        try (Allocator a = Hakmem.builder().concurrency(c).learnerProviders(List.of(p)).build()) {
            LearnerContext ctx = p.context.get();
            int period = ctx.samplePeriod();
            long[] held = new long[2048];
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < held.length; i++) {
                    held[i] = a.malloc(48);
                }
                for (long h : held) {
                    a.free(h);
                }
            }
            long requests = 20L * held.length;
            long big = a.site("big").malloc(4L << 20);
            a.free(big);
            long[] counts = new long[4];
            long[] weights = new long[4];
            boolean[] timed = {true};
            boolean[] bigSite = {false};
            int bigTier = a.stats().tiers().size() - 1;
            long lost = ctx.drainSamples((kind, size, site, tier, nanos, weight) -> {
                counts[kind]++;
                weights[kind] += weight;
                timed[0] &= nanos > 0;
                if (kind == SampleSink.BIG) {
                    bigSite[0] = ctx.siteName(site).equals("big") && size == 4L << 20 && tier == bigTier;
                }
            });
            assertEquals(0, lost);
            assertTrue(timed[0], "every sample carries its time");
            if (c == Concurrency.TLS) {
                // One refill in 16 per thread; each stands for the requests its class served since the last one.
                assertEquals(0, counts[SampleSink.CORE]);
                assertTrue(counts[SampleSink.REFILL] >= 4, counts[SampleSink.REFILL] + " refill samples");
                assertTrue(weights[SampleSink.REFILL] > requests / 2 && weights[SampleSink.REFILL] <= requests,
                        weights[SampleSink.REFILL] + " requests stood for, of " + requests);
            } else {
                assertEquals(0, counts[SampleSink.REFILL]);
                assertTrue(Math.abs(counts[SampleSink.CORE] - requests / period) <= 1, counts[SampleSink.CORE] + " core samples");
                assertEquals(counts[SampleSink.CORE] * period, weights[SampleSink.CORE]);
            }
            assertEquals(1, counts[SampleSink.BIG]);
            assertEquals(1, counts[SampleSink.BIG_FREE]);
            assertTrue(bigSite[0], "the big sample names its site, size and tier");
            assertEquals(0, ctx.drainSamples((kind, size, site, tier, nanos, weight) -> {
                throw new AssertionError("drained twice");
            }));
            assertTrue(ctx.bytesMapped() >= 4L << 20, "the big block's pages count as mapped: " + ctx.bytesMapped());
        }
    }

    /** A published pool max sends larger requests to the big-block path from the next request on. */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void aPublishedPoolMaxRoutesLargerRequestsToTheBigPath(Concurrency c) {
        Captured p = new Captured();
        try (Allocator a = Hakmem.builder().concurrency(c).learnerProviders(List.of(p)).build()) {
            LearnerContext ctx = p.context.get();
            a.free(a.malloc(100_000));
            assertEquals(1, a.stats().tier("l25").allocations());
            ctx.publish(Policy.DEFAULT.withPoolMaxBytes(64 << 10));
            long q = a.malloc(100_000);
            assertEquals(1, a.stats().tier("big").allocations(), "over the pool max: a mapping of its own");
            assertEquals(1, a.stats().tier("l25").allocations());
            a.free(q);
            ctx.publish(Policy.DEFAULT);
            a.free(a.malloc(100_000));
            assertEquals(2, a.stats().tier("l25").allocations(), "the default again: back to l25");
            a.verify();
        }
    }

    /** The policy given to the builder reaches the tiers: l25 with W_MAX 3 hands a 100 KiB request a cached 256 KiB block. */
    @Test
    void theRoundingSlackOfThePolicyReachesL25() {
        Captured p = new Captured();
        try (Allocator a = Hakmem.builder().concurrency(Concurrency.LOCKED).learnerProviders(List.of(p))
                .policy(Policy.DEFAULT.withRoundingSlack(3.0)).build()) {
            long big = a.malloc(256 << 10);
            a.free(big);
            long q = a.malloc(100 << 10);
            assertEquals(big, q, "256 KiB <= 3.0 x 100 KiB: the cached block");
            a.free(q);
            a.free(a.malloc(256 << 10)); // the 256 KiB block back in l25's cache
            p.context.get().publish(Policy.DEFAULT.withRoundingSlack(1.0));
            long r = a.malloc(100 << 10);
            assertEquals(128 << 10, a.usableSize(r), "W_MAX 1: its own class, not the cached 256 KiB block");
            a.free(r);
        }
    }

    @Test
    void policiesOutOfRangeAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Policy.DEFAULT.withPoolMaxBytes(0));
        assertTrue(e.getMessage().contains("poolMaxBytes") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Policy.DEFAULT.withRoundingSlack(0.5));
        assertTrue(e.getMessage().contains("W_MAX") && e.getMessage().contains("0.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Policy.DEFAULT.withRoundingSlack(Double.NaN));
    }

    /**
     * Policies switched as fast as a learner can, while threads allocate, fill, check and free blocks of
     * every tier and big ones: no block is lost, none handed out twice (each carries its own pattern).
     */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void switchingPoliciesUnderRunningThreadsLosesAndDuplicatesNoBlock(Concurrency c) throws InterruptedException {
        Captured p = new Captured();
        try (Allocator a = Hakmem.builder().concurrency(c).learnerProviders(List.of(p)).build()) {
            LearnerContext ctx = p.context.get();
            long[] sizes = {16, 200, 3000, 40_000, 300_000, 2L << 20};
            Throwable[] failure = new Throwable[1];
            Thread[] workers = new Thread[3];
            for (int t = 0; t < workers.length; t++) {
                int id = t;
                workers[t] = Thread.ofPlatform().start(() -> {
                    SplittableRandom r = new SplittableRandom(100 + id);
                    long[] held = new long[32];
                    long[] heldSize = new long[32];
                    try {
                        for (int i = 0; i < 6000; i++) {
                            int s = r.nextInt(held.length);
                            if (held[s] != 0) {
                                check(held[s], heldSize[s]);
                                a.free(held[s]);
                            }
                            long size = sizes[r.nextInt(sizes.length)];
                            held[s] = a.malloc(size);
                            heldSize[s] = size;
                            fill(held[s], size);
                        }
                        for (int s = 0; s < held.length; s++) {
                            if (held[s] != 0) {
                                check(held[s], heldSize[s]);
                                a.free(held[s]);
                            }
                        }
                    } catch (Throwable e) {
                        failure[0] = e;
                    }
                });
            }
            Policy[] policies = {new Policy(0, 0, 0), Policy.ROOMY.withRoundingSlack(4.0), Policy.DEFAULT,
                new Policy(1, 2L << 20, 0).withPoolMaxBytes(4096).withRoundingSlack(1.0), Policy.LEAN.withPoolMaxBytes(50_000)};
            int switches = 0;
            while (java.util.Arrays.stream(workers).anyMatch(Thread::isAlive)) {
                ctx.publish(policies[switches++ % policies.length]);
                Thread.onSpinWait();
            }
            for (Thread w : workers) {
                w.join();
            }
            if (failure[0] != null) {
                throw new AssertionError(c + " after " + switches + " policy switches", failure[0]);
            }
            assertTrue(switches > 10, "switches: " + switches);
            a.verify();
            assertEquals(0, a.stats().liveBlocks(), c.toString());
        }
    }

    private static void fill(long address, long size) {
        MemorySegment m = MemorySegment.ofAddress(address).reinterpret(size);
        for (long off = 0; off + 8 <= size; off += 4096) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, off, address ^ off);
        }
        m.set(ValueLayout.JAVA_LONG_UNALIGNED, size - 8, ~address);
    }

    private static void check(long address, long size) {
        MemorySegment m = MemorySegment.ofAddress(address).reinterpret(size);
        for (long off = 0; off + 8 <= size - 8; off += 4096) {
            long got = m.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
            if (got != (address ^ off)) {
                throw new AssertionError("block 0x" + Long.toHexString(address) + " of " + size + " B changed at " + off);
            }
        }
        if (m.get(ValueLayout.JAVA_LONG_UNALIGNED, size - 8) != ~address) {
            throw new AssertionError("block 0x" + Long.toHexString(address) + " of " + size + " B changed at its end");
        }
    }
}
