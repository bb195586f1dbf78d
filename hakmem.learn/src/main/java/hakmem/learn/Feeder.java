package hakmem.learn;

import hakmem.api.spi.SampleSink;

import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Turns the allocator's samples into windows for the engine and profiles for the stats. Per window:
 * requests (each sample counts for its weight), time spent (a locked-path sample taken once in 1024
 * requests stands for 1024 requests' time, a refill sample for {@value SampleSink#REFILL_PERIOD}
 * refills'), the sampled requests' p99, and each site's size signature. Owned by the learner's thread.
 */
final class Feeder implements SampleSink {

    private final IntFunction<String> siteNames;
    /** Where big requests and frees are replayed, and what runs now; null shadows: none. */
    private final Shadows shadows;
    private final java.util.function.Supplier<Strategy> running;
    private final Map<Integer, SiteProfile> sites = new HashMap<>();

    private long operations;
    private double nanos;
    private P2Quantile p99 = new P2Quantile(0.99);
    private long windowSamples;
    private Map<String, SizeSignature> sizes = new HashMap<>();

    private long totalSamples;
    private long lost;

    /** @param siteNames the name of a site by id */
    Feeder(IntFunction<String> siteNames) {
        this(siteNames, null, null);
    }

    /**
     * @param siteNames the name of a site by id
     * @param shadows   where big requests and frees are replayed
     * @param running   the strategy running now
     */
    Feeder(IntFunction<String> siteNames, Shadows shadows, java.util.function.Supplier<Strategy> running) {
        this.siteNames = siteNames;
        this.shadows = shadows;
        this.running = running;
    }

    @Override
    public void sample(int kind, long size, int site, int tier, long nanos, int weight) {
        if (kind < REFILL || kind > BIG_FREE) {
            throw new IllegalArgumentException("unknown sample kind: " + kind);
        }
        totalSamples++;
        windowSamples++;
        // A refill's time stands for the refills it was picked among; others' for the requests they stand for.
        this.nanos += (double) nanos * (kind == REFILL ? REFILL_PERIOD : weight);
        p99.add(nanos);
        if (shadows != null && kind == BIG) {
            shadows.allocate(running.get(), size, nanos);
        }
        if (kind == BIG_FREE) {
            if (shadows != null) {
                shadows.free(size);
            }
            return; // time spent, but not a request
        }
        operations += weight;
        SiteProfile profile = sites.computeIfAbsent(site, id -> new SiteProfile(siteNames.apply(id)));
        profile.add(kind, size, weight);
        sizes.computeIfAbsent(profile.name(), n -> new SizeSignature()).record(size);
    }

    /** Counts samples the allocator's rings lost before they were drained. */
    void lost(long samples) {
        lost += samples;
    }

    /**
     * Ends the window: its result, with {@code bytesMapped} fresh bytes mapped in it and {@code bytesHeld}
     * held at its end; the next window starts empty.
     */
    WindowResult finish(long bytesMapped, long bytesHeld) {
        double perOp = operations == 0 ? 0.0 : nanos / operations;
        WindowResult r = new WindowResult(new WindowCost(perOp, bytesMapped, bytesHeld),
                windowSamples == 0 ? 0.0 : p99.estimate(), sizes, operations);
        operations = 0;
        nanos = 0;
        windowSamples = 0;
        p99 = new P2Quantile(0.99);
        sizes = new HashMap<>();
        return r;
    }

    Iterable<SiteProfile> sites() {
        return sites.values();
    }

    long totalSamples() {
        return totalSamples;
    }

    long lost() {
        return lost;
    }
}
