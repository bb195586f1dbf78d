package hakmem.l2;

import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.spi.TierCore;
import hakmem.tck.Inspector;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What the tests know about an {@link L2Core}'s insides, for hakmem.tck's contract and the l2-specific
 * tests: a walk of all its metadata (runs, lists, spares, dirty pages) that fails on the first
 * inconsistency, the exact reason a bad address must get, and the figures the l2 tests bound. Reads the
 * core's package-private fields; changes nothing.
 */
final class L2Inspector implements Inspector {

    static final L2Inspector INSTANCE = new L2Inspector();

    private L2Inspector() {
    }

    @Override
    public void check(TierCore core) {
        checkCore((L2Core) core);
    }

    /**
     * From the geometry: in no run, UNKNOWN; in a run, past its last block UNKNOWN, inside a block
     * INTERIOR, at a free block's start DOUBLE_FREE.
     */
    @Override
    public Reason reasonFor(TierCore core, long address) {
        Run r = ((L2Core) core).runOf(address);
        if (r == null) {
            return Reason.UNKNOWN;
        }
        long offset = address - r.base;
        if (offset / r.blockSize >= r.capacity) {
            return Reason.UNKNOWN;
        }
        return offset % r.blockSize == 0 ? Reason.DOUBLE_FREE : Reason.INTERIOR;
    }

    static long dirtyBytes(L2Core core) {
        return core.dirty.bytes();
    }

    /** Bytes of free pages that may stay undiscarded now. */
    static long dirtyBudget(L2Core core) {
        return core.dirty.budget(core.heldBytes);
    }

    static long retainedBytes(L2Core core) {
        return core.retainedBytes;
    }

    static int chunkCount(L2Core core) {
        return core.chunkCount;
    }

    private static int liveBlocks(Run r) {
        return Long.bitCount(r.fullMask & ~r.freeMask);
    }

    /** Walks all metadata; throws AssertionError naming the first inconsistency. */
    static void checkCore(L2Core core) {
        check(core.chunks.reservedBytes() == core.chunkCount * L2Core.CHUNK_SIZE, "reserved "
                + core.chunks.reservedBytes() + " != " + core.chunkCount + " chunks");
        Map<Run, Boolean> seen = new IdentityHashMap<>();
        long dirtyCounted = 0;
        long dirtyChunks = 0;
        long[] live = new long[SizeClass.COUNT];
        long[] bytes = new long[SizeClass.COUNT];
        long[] runCount = new long[SizeClass.COUNT];
        for (int k = 0; k < core.chunkCount; k++) {
            Chunk ch = core.chunkList[k];
            check(ch.index == k && ch.core == core, "chunk list position of " + Long.toHexString(ch.base));
            check((ch.base & (L2Core.CHUNK_SIZE - 1)) == 0, "chunk misaligned " + Long.toHexString(ch.base));
            check(core.chunks.attachment(ch.base) == ch, "attachment of chunk " + Long.toHexString(ch.base));
            check((ch.used == 0) == (ch == core.spareChunk), "empty chunk held that is not the spare "
                    + Long.toHexString(ch.base));
            check((ch.dirty.mask() & ch.used) == 0, "dirty pages in use " + Long.toHexString(ch.base));
            dirtyCounted += (long) Integer.bitCount(ch.dirty.mask()) << SizeClass.PAGE_SHIFT;
            dirtyChunks += ch.dirty.mask() != 0 ? 1 : 0;
            for (int p = 0; p < Chunk.PAGES; p++) {
                Run r = ch.runs[p];
                check(((ch.used >>> p) & 1) == (r == null ? 0 : 1), "page " + p + " used bit vs run");
                if (r == null) {
                    continue;
                }
                check(r.chunk == ch && p >= r.firstPage && p < r.firstPage + r.pages, "page " + p + " run bounds");
                if (seen.put(r, Boolean.TRUE) != null) {
                    continue;
                }
                int c = r.sizeClass;
                check(r.base == ch.base + ((long) r.firstPage << SizeClass.PAGE_SHIFT), "run base");
                check(r.pages == SizeClass.RUN_PAGES[c] && r.blockSize == SizeClass.BLOCK[c]
                        && r.capacity == SizeClass.CAPACITY[c] && (long) r.capacity * r.blockSize <= r.bytes(),
                        "run geometry");
                check((r.freeMask & ~r.fullMask) == 0, "free bits past capacity");
                int liveHere = liveBlocks(r);
                check(Long.bitCount(r.freeMask) + liveHere == r.capacity, "free + live != capacity");
                live[c] += liveHere;
                runCount[c]++;
                for (int i = 0; i < r.capacity; i++) {
                    if ((r.freeMask & (1L << i)) == 0) {
                        check(r.requested[i] >= 1 && r.requested[i] <= r.blockSize, "requested size of block " + i);
                        bytes[c] += r.requested[i];
                    }
                }
                boolean isCurrent = core.current[c] == r;
                boolean isSpare = core.spare[c] == r;
                int states = (isCurrent ? 1 : 0) + (isSpare ? 1 : 0) + (r.partial ? 1 : 0) + (r.freeMask == 0 ? 1 : 0);
                if (isCurrent && r.freeMask == 0) {
                    states--; // a full current run is both
                }
                check(states == 1, "run " + Long.toHexString(r.base) + " in " + states + " states");
                check(!isSpare || r.isEmpty(), "spare run not empty");
                check(!r.partial || (!r.isEmpty() && r.freeMask != 0), "partial run empty or full");
            }
        }
        long retained = 0;
        for (int c = 0; c < SizeClass.COUNT; c++) {
            check(live[c] == core.allocations[c] - core.frees[c], "class " + SizeClass.BLOCK[c] + " live blocks "
                    + live[c] + " != allocations - frees " + (core.allocations[c] - core.frees[c]));
            check(bytes[c] == core.liveBytes[c], "class " + SizeClass.BLOCK[c] + " live bytes");
            check(runCount[c] == core.runs[c], "class " + SizeClass.BLOCK[c] + " run count");
            for (Run r : new Run[] {core.current[c], core.spare[c]}) {
                check(r == null || (seen.containsKey(r) && r.sizeClass == c), "current/spare run not held");
            }
            if (core.spare[c] != null) {
                retained += core.spare[c].bytes();
            }
            Run prev = null;
            for (Run r = core.partial[c]; r != null; r = r.next) {
                check(r.partial && r.prev == prev && r.sizeClass == c && seen.containsKey(r), "partial list links");
                prev = r;
            }
        }
        long partials = seen.keySet().stream().filter(r -> r.partial).count();
        long listed = 0;
        for (int c = 0; c < SizeClass.COUNT; c++) {
            for (Run r = core.partial[c]; r != null; r = r.next) {
                listed++;
            }
        }
        check(partials == listed, "partial flags " + partials + " != listed " + listed);
        check(retained == core.retainedBytes && core.retainedBytes <= L2Core.RETAIN_LIMIT, "retained bytes");
        long held = 0;
        for (Run r : seen.keySet()) {
            held += r.bytes();
        }
        check(held == core.heldBytes, "held bytes");
        check(dirtyCounted == core.dirty.bytes() && core.dirty.bytes() <= dirtyBudget(core), "dirty bytes "
                + dirtyCounted + " vs " + core.dirty.bytes() + ", budget " + dirtyBudget(core));
        long[] dirtyListed = {0};
        try {
            core.dirty.forEach(p -> {
                Chunk ch = (Chunk) p.owner();
                check(core.chunkList[ch.index] == ch, "dirty chunk not held: " + Long.toHexString(ch.base));
                dirtyListed[0]++;
            });
        } catch (IllegalStateException e) {
            throw new AssertionError("l2 invariant broken: " + e.getMessage(), e);
        }
        check(dirtyListed[0] == dirtyChunks, "dirty list holds " + dirtyListed[0] + " of " + dirtyChunks);
        check(core.spareChunk == null || core.chunkList[core.spareChunk.index] == core.spareChunk, "spare chunk not held");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("l2 invariant broken: " + what);
        }
    }
}
