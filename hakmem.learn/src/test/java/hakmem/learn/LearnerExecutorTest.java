package hakmem.learn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine on an executor the user passes: its windows run as that executor's task, on its thread, no
 * thread of the engine's own starts, and close() cancels the task and leaves the executor running.
 */
class LearnerExecutorTest {

    private static final Pattern WINDOWS = Pattern.compile("windows (\\d+) of");

    /** The scripted allocator of {@link EngineLearnerTest}, noting which threads drain its samples. */
    static final class OnExecutor extends EngineLearnerTest.Scripted {
        final ScheduledExecutorService executor;
        final Set<String> drainedBy = ConcurrentHashMap.newKeySet();

        OnExecutor(ScheduledExecutorService executor) {
            this.executor = executor;
        }

        @Override
        public ScheduledExecutorService executor() {
            return executor;
        }

        @Override
        public synchronized long drainSamples(hakmem.api.spi.SampleSink sink) {
            drainedBy.add(Thread.currentThread().getName());
            return super.drainSamples(sink);
        }
    }

    private static long windows(EngineLearner l) {
        Matcher m = WINDOWS.matcher(l.state());
        assertTrue(m.find(), l.state());
        return Long.parseLong(m.group(1));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void windowsRunOnTheUsersExecutorAndCloseCancelsOnlyTheTask() throws Exception {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                r -> Thread.ofPlatform().daemon().name("user-timer").unstarted(r));
        executor.setRemoveOnCancelPolicy(true);
        try {
            OnExecutor s = new OnExecutor(executor);
            EngineLearner l = new EngineLearner(s, EngineLearnerProvider.mode(s.mode()),
                    EngineLearnerProvider.candidates(s.policy()), new SplittableRandom(0x5EEDL));
            long learnerThreadsBefore = learnerThreads();
            l.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (windows(l) < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20); // FAST windows are 100 ms: three take about 300 ms
            }
            assertTrue(windows(l) >= 3, "windows ran on the executor: " + l.state());
            assertEquals(Set.of("user-timer"), s.drainedBy, "every drain on the user's thread");
            assertEquals(learnerThreadsBefore, learnerThreads(), "no learner thread of its own");
            assertNull(failure(l), l.state());

            l.close();
            long closedAt = windows(l);
            assertTrue(executor.getQueue().isEmpty(), "the task is cancelled: " + executor.getQueue());
            Thread.sleep(300);
            assertEquals(closedAt, windows(l), "no window after close");
            assertFalse(executor.isShutdown(), "the user's executor is the user's to shut down");
            assertTrue(executor.submit(() -> 42).get(10, TimeUnit.SECONDS) == 42, "and it still runs tasks");
        } finally {
            executor.shutdownNow();
        }
    }

    private static long learnerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("hakmem-learner-")).count();
    }

    private static String failure(EngineLearner l) {
        return l.state().lines().filter(x -> x.contains("last window failed")).findFirst().orElse(null);
    }
}
