package hakmem.api.runtime;

/**
 * One platform thread's cache: its magazines (a stack of free block addresses per class), its away
 * buffer (blocks of other shards on their way home) and its counters, all in one {@code long[]} that
 * only the owning thread writes, so the fast paths reach everything through one array.
 *
 * <p>Layout of {@link #m}:
 * <pre>
 *   [OWNER]          the owner's thread id (-1: no owner), checked by every lookup
 *   [SHARD]          the shard it refills from, -1 until its first miss
 *   [AWAY_COUNT]     blocks in the away buffer, then the buffer's AWAY slots
 *   [away bytes]     per cached tier, bytes of the away blocks
 *   [counters]       MISSES, DUPLICATES, DEPOT_TRADES, AWAY_FLUSHES, CORE_TRIPS
 *   per class k, at ClassTable.header[k]:
 *     header         count (bits 0..7) | capacity (bits 8..15) | allocations (bits 16..63)
 *     slots          capacity slots; the top block is at header + count
 * </pre>
 * Frees are not counted: stats derive them (allocations minus blocks live, which the marks show).
 */
final class ThreadCache {

    static final int OWNER = 0;
    static final int SHARD = 1;
    static final int AWAY_COUNT = 2;
    /** Blocks of other shards a cache gathers before it sends them home in one go. */
    static final int AWAY = 64;
    private static final int AWAY_BYTES = AWAY_COUNT + 1 + AWAY;

    // Slow-path counters, at counter(tiers, X).
    static final int MISSES = 0;
    /** Blocks dropped at a pop because they were marked: the second copy of a racing double free. */
    static final int DUPLICATES = 1;
    /** Batches taken from or given to the depot. */
    static final int DEPOT_TRADES = 2;
    static final int AWAY_FLUSHES = 3;
    /** Lock sections on tier cores: refills, give-backs. */
    static final int CORE_TRIPS = 4;
    private static final int COUNTERS = 5;

    /** Added to a header by a pop: one allocation more, one block fewer. */
    static final long POP = (1L << 16) - 1;
    /** Added to a header by a push. */
    static final long PUSH = 1;

    final Thread owner;
    final long[] m;
    /** Per class, an empty batch array kept for the next flush (none yet: null). */
    final long[][] spare;
    /** Per class, its allocation count when a refill of it was last sampled. */
    final long[] sampledAt;
    /** When this thread last missed, to 16 misses ({@link System#nanoTime()}); read by others racily. */
    long lastMiss;
    private final int tiers;

    ThreadCache(Thread owner, ClassTable classes) {
        this.owner = owner;
        this.tiers = classes.tiers;
        this.m = new long[classes.length];
        this.spare = new long[classes.classes()][];
        this.sampledAt = new long[classes.classes()];
        m[OWNER] = owner == null ? -1 : owner.threadId();
        m[SHARD] = -1;
        for (int k = 0; k < classes.classes(); k++) {
            m[classes.header[k]] = (long) classes.capacity[k] << 8;
        }
    }

    /** Index of the first magazine's header, after the fixed part for {@code tiers} cached tiers. */
    static int firstMagazine(int tiers) {
        return AWAY_BYTES + tiers + COUNTERS;
    }

    static int count(long header) {
        return (int) header & 0xFF;
    }

    static boolean full(long header) {
        return ((header ^ (header >>> 8)) & 0xFF) == 0;
    }

    static long allocations(long header) {
        return header >>> 16;
    }

    /** The header with its count set to {@code n}. */
    static long withCount(long header, int n) {
        return (header & ~0xFFL) | n;
    }

    int shard() {
        return (int) m[SHARD];
    }

    void shard(int s) {
        m[SHARD] = s;
    }

    int count(int header) {
        return count(m[header]);
    }

    void setCount(int header, int n) {
        m[header] = withCount(m[header], n);
    }

    /** Index of the away bytes of tier {@code t}. */
    static int awayBytes(int t) {
        return AWAY_BYTES + t;
    }

    int counterIndex(int counter) {
        return AWAY_BYTES + tiers + counter;
    }

    long counter(int counter) {
        return m[counterIndex(counter)];
    }

    void add(int counter, long n) {
        m[counterIndex(counter)] += n;
    }
}
