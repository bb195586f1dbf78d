package hakmem.api.runtime;

import hakmem.api.InvalidAddressException;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A tier of one 64-byte class over one chunk: enough for the runtime's thread caches. With
 * {@code discardOnTrim}, a trim that keeps the chunk discards its pages that hold no live block (one
 * discard per run of such pages), as the real tiers do with free pages.
 */
final class FixedTier implements TierProvider {

    private final boolean discardOnTrim;

    FixedTier() {
        this(false);
    }

    FixedTier(boolean discardOnTrim) {
        this.discardOnTrim = discardOnTrim;
    }
    @Override
    public String id() {
        return "fixed";
    }

    @Override
    public long maxSize() {
        return 64;
    }

    @Override
    public TierCore create(ChunkSource chunks) {
        return new TierCore() {
            private final ArrayDeque<Long> free = new ArrayDeque<>();
            private final Set<Long> live = new HashSet<>();
            private long chunk;
            private long allocations, frees;

            @Override
            public long allocate(long size, long alignment, int site) {
                if (alignment > 64) {
                    return 0;
                }
                if (free.isEmpty()) {
                    if (chunk != 0) {
                        throw new OutOfMemoryError("fixed tier: one chunk at a time");
                    }
                    chunk = chunks.acquire(this);
                    for (long p = chunk + chunks.chunkSize() - 64; p >= chunk; p -= 64) {
                        free.push(p);
                    }
                }
                long p = free.pop();
                live.add(p);
                allocations++;
                return p;
            }

            @Override
            public void free(long address) {
                if (!live.remove(address)) {
                    throw new InvalidAddressException(address, InvalidAddressException.Reason.UNKNOWN, "fixed tier");
                }
                free.push(address);
                frees++;
            }

            @Override
            public long usableSize(long address) {
                if (!live.contains(address)) {
                    throw new InvalidAddressException(address, InvalidAddressException.Reason.UNKNOWN, "fixed tier");
                }
                return 64;
            }

            @Override
            public long[] classSizes() {
                return new long[] {64};
            }

            @Override
            public void trim() {
                if (chunk != 0 && live.isEmpty()) {
                    chunks.release(chunk);
                    chunk = 0;
                    free.clear();
                } else if (chunk != 0 && discardOnTrim) {
                    long page = chunks.pageSize();
                    long runStart = -1;
                    for (long at = chunk; at <= chunk + chunks.chunkSize(); at += page) {
                        long from = at;
                        boolean idle = at < chunk + chunks.chunkSize() && live.stream().noneMatch(
                                p -> p >= from && p < from + page);
                        if (idle && runStart < 0) {
                            runStart = at;
                        } else if (!idle && runStart >= 0) {
                            chunks.discard(runStart, at - runStart);
                            runStart = -1;
                        }
                    }
                }
            }

            @Override
            public TierStats stats() {
                return new TierStats("fixed", allocations, frees, live.size(), live.size() * 64L, live.size() * 64L,
                        chunks.reservedBytes(), 0, free.size() * 64L, List.of());
            }

            @Override
            public void close() {
                if (chunk != 0) {
                    chunks.release(chunk);
                }
            }
        };
    }
}
