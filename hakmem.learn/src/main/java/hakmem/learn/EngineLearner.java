package hakmem.learn;

import hakmem.api.spi.Learner;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.Policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.random.RandomGenerator;

/**
 * The engine bound to one allocator: a daemon thread (or a task on the executor the user passed) that,
 * once a window, drains the samples, replays the big requests and frees on every candidate's shadow
 * ({@link Shadows}), hands the window and the shadow costs to {@link Evolution} and publishes the strategy
 * it picks. It takes no lock the allocation paths take: samples come from lock-free rings and the
 * window's counters from lock-free reads.
 */
final class EngineLearner implements Learner {

    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Transitions shown in the state; all are kept by the engine (up to its bound). */
    private static final int SHOWN_TRANSITIONS = 8;
    /** Sites shown in the state, most requests first. */
    private static final int SHOWN_SITES = 8;

    /** Most time between two drains of the sample rings, whatever the window. */
    static final long DRAIN_NANOS = 10_000_000L;

    private final LearnerContext context;
    private final Evolution evolution;
    private final Feeder feeder;
    private final Shadows shadows;
    /** Its own thread, or null when it runs on the user's executor. */
    private final Thread thread;
    /** Its task on the user's executor, once started there. */
    private ScheduledFuture<?> task;
    /** When the window under way ends (executor mode; the thread keeps its own). Guarded by this. */
    private long next;
    private final long startNanos = System.nanoTime();
    private volatile boolean stopped;
    /** The state as other threads read it, rebuilt after every window. */
    private volatile String state;

    private Strategy applied;
    /** The policy the allocator started with: its knobs the strategies do not vary stay as they were. */
    private final Policy base;
    private long mappedBefore;
    private long windows;
    private String failure;

    /**
     * A learner over {@code candidates} (the first is the policy the allocator starts with), in
     * {@code mode}, with chance from {@code random}. Its thread runs from {@link #start()}; tests drive
     * {@link #window()} themselves instead.
     */
    EngineLearner(LearnerContext context, Mode mode, List<Strategy> candidates, RandomGenerator random) {
        this.context = context;
        this.evolution = new Evolution(mode, candidates, System::nanoTime, random);
        this.shadows = new Shadows(candidates);
        this.feeder = new Feeder(context::siteName, shadows, () -> applied);
        this.applied = candidates.getFirst();
        this.base = context.policy();
        this.mappedBefore = context.bytesMapped();
        if (!applied.equals(evolution.current())) {
            apply(evolution.current());
        }
        this.state = describe();
        this.thread = context.executor() != null ? null
                : Thread.ofPlatform().daemon().name("hakmem-learner-" + THREADS.incrementAndGet()).unstarted(this::run);
    }

    /** Starts the learner's thread, or its task on the user's executor; returns this. */
    EngineLearner start() {
        if (thread != null) {
            thread.start();
            return this;
        }
        synchronized (this) {
            next = System.nanoTime() + evolution.mode().windowNanos();
            task = context.executor().scheduleWithFixedDelay(this::tick, DRAIN_NANOS, DRAIN_NANOS, TimeUnit.NANOSECONDS);
        }
        return this;
    }

    /**
     * One run of the task on the user's executor: a window once one has ended, else a drain. It never
     * throws (an executor stops a periodic task that throws), and runs under this learner's monitor,
     * which {@link #close()} takes to wait out a run in progress.
     */
    private synchronized void tick() {
        if (stopped) {
            return;
        }
        try {
            if (System.nanoTime() - next >= 0) {
                next += evolution.mode().windowNanos();
                window();
            } else {
                drain();
            }
        } catch (IllegalStateException closed) {
            stopped = true; // the allocator closed under the window; close() cancels the task
        } catch (RuntimeException e) {
            failure = e.toString(); // shown in the state; the next window tries again
            state = describe();
        }
    }

    private void run() {
        long window = evolution.mode().windowNanos();
        long next = System.nanoTime() + window;
        while (!stopped) {
            long wait = next - System.nanoTime();
            try {
                if (wait > 0) {
                    LockSupport.parkNanos(this, Math.min(wait, DRAIN_NANOS));
                    drain(); // often, so the rings seldom fill between windows
                    continue;
                }
                next += window;
                window();
            } catch (IllegalStateException closed) {
                return; // the allocator closed under the window
            } catch (RuntimeException e) {
                failure = e.toString(); // shown in the state; the next window tries again
                state = describe();
            }
        }
    }

    private void drain() {
        feeder.lost(context.drainSamples(feeder));
    }

    /** One window: drain, measure, rate, and publish the next strategy if it changed. */
    void window() {
        drain();
        long mapped = context.bytesMapped();
        WindowResult result = feeder.finish(mapped - mappedBefore, context.bytesReserved());
        mappedBefore = mapped;
        windows++;
        var costs = shadows.costs(applied, result.cost(), Math.max(0, result.operations()));
        evolution.finish(result, costs);
        if (!evolution.current().equals(applied)) {
            apply(evolution.current());
        }
        state = describe();
    }

    private void apply(Strategy s) {
        context.publish(s.toPolicy(base));
        applied = s;
    }

    @Override
    public String state() {
        return state;
    }

    private String describe() {
        Evolution e = evolution;
        Policy p = applied.toPolicy(base);
        StringBuilder sb = new StringBuilder();
        sb.append(e.mode()).append(' ').append(e.state()).append(' ').append(applied.name());
        sb.append(String.format(Locale.ROOT, "%n  policy: big cache %d blocks, %s; retained chunks %s",
                p.bigCacheBlocks(), mib(p.bigCacheBytes()), mib(p.retainedChunkBytes())));
        sb.append(String.format(Locale.ROOT, "%n  windows %d of %d ms; samples %d, lost %d",
                windows, e.mode().windowNanos() / 1_000_000, feeder.totalSamples(), feeder.lost()));
        if (failure != null) {
            sb.append("\n  last window failed: ").append(failure);
        }
        sb.append("\n  ratings:");
        for (Strategy s : e.strategies()) {
            sb.append(String.format(Locale.ROOT, " %s %.1f (%d matches)%s", s.name(), e.rating(s), e.matches(s),
                    s.equals(e.strategies().getLast()) ? "" : ","));
        }
        List<Transition> ts = e.transitions();
        if (!ts.isEmpty()) {
            sb.append("\n  transitions:");
            for (Transition t : ts.subList(Math.max(0, ts.size() - SHOWN_TRANSITIONS), ts.size())) {
                sb.append(String.format(Locale.ROOT, "%n    at %.1f s %s -> %s: %s",
                        (t.atNanos() - startNanos) / 1e9, t.from(), t.to(), t.reason()));
            }
        }
        List<SiteProfile> sites = new ArrayList<>();
        feeder.sites().forEach(sites::add);
        if (!sites.isEmpty()) {
            sites.sort(Comparator.comparingLong(SiteProfile::requests).reversed().thenComparing(SiteProfile::name));
            sb.append("\n  sites:");
            for (SiteProfile s : sites.subList(0, Math.min(SHOWN_SITES, sites.size()))) {
                sb.append("\n    ").append(s.describe());
            }
        }
        return sb.toString();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    @Override
    public void close() {
        stopped = true;
        if (thread == null) {
            ScheduledFuture<?> t;
            synchronized (this) { // waits out a run in progress; none starts after (stopped)
                t = task;
            }
            if (t != null) {
                t.cancel(false);
            }
            return;
        }
        LockSupport.unpark(thread);
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
