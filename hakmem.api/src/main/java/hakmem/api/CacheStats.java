package hakmem.api;

/**
 * Counters of the thread caches (the TLS variant); all zero for the other variants.
 *
 * @param threads         threads that hold a cache now
 * @param cachedBlocks    blocks sitting in thread caches and their shared depots, free to hand out
 * @param cachedBytes     bytes of those blocks
 * @param hits            requests served from a thread cache
 * @param misses          requests that found their magazine empty and refilled it (from the depot or a core)
 * @param uncached        requests of cached tiers' sizes served without a thread cache: virtual threads,
 *                        threads beyond the cache limit, over-aligned requests (each takes a core's lock)
 * @param reclaimed       caches of ended threads given back to the tier cores
 * @param refused         cached blocks a tier core refused when they were given back (never handed
 *                        out again; 0 unless a racing double free left a second copy in some cache)
 * @param duplicates      blocks dropped when they left a magazine because a user held them: the second
 *                        copy of a racing double free (see the README's contract), never handed out
 * @param depotTrades     batches thread caches traded with their shard's depot
 * @param awayFlushes     away buffers (blocks of other shards) sent home to their cores
 * @param coreTrips       lock sections the thread caches took on tier cores (refills and give-backs)
 */
public record CacheStats(int threads, long cachedBlocks, long cachedBytes, long hits, long misses, long uncached,
                         long reclaimed, long refused, long duplicates, long depotTrades, long awayFlushes,
                         long coreTrips) {

    public static final CacheStats NONE = new CacheStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Share of cacheable requests served from a thread cache, 0 when there were none. */
    public double hitRate() {
        long all = hits + misses;
        return all == 0 ? 0 : (double) hits / all;
    }
}
