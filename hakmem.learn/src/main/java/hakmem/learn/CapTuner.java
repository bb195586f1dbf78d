package hakmem.learn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * hakmem's ACE for thread caches: one magazine cap per size class, steered each window toward a target
 * hit rate and kept within a memory budget.
 *
 * <p>Steering: a class whose window hit rate falls below {@code target - band} doubles its cap (misses
 * cost the slow path on every one, so it grows fast); above {@code target + band} it gives back a
 * quarter (memory held costs slowly, so it shrinks gently and does not overshoot into misses). Inside
 * the band nothing changes (hysteresis), and a class changes at most once per {@code dwellWindows}
 * windows (dwell), so the effect of one change is measured before the next. A window with no traffic in
 * a class says nothing about it and leaves it alone.
 *
 * <p>Budget: the most a cap can hold is {@code cap * classBytes * threads} (every thread's magazine full),
 * and {@code sum over classes} of that must stay {@code <= budgetBytes}. When steering or more threads
 * push past it, classes give back cap in ascending order of miss cost, the window's misses in the class
 * (each is one trip to the shared tier; the block's size hardly changes the trip's cost), ties going to
 * the larger class, which frees more per step, then the lower class index. The budget is a bound, not a
 * wish: it ignores dwell, and the constructor checks that every class at its minimum cap fits it.
 *
 * <p>Pure logic over counts the caller gathers: deterministic, not thread-safe, no clock.
 */
final class CapTuner {

    /**
     * How caps are steered.
     *
     * @param targetHitRate hit rate each class is steered toward, in (0, 1)
     * @param band          half-width of the dead band around the target, in [0, min(target, 1 - target))
     * @param dwellWindows  windows between two steering changes of one class, >= 1
     * @param minCap        smallest cap, >= 0 (0: the class bypasses its magazine)
     * @param maxCap        largest cap, >= max(1, minCap)
     */
    record Settings(double targetHitRate, double band, int dwellWindows, int minCap, int maxCap) {

        /** Nine in ten operations served by the magazine, a band of five points, three windows of dwell. */
        static final Settings DEFAULT = new Settings(0.90, 0.05, 3, 1, 1024);

        Settings {
            if (!(targetHitRate > 0.0 && targetHitRate < 1.0)) {
                throw new IllegalArgumentException("targetHitRate must be in (0, 1): " + targetHitRate);
            }
            if (!(band >= 0.0 && band < Math.min(targetHitRate, 1.0 - targetHitRate))) {
                throw new IllegalArgumentException("band must be in [0, " + Math.min(targetHitRate, 1.0 - targetHitRate)
                        + "): " + band);
            }
            if (dwellWindows < 1) {
                throw new IllegalArgumentException("dwellWindows must be >= 1: " + dwellWindows);
            }
            if (minCap < 0) {
                throw new IllegalArgumentException("minCap must be >= 0: " + minCap);
            }
            if (maxCap < Math.max(1, minCap)) {
                throw new IllegalArgumentException("maxCap must be >= max(1, minCap " + minCap + "): " + maxCap);
            }
        }
    }

    /**
     * One class's traffic through its magazines in one window.
     *
     * @param sizeClass index into the tuner's class sizes
     * @param hits      operations the magazine served
     * @param misses    operations that went to the shared tier (refills and flushes)
     */
    record ClassWindow(int sizeClass, long hits, long misses) {

        ClassWindow {
            if (sizeClass < 0) {
                throw new IllegalArgumentException("sizeClass must be >= 0: " + sizeClass);
            }
            if (hits < 0) {
                throw new IllegalArgumentException("hits must be >= 0: " + hits);
            }
            if (misses < 0) {
                throw new IllegalArgumentException("misses must be >= 0: " + misses);
            }
            if (hits > Long.MAX_VALUE - misses) {
                throw new IllegalArgumentException("hits + misses overflow: " + hits + " + " + misses);
            }
        }
    }

    private final int[] classBytes;
    private final long budgetBytes;
    private final int maxThreads;
    private final Settings settings;
    private final int[] caps;
    /** The window of each class's last change, so dwell is {@code window - lastChange >= dwellWindows}. */
    private final long[] lastChange;
    private long window;

    /**
     * A tuner for classes of {@code classBytes} bytes each, up to {@code maxThreads} threads with
     * magazines, within {@code budgetBytes}; every cap starts at {@code initialCap} (clamped to the
     * settings' range and then to the budget at {@code maxThreads}).
     */
    CapTuner(int[] classBytes, long budgetBytes, int maxThreads, int initialCap, Settings settings) {
        if (classBytes == null || classBytes.length == 0) {
            throw new IllegalArgumentException("at least one size class is needed: "
                    + (classBytes == null ? null : Arrays.toString(classBytes)));
        }
        for (int b : classBytes) {
            if (b < 1) {
                throw new IllegalArgumentException("class sizes must be >= 1: " + b);
            }
        }
        if (maxThreads < 1) {
            throw new IllegalArgumentException("maxThreads must be >= 1: " + maxThreads);
        }
        if (settings == null) {
            throw new IllegalArgumentException("settings: null");
        }
        if (initialCap < 0) {
            throw new IllegalArgumentException("initialCap must be >= 0: " + initialCap);
        }
        this.classBytes = classBytes.clone();
        this.maxThreads = maxThreads;
        this.settings = settings;
        this.budgetBytes = budgetBytes;
        try {
            heldAt(settings.maxCap(), maxThreads);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("maxCap " + settings.maxCap() + " x class sizes x " + maxThreads
                    + " threads overflows a long: " + Arrays.toString(classBytes));
        }
        long floor = heldAt(settings.minCap(), maxThreads);
        if (budgetBytes < floor) {
            throw new IllegalArgumentException("budgetBytes must hold every class at minCap " + settings.minCap()
                    + " for " + maxThreads + " threads (" + floor + " bytes): " + budgetBytes);
        }
        this.caps = new int[classBytes.length];
        Arrays.fill(caps, Math.clamp(initialCap, settings.minCap(), settings.maxCap()));
        this.lastChange = new long[classBytes.length];
        fitBudget(maxThreads, new long[classBytes.length]);
        Arrays.fill(lastChange, -settings.dwellWindows()); // the first window may steer any class
    }

    /** Number of size classes. */
    int classes() {
        return caps.length;
    }

    int cap(int sizeClass) {
        checkClass(sizeClass);
        return caps[sizeClass];
    }

    /** A copy of every class's cap. */
    int[] caps() {
        return caps.clone();
    }

    /** Bytes every magazine of {@code threads} threads would hold if full: what the budget bounds. */
    long heldBound(int threads) {
        checkThreads(threads);
        long sum = 0;
        for (int c = 0; c < caps.length; c++) {
            sum += (long) caps[c] * classBytes[c] * threads;
        }
        return sum;
    }

    /**
     * Applies one window: steers each class that saw traffic and may change, then fits the budget for
     * {@code threads} threads. Classes absent from {@code classes} had no traffic. Returns the new caps.
     */
    int[] tune(List<ClassWindow> classes, int threads) {
        if (classes == null) {
            throw new IllegalArgumentException("classes: null");
        }
        checkThreads(threads);
        long[] hits = new long[caps.length];
        long[] misses = new long[caps.length];
        boolean[] seen = new boolean[caps.length];
        for (ClassWindow w : classes) {
            if (w == null) {
                throw new IllegalArgumentException("null class window in " + classes);
            }
            checkClass(w.sizeClass());
            if (seen[w.sizeClass()]) {
                throw new IllegalArgumentException("size class " + w.sizeClass() + " appears twice in one window");
            }
            seen[w.sizeClass()] = true;
            hits[w.sizeClass()] = w.hits();
            misses[w.sizeClass()] = w.misses();
        }
        for (int c = 0; c < caps.length; c++) {
            steer(c, hits[c], misses[c]);
        }
        fitBudget(threads, misses);
        window++;
        return caps.clone();
    }

    private void steer(int c, long hits, long misses) {
        long ops = hits + misses;
        if (ops == 0 || window - lastChange[c] < settings.dwellWindows()) {
            return;
        }
        double hitRate = (double) hits / ops;
        int cap = caps[c];
        int next = cap;
        if (hitRate < settings.targetHitRate() - settings.band()) {
            next = (int) Math.min(settings.maxCap(), Math.max(cap + 1L, cap * 2L));
        } else if (hitRate > settings.targetHitRate() + settings.band()) {
            next = Math.max(settings.minCap(), cap - Math.max(1, cap / 4));
        }
        if (next != cap) {
            caps[c] = next;
            lastChange[c] = window;
        }
    }

    /** Shrinks the classes of lowest miss cost first until the full-magazine bound fits the budget. */
    private void fitBudget(int threads, long[] misses) {
        long held = heldBound(threads);
        if (held <= budgetBytes) {
            return;
        }
        List<Integer> order = new ArrayList<>();
        for (int c = 0; c < caps.length; c++) {
            order.add(c);
        }
        order.sort(Comparator.<Integer>comparingLong(c -> misses[c])
                .thenComparing(c -> classBytes[c], Comparator.reverseOrder())
                .thenComparingInt(c -> c));
        for (int c : order) {
            if (held <= budgetBytes) {
                break;
            }
            long unit = (long) classBytes[c] * threads;
            long want = (held - budgetBytes + unit - 1) / unit;
            int give = (int) Math.min(caps[c] - settings.minCap(), want);
            if (give > 0) {
                caps[c] -= give;
                held -= give * unit;
                lastChange[c] = window;
            }
        }
    }

    /** The bound with every class at {@code cap}; exact arithmetic, as the constructor checks overflow. */
    private long heldAt(int cap, int threads) {
        long sum = 0;
        for (int b : classBytes) {
            sum = Math.addExact(sum, Math.multiplyExact(Math.multiplyExact((long) cap, b), threads));
        }
        return sum;
    }

    private void checkClass(int sizeClass) {
        if (sizeClass < 0 || sizeClass >= caps.length) {
            throw new IllegalArgumentException("sizeClass must be 0.." + (caps.length - 1) + ": " + sizeClass);
        }
    }

    private void checkThreads(int threads) {
        if (threads < 1 || threads > maxThreads) {
            throw new IllegalArgumentException("threads must be 1.." + maxThreads + ": " + threads);
        }
    }

    @Override
    public String toString() {
        return "CapTuner[window=" + window + ", caps=" + Arrays.toString(caps) + "]";
    }
}
