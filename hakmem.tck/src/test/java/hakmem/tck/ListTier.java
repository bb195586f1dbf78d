package hakmem.tck;

import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plain tier for the kit's own tests: one 256-byte block for every request, the first
 * {@link #PER_CHUNK} blocks of each chunk, no classes listed, metadata in hash maps. Correct with
 * {@link Bug#NONE}; each other {@link Bug} breaks one rule of the contract, to show the kit catches it.
 */
final class ListTier implements TierProvider {

    static final long BLOCK = 256;
    static final int PER_CHUNK = 16;

    enum Bug {
        NONE,
        /** id() is not a valid id. */
        BAD_ID,
        /** The fourth allocation hands out a live block again. */
        REUSE_LIVE,
        /** A second free of a block returns quietly. */
        ACCEPT_DOUBLE_FREE,
        /** An interior address is called unknown. */
        INTERIOR_AS_UNKNOWN,
        /** stats() counts usable bytes as the bytes asked. */
        COUNT_USABLE_AS_ASKED,
        /** trim() keeps chunks without live blocks. */
        TRIM_KEEPS_EMPTY,
        /** free() discards the first page of the block's chunk, live blocks or not. */
        DISCARD_LIVE,
        /** trim() releases chunks with one live block left. */
        RELEASE_LIVE,
        /** The sixth allocation throws OutOfMemoryError without asking the source. */
        OOM_ALONE,
        /** free() writes a link into the next block, as an in-band free list would if off by one. */
        WRITE_NEIGHBOUR,
        /** Freed blocks are never handed out again. */
        NEVER_REUSE,
        /** A request of exactly 256 bytes returns 0. */
        ZERO_FOR_PLAIN,
        /** A rejected free bumps the frees counter before it throws. */
        COUNT_REJECTED
    }

    private final Bug bug;

    ListTier(Bug bug) {
        this.bug = bug;
    }

    @Override
    public String id() {
        return bug == Bug.BAD_ID ? "List!" : "list";
    }

    @Override
    public long maxSize() {
        return BLOCK;
    }

    @Override
    public TierCore create(ChunkSource chunks) {
        return new Core(chunks);
    }

    private final class Core implements TierCore {
        private final ChunkSource chunks;
        /** Chunk base to blocks carved from it so far. */
        private final TreeMap<Long, Integer> carved = new TreeMap<>();
        private final ArrayDeque<Long> free = new ArrayDeque<>();
        private final Map<Long, Long> live = new HashMap<>();
        private long allocations;
        private long frees;
        private long liveBytes;

        Core(ChunkSource chunks) {
            this.chunks = chunks;
        }

        @Override
        public long allocate(long size, long alignment, int site) {
            if (size < 1 || size > BLOCK) {
                throw new IllegalArgumentException("list serves 1.." + BLOCK + ": " + size);
            }
            if (alignment > BLOCK || (bug == Bug.ZERO_FOR_PLAIN && size == BLOCK)) {
                return 0;
            }
            if (bug == Bug.OOM_ALONE && allocations == 5) {
                throw new OutOfMemoryError("list: made up");
            }
            long address;
            if (bug == Bug.REUSE_LIVE && allocations == 3) {
                address = live.keySet().iterator().next();
            } else if (!free.isEmpty() && bug != Bug.NEVER_REUSE) {
                address = free.pop();
            } else {
                Map.Entry<Long, Integer> last = carved.lastEntry();
                if (last == null || last.getValue() == PER_CHUNK) {
                    long chunk = chunks.acquire(this);
                    carved.put(chunk, 0);
                    last = carved.lastEntry();
                }
                address = last.getKey() + last.getValue() * BLOCK;
                carved.put(last.getKey(), last.getValue() + 1);
            }
            live.put(address, size);
            allocations++;
            liveBytes += size;
            return address;
        }

        @Override
        public void free(long address) {
            Long size = live.remove(address);
            if (size == null) {
                if (bug == Bug.ACCEPT_DOUBLE_FREE && free.contains(address)) {
                    return;
                }
                if (bug == Bug.COUNT_REJECTED) {
                    frees++;
                }
                throw invalid(address);
            }
            free.push(address);
            frees++;
            liveBytes -= size;
            long chunk = address & -chunks.chunkSize();
            if (bug == Bug.DISCARD_LIVE) {
                chunks.discard(chunk, chunks.pageSize());
            }
            if (bug == Bug.WRITE_NEIGHBOUR) {
                segment(address + BLOCK).set(ValueLayout.JAVA_LONG, 0, address);
            }
        }

        @SuppressWarnings("restricted")
        private static MemorySegment segment(long address) {
            return MemorySegment.ofAddress(address).reinterpret(8);
        }

        @Override
        public long usableSize(long address) {
            if (!live.containsKey(address)) {
                throw invalid(address);
            }
            return BLOCK;
        }

        private InvalidAddressException invalid(long address) {
            Map.Entry<Long, Integer> c = carved.floorEntry(address);
            if (c == null || address >= c.getKey() + c.getValue() * BLOCK) {
                return new InvalidAddressException(address, Reason.UNKNOWN, "list: not a carved block");
            }
            if ((address - c.getKey()) % BLOCK != 0) {
                return new InvalidAddressException(address, bug == Bug.INTERIOR_AS_UNKNOWN ? Reason.UNKNOWN : Reason.INTERIOR,
                        "list: inside a block");
            }
            return new InvalidAddressException(address, Reason.DOUBLE_FREE, "list: a free block");
        }

        @Override
        public void trim() {
            if (bug == Bug.TRIM_KEEPS_EMPTY) {
                return;
            }
            for (Iterator<Map.Entry<Long, Integer>> it = carved.entrySet().iterator(); it.hasNext(); ) {
                long chunk = it.next().getKey();
                long left = live.keySet().stream().filter(a -> (a & -chunks.chunkSize()) == chunk).count();
                if (left == 0 || (bug == Bug.RELEASE_LIVE && left == 1)) {
                    free.removeIf(a -> (a & -chunks.chunkSize()) == chunk);
                    live.keySet().removeIf(a -> (a & -chunks.chunkSize()) == chunk);
                    it.remove();
                    chunks.release(chunk);
                }
            }
        }

        @Override
        public TierStats stats() {
            long n = live.size();
            return new TierStats(id(), allocations, frees, n, bug == Bug.COUNT_USABLE_AS_ASKED ? n * BLOCK : liveBytes,
                    n * BLOCK, chunks.reservedBytes(), List.of());
        }

        @Override
        public void close() {
            for (long chunk : carved.keySet()) {
                chunks.release(chunk);
            }
            carved.clear();
        }
    }
}
