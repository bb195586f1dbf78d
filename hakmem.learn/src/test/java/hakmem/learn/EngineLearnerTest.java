package hakmem.learn;

import hakmem.api.AllocatorStats;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.Policy;
import hakmem.api.spi.SampleSink;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The learner driven window by window against a scripted allocator: a burst replaces the oldest of 24
 * live big blocks (2..8 MiB) 50 times a window, served by a big-block cache under the policy last
 * published (a hit costs 1 us, a miss 100 us and maps the block afresh); idle, nothing happens and only
 * the bytes the cache holds differ. No thread runs: the test calls {@link EngineLearner#window()}.
 */
class EngineLearnerTest {

    /** An allocator that answers from the policy last published and the phase the test sets. */
    static class Scripted implements LearnerContext {
        Policy policy = Policy.DEFAULT;
        GhostCache cache = new GhostCache(Strategy.of("real", policy));
        final List<Policy> published = new ArrayList<>();
        final java.util.ArrayDeque<Long> live = new java.util.ArrayDeque<>();
        boolean busy = true;
        long mapped;
        long lostNext;
        final SplittableRandom random = new SplittableRandom(7);

        @Override
        public AllocatorStats stats() {
            throw new UnsupportedOperationException("the learner must not take stats every window");
        }

        @Override
        public Policy policy() {
            return policy;
        }

        @Override
        public void publish(Policy next) {
            policy = next;
            published.add(next);
            cache = new GhostCache(Strategy.of("real", next)); // the runtime trims to fit; empty is close enough
        }

        @Override
        public long drainSamples(SampleSink sink) {
            if (busy) {
                for (int i = 0; i < 50; i++) {
                    if (live.size() == 24) {
                        long length = live.removeFirst();
                        cache.free(length);
                        sink.sample(SampleSink.BIG_FREE, length, 0, 3, 500, 1);
                    }
                    long size = (2L << 20) + (random.nextLong(6L << 20) & -4096L);
                    boolean hit = cache.allocate(size);
                    if (!hit) {
                        mapped += size;
                    }
                    sink.sample(SampleSink.BIG, size, 0, 3, (hit ? 1_000 : 100_000) + random.nextInt(500), 1);
                    live.addLast(size);
                }
            }
            long lost = lostNext;
            lostNext = 0;
            return lost;
        }

        @Override
        public int samplePeriod() {
            return 1024;
        }

        @Override
        public long bytesMapped() {
            return mapped;
        }

        @Override
        public long bytesReserved() {
            return (100L << 20) + live.stream().mapToLong(Long::longValue).sum() + cache.bytes();
        }

        @Override
        public String siteName(int id) {
            return id == 0 ? "" : "site-" + id;
        }

        @Override
        public String mode() {
            return "FAST";
        }
    }

    private static EngineLearner learner(Scripted s) {
        return new EngineLearner(s, EngineLearnerProvider.mode(s.mode()), EngineLearnerProvider.candidates(s.policy()),
                new SplittableRandom(0x5EEDL));
    }

    @Test
    void aBurstOfBigBlocksFreezesTheRoomyPolicyAndIdlingTheLeanOne() {
        Scripted s = new Scripted();
        EngineLearner l = learner(s);
        for (int w = 0; w < 200; w++) {
            l.window();
        }
        assertEquals(Policy.ROOMY, s.policy, l.state());
        assertTrue(l.state().startsWith("FAST FROZEN roomy"), l.state());

        s.busy = false;
        for (long length : s.live) {
            s.cache.free(length);
        }
        s.live.clear();
        for (int w = 0; w < 200; w++) {
            l.window();
        }
        assertEquals(Policy.LEAN, s.policy, l.state());
        assertTrue(l.state().startsWith("FAST FROZEN lean"), l.state());
        assertTrue(l.state().contains("load shift: 0 operations a window"), l.state());
        assertTrue(l.state().contains("ratings: default"), l.state());
    }

    @Test
    void theStateCountsSamplesAndLostOnes() {
        Scripted s = new Scripted();
        EngineLearner l = learner(s);
        s.lostNext = 17;
        l.window();
        l.window();
        assertTrue(l.state().contains("samples 176, lost 17"), l.state());
        assertTrue(l.state().contains("(unlabelled): ~100 requests"), l.state());
    }

    @Test
    void closingALearnerThatNeverStartedReturns() {
        learner(new Scripted()).close();
    }

    @Test
    void aStartedLearnerStopsOnClose() throws InterruptedException {
        Scripted s = new Scripted();
        EngineLearner l = learner(s).start();
        l.close();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertTrue(!t.getName().startsWith("hakmem-learner-") || !t.isAlive() || t.getState() == Thread.State.TERMINATED,
                    "still running: " + t);
        }
    }

    @Test
    void anUnknownModeIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EngineLearnerProvider.mode("quick"));
        assertEquals("unknown learning mode 'quick'; accepted: [MINIMAL, FAST, BALANCED, LEARNING, RESEARCH]", e.getMessage());
        assertEquals(Mode.LEARNING, EngineLearnerProvider.mode(" learning "));
        assertEquals(Mode.BALANCED, EngineLearnerProvider.mode(null));
    }

    @Test
    void minimalNeverPublishes() {
        Scripted s = new Scripted() {
            @Override
            public String mode() {
                return "MINIMAL";
            }
        };
        EngineLearner l = learner(s);
        for (int w = 0; w < 50; w++) {
            l.window();
        }
        assertEquals(List.of(), s.published);
        assertTrue(l.state().startsWith("MINIMAL FROZEN default"), l.state());
    }
}
