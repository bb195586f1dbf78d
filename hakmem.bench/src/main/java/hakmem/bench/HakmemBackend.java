package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.CacheStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.LockStats;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** hakmem with one concurrency variant and every tier found. */
public final class HakmemBackend implements Backend {

    private final String name;
    private final Allocator allocator;

    public HakmemBackend(String name, Concurrency concurrency) {
        this.name = name;
        this.allocator = Hakmem.builder().concurrency(concurrency).build();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long malloc(long size) {
        return allocator.malloc(size);
    }

    @Override
    public void free(long address) {
        allocator.free(address);
    }

    @Override
    public long liveBlocks() {
        return allocator.stats().liveBlocks();
    }

    @Override
    public long liveBytes() {
        return allocator.stats().liveBytes();
    }

    @Override
    public long reservedBytes() {
        return allocator.stats().reservedBytes();
    }

    @Override
    public void trim() {
        allocator.trim();
    }

    @Override
    public String counterReport() {
        AllocatorStats s = allocator.stats();
        List<String> lines = new ArrayList<>();
        CacheStats c = s.caches();
        long handed = c.hits() + c.misses();
        if (handed > 0) {
            double per = 1e6 / handed;
            lines.add(String.format(Locale.ROOT, "thread caches: hit rate %.2f %% (%d hits, %d misses), %d uncached (%.2f %%),"
                            + " %d caches of ended threads reclaimed; per 10^6 cached allocations: %.0f depot trades, %.0f away"
                            + " flushes, %.0f core lock sections, %.0f duplicates dropped",
                    100 * c.hitRate(), c.hits(), c.misses(), c.uncached(), 100.0 * c.uncached() / (handed + c.uncached()),
                    c.reclaimed(), c.depotTrades() * per, c.awayFlushes() * per, c.coreTrips() * per, c.duplicates() * per));
        }
        long requests = Math.max(1, s.allocations() + s.frees()); // the caller's, cached or not
        List<String> locks = new ArrayList<>();
        for (LockStats l : s.locks()) {
            if (l.contended() > 0) {
                locks.add(String.format(Locale.ROOT, "%s %d contended (%.0f per 10^6 requests), mean wait %.1f us,"
                                + " %d yields, %d sleeps", l.lock(), l.contended(), l.contended() * 1e6 / requests,
                        l.meanWaitNanos() / 1000, l.yields(), l.sleeps()));
            }
        }
        lines.add(locks.isEmpty() ? "locks: no contention" : "locks: " + String.join("; ", locks));
        return String.join("\n", lines);
    }

    @Override
    public void close() {
        allocator.close();
    }
}
