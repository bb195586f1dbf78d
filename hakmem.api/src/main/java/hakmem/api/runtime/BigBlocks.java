package hakmem.api.runtime;

import hakmem.api.InvalidAddressException;
import hakmem.api.TierStats;
import hakmem.api.spi.Policy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The big-block path: every request no tier serves gets a mapping of its own, page-rounded. Freed
 * mappings are kept in a small cache (hakmem's BigCache) bounded by the policy's block count and bytes,
 * oldest evicted first, and reused for a later request of a close size (no more than a quarter larger).
 *
 * <p>Single-threaded: the variant serializes calls. Live blocks sit in an ordered map so an interior
 * address is told apart from an unknown one; big blocks are rare enough that this costs nothing.
 *
 * <p>Should the OS refuse to unmap a range ({@code munmap} can fail for want of memory to split a
 * mapping), the range is kept, still counted in the budget, on a list of unreturned ranges that every
 * {@link #trim()} tries again, and the call that unmapped goes on: a free or an eviction does not fail
 * halfway, and nothing is lost from the accounts.
 */
final class BigBlocks {

    static final String ID = "big";

    private record Block(long length, long requested) {
    }

    private final Budget budget;
    /** Gives memory kept for reuse elsewhere (retained chunks) back when the limit is near. */
    private final Runnable onPressure;
    private final long page = OsMemory.PAGE_SIZE;
    private final TreeMap<Long, Block> live = new TreeMap<>();
    private long[] cacheAddress = new long[16];
    private long[] cacheLength = new long[16];
    private int cached;
    private long cachedBytes;
    /** Ranges the OS refused to unmap, {address, length} pairs in {@code unreturned[0 .. 2 * unreturnedCount)}. */
    private long[] unreturned = new long[8];
    private int unreturnedCount;
    private long unreturnedBytes;
    /** Times the OS refused an unmap or a discard. */
    private long refusals;
    private long liveLength;
    private long liveRequested;
    private long allocations;
    private long frees;

    private final PageSource pages;

    BigBlocks(Budget budget, PageSource pages, Runnable onPressure) {
        this.pages = pages;
        this.budget = budget;
        this.onPressure = onPressure;
    }

    /** A zero-filled block when {@code zero}, else contents undefined. */
    long allocate(long size, long alignment, Policy policy, boolean zero) {
        long length = (size + page - 1) & -page;
        long address;
        int hit = cachedFit(length, alignment);
        if (hit >= 0) {
            hit(size, cacheLength[hit]);
            address = cacheAddress[hit];
            length = cacheLength[hit];
            cachedBytes -= length;
            removeCached(hit);
            if (zero) {
                try {
                    pages.discard(address, length);
                } catch (RuntimeException | OutOfMemoryError refused) {
                    // The mapping is ours either way: zero it by hand rather than lose it.
                    refusals++;
                    java.lang.foreign.MemorySegment.ofAddress(address).reinterpret(length).fill((byte) 0);
                }
            }
        } else {
            JfrEvents.BigCacheMiss event = new JfrEvents.BigCacheMiss();
            event.begin(); // beside an mmap, the clock read costs nothing
            int cachedBefore = cached;
            long cachedBytesBefore = cachedBytes;
            address = map(length, alignment);
            event.end();
            if (event.shouldCommit()) {
                event.size = size;
                event.mappedBytes = alignment > page ? length + alignment - page : length;
                event.cachedBlocks = cachedBefore;
                event.cachedBytes = cachedBytesBefore;
                event.commit();
            }
        }
        live.put(address, new Block(length, size));
        liveLength += length;
        liveRequested += size;
        allocations++;
        return address;
    }

    /** The {@code hakmem.BigCacheHit} event of a request of {@code size} bytes given a cached mapping of {@code length}. */
    private void hit(long size, long length) {
        JfrEvents.BigCacheHit event = new JfrEvents.BigCacheHit();
        if (event.shouldCommit()) {
            event.size = size;
            event.blockBytes = length;
            event.cachedBlocks = cached - 1; // left once this one is taken
            event.cachedBytes = cachedBytes - length;
            event.commit();
        }
    }

    /** Index of the smallest cached mapping that fits without wasting over a quarter, or -1. */
    private int cachedFit(long length, long alignment) {
        int best = -1;
        for (int i = 0; i < cached; i++) {
            long l = cacheLength[i];
            if (l >= length && l - length <= length / 4 && (cacheAddress[i] & (alignment - 1)) == 0
                    && (best < 0 || l < cacheLength[best])) {
                best = i;
            }
        }
        return best;
    }

    private void removeCached(int i) {
        System.arraycopy(cacheAddress, i + 1, cacheAddress, i, cached - i - 1);
        System.arraycopy(cacheLength, i + 1, cacheLength, i, cached - i - 1);
        cached--;
    }

    private long map(long length, long alignment) {
        long span = alignment > page ? length + alignment - page : length;
        if (!budget.fits(span)) {
            evictCached(0, 0);
            onPressure.run();
        }
        budget.take(span);
        long mapping;
        try {
            mapping = pages.mapFresh(span);
        } catch (RuntimeException | Error e) {
            budget.give(span);
            throw e;
        }
        if (span == length) {
            return mapping;
        }
        // Over-mapped for a large alignment: unmap the slack before and after the aligned block.
        long address = (mapping + alignment - 1) & -alignment;
        if (address > mapping) {
            unmap(mapping, address - mapping);
        }
        long tail = mapping + span - (address + length);
        if (tail > 0) {
            unmap(address + length, tail);
        }
        return address;
    }

    /** Frees the big block at {@code address}, caching its mapping as {@code policy} allows; returns its length. */
    long free(long address, Policy policy) {
        Block block = live.remove(address);
        if (block == null) {
            throw invalid(address);
        }
        liveLength -= block.length;
        liveRequested -= block.requested;
        frees++;
        if (block.length > policy.bigCacheBytes() || policy.bigCacheBlocks() == 0) {
            unmap(address, block.length);
            return block.length;
        }
        evictCached(policy.bigCacheBlocks() - 1, policy.bigCacheBytes() - block.length);
        if (cached == cacheAddress.length) {
            cacheAddress = java.util.Arrays.copyOf(cacheAddress, cached * 2);
            cacheLength = java.util.Arrays.copyOf(cacheLength, cached * 2);
        }
        cacheAddress[cached] = address;
        cacheLength[cached] = block.length;
        cached++;
        cachedBytes += block.length;
        return block.length;
    }

    /** Unmaps the oldest cached mappings until at most {@code blocks} and {@code bytes} remain. */
    private void evictCached(int blocks, long bytes) {
        while (cached > 0 && (cached > blocks || cachedBytes > bytes)) {
            long address = cacheAddress[0];
            long length = cacheLength[0];
            removeCached(0);
            cachedBytes -= length;
            unmap(address, length);
        }
    }

    /** Unmaps a range and gives its bytes back to the budget, or keeps it as unreturned if the OS refuses. */
    private void unmap(long address, long length) {
        try {
            pages.unmap(address, length);
        } catch (RuntimeException | OutOfMemoryError refused) {
            refusals++;
            if (2 * unreturnedCount == unreturned.length) {
                unreturned = java.util.Arrays.copyOf(unreturned, unreturned.length * 2);
            }
            unreturned[2 * unreturnedCount] = address;
            unreturned[2 * unreturnedCount + 1] = length;
            unreturnedCount++;
            unreturnedBytes += length;
            return;
        }
        budget.give(length);
    }

    /** Tries again to unmap the ranges the OS refused; those it refuses again stay. */
    private void retryUnreturned() {
        int n = unreturnedCount;
        long[] ranges = java.util.Arrays.copyOf(unreturned, 2 * n);
        unreturnedCount = 0;
        unreturnedBytes = 0;
        for (int i = 0; i < n; i++) {
            unmap(ranges[2 * i], ranges[2 * i + 1]);
        }
    }

    /** Times the OS refused to unmap or discard a range of this path (the ranges are kept, see the class). */
    long refusals() {
        return refusals;
    }

    long usableSize(long address) {
        Block block = live.get(address);
        if (block == null) {
            throw invalid(address);
        }
        return block.length;
    }

    private InvalidAddressException invalid(long address) {
        Map.Entry<Long, Block> below = live.floorEntry(address);
        if (below != null && address - below.getKey() < below.getValue().length) {
            return new InvalidAddressException(address, InvalidAddressException.Reason.INTERIOR,
                    "inside the big block at 0x" + Long.toHexString(below.getKey()));
        }
        for (int i = 0; i < cached; i++) {
            if (cacheAddress[i] == address) {
                return new InvalidAddressException(address, InvalidAddressException.Reason.DOUBLE_FREE, "big block");
            }
        }
        return new InvalidAddressException(address, InvalidAddressException.Reason.UNKNOWN, null);
    }

    /** Unmaps the oldest cached mappings until the cache fits {@code policy}. */
    void fit(Policy policy) {
        evictCached(policy.bigCacheBlocks(), policy.bigCacheBytes());
    }

    /** Unmaps every cached mapping, and tries again the ranges the OS refused to unmap. */
    void trim() {
        evictCached(0, 0);
        retryUnreturned();
    }

    /**
     * Gives every mapping's pages back to the OS, live blocks included, but leaves them mapped (a call
     * racing the close may still touch one); returns their addresses and lengths, in pairs, to unmap
     * once no call can be inside the allocator.
     */
    long[] close() {
        long[] mappings = new long[2 * (live.size() + cached + unreturnedCount)];
        int n = 0;
        for (int i = 0; i < cached; i++) {
            mappings[n++] = cacheAddress[i];
            mappings[n++] = cacheLength[i];
        }
        for (int i = 0; i < 2 * unreturnedCount; i++) {
            mappings[n++] = unreturned[i];
        }
        unreturnedCount = 0;
        unreturnedBytes = 0;
        for (Map.Entry<Long, Block> e : live.entrySet()) {
            mappings[n++] = e.getKey();
            mappings[n++] = e.getValue().length;
        }
        cached = 0;
        cachedBytes = 0;
        live.clear();
        liveLength = 0;
        liveRequested = 0;
        for (int i = 0; i < n; i += 2) {
            long length = mappings[i + 1];
            try {
                pages.drop(mappings[i], length);
            } catch (RuntimeException | OutOfMemoryError refused) {
                // Cannot keep it mapped without its pages: unmap it now (a racing call may fault, as
                // before this protocol) and leave nothing for the deferred unmap.
                unmapQuietly(mappings[i], length);
                mappings[i + 1] = 0;
            }
            budget.give(length);
        }
        return mappings;
    }

    private void unmapQuietly(long address, long length) {
        try {
            pages.unmap(address, length);
        } catch (RuntimeException | OutOfMemoryError e) {
            // Nothing more to do: the range stays mapped until the process ends.
        }
    }

    TierStats stats() {
        return new TierStats(ID, allocations, frees, live.size(), liveRequested, liveLength,
                liveLength + cachedBytes + unreturnedBytes, cachedBytes, unreturnedBytes, List.of());
    }
}
