package hakmem.learn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every candidate judged on the same traffic: a {@link GhostCache} per strategy replays the real big
 * requests and frees, and a window's cost for a strategy is the real window's cost with the running
 * strategy's big-block part swapped for the candidate's. Times per hit and per miss come from the real
 * requests, told apart by the running strategy's own ghost. A trial needs a policy to run long enough to
 * fill its cache before it shows its worth (seconds for a burst of big blocks); a shadow needs none, and
 * neighbouring windows' noise does not decide a match: both sides saw the very same requests.
 */
final class Shadows {

    /** Weight of a new time observation in the running means. */
    private static final double ALPHA = 0.05;

    private final Map<Strategy, GhostCache> ghosts = new LinkedHashMap<>();
    private double hitNanos = Double.NaN;
    private double missNanos = Double.NaN;

    Shadows(List<Strategy> candidates) {
        for (Strategy s : candidates) {
            ghosts.put(s, new GhostCache(s));
        }
    }

    /** A big request of {@code size} bytes that took {@code nanos} while {@code running} ran. */
    void allocate(Strategy running, long size, long nanos) {
        boolean hit = false;
        for (Map.Entry<Strategy, GhostCache> e : ghosts.entrySet()) {
            boolean h = e.getValue().allocate(size);
            if (e.getKey().equals(running)) {
                hit = h;
            }
        }
        if (hit) {
            hitNanos = Double.isNaN(hitNanos) ? nanos : hitNanos + ALPHA * (nanos - hitNanos);
        } else {
            missNanos = Double.isNaN(missNanos) ? nanos : missNanos + ALPHA * (nanos - missNanos);
        }
    }

    /** A big block of {@code length} usable bytes freed. */
    void free(long length) {
        for (GhostCache g : ghosts.values()) {
            g.free(length);
        }
    }

    /**
     * Each candidate's cost for the window whose real cost is {@code real} over {@code operations}
     * requests while {@code running} ran; starts the next window.
     */
    Map<Strategy, WindowCost> costs(Strategy running, WindowCost real, long operations) {
        GhostCache r = ghosts.get(running);
        double hit = Double.isNaN(hitNanos) ? 0 : hitNanos;
        double miss = Double.isNaN(missNanos) ? hit : missNanos;
        Map<Strategy, WindowCost> out = new LinkedHashMap<>();
        for (Map.Entry<Strategy, GhostCache> e : ghosts.entrySet()) {
            GhostCache g = e.getValue();
            double nanos = operations == 0 ? real.nanosPerOp()
                    : real.nanosPerOp() + ((g.hits() - r.hits()) * hit + (g.misses() - r.misses()) * miss) / operations;
            long mapped = real.bytesMapped() - r.missBytes() + g.missBytes();
            long held = real.bytesHeld() - r.bytes() + g.bytes();
            out.put(e.getKey(), new WindowCost(Math.max(0, nanos), Math.max(0, mapped), Math.max(0, held)));
        }
        for (GhostCache g : ghosts.values()) {
            g.newWindow();
        }
        return out;
    }

    /** The bytes {@code s}'s ghost holds now. */
    long held(Strategy s) {
        return ghosts.get(s).bytes();
    }
}
