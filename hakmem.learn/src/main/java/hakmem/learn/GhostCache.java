package hakmem.learn;

import java.util.ArrayList;
import java.util.List;

/**
 * The big-block cache as it would be under one strategy's limits, fed the allocator's real stream of big
 * requests and frees (every one is sampled): which requests it would have served from cache, which it
 * would have mapped afresh, and how many bytes it would hold. It follows the runtime's rules: a request
 * takes the smallest cached mapping that fits without wasting over a quarter; a freed mapping larger
 * than the byte limit is dropped, others push out the oldest until both limits hold. Page size 4 KiB.
 */
final class GhostCache {

    private static final long PAGE = 4096;

    private final int maxBlocks;
    private final long maxBytes;
    /** Cached lengths, oldest first. */
    private final List<Long> cached = new ArrayList<>();
    private long bytes;
    private long hits;
    private long misses;
    private long missBytes;

    GhostCache(Strategy s) {
        this.maxBlocks = s.bigCacheBlocks();
        this.maxBytes = s.bigCacheBytes();
    }

    /** A request of {@code size} bytes; returns whether this cache would have served it. */
    boolean allocate(long size) {
        long length = (size + PAGE - 1) & -PAGE;
        int best = -1;
        for (int i = 0; i < cached.size(); i++) {
            long l = cached.get(i);
            if (l >= length && l - length <= length / 4 && (best < 0 || l < cached.get(best))) {
                best = i;
            }
        }
        if (best < 0) {
            misses++;
            missBytes += length;
            return false;
        }
        bytes -= cached.remove(best);
        hits++;
        return true;
    }

    /** A free of a big block of {@code length} usable bytes. */
    void free(long length) {
        if (length > maxBytes || maxBlocks == 0) {
            return;
        }
        while (!cached.isEmpty() && (cached.size() > maxBlocks - 1 || bytes > maxBytes - length)) {
            bytes -= cached.removeFirst();
        }
        cached.add(length);
        bytes += length;
    }

    long hits() {
        return hits;
    }

    long misses() {
        return misses;
    }

    /** Bytes the misses would have mapped. */
    long missBytes() {
        return missBytes;
    }

    /** Bytes held in cached mappings now. */
    long bytes() {
        return bytes;
    }

    /** Starts a new window's counts; the cached mappings stay. */
    void newWindow() {
        hits = 0;
        misses = 0;
        missBytes = 0;
    }
}
