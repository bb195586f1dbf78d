package hakmem.l25;

import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.spi.TierCore;
import hakmem.tck.Inspector;

/**
 * What the tests know about an {@link L25Core}'s insides, for hakmem.tck's contract and the l25-specific
 * tests: a walk of all its metadata (page maps, shard caches, fit lists, dirty pages) that fails on the
 * first inconsistency, the exact reason a bad address must get, and the figures the l25 tests bound.
 * Reads the core's package-private fields; changes nothing.
 */
final class L25Inspector implements Inspector {

    static final L25Inspector INSTANCE = new L25Inspector();

    private L25Inspector() {
    }

    @Override
    public void check(TierCore core) {
        checkCore((L25Core) core);
    }

    /** In no block (outside the core's chunks, or free pages), UNKNOWN; at a cached block's start DOUBLE_FREE; else INTERIOR. */
    @Override
    public Reason reasonFor(TierCore core, long address) {
        long block = blockAt((L25Core) core, address);
        if (block == 0) {
            return Reason.UNKNOWN;
        }
        return block == address ? Reason.DOUBLE_FREE : Reason.INTERIOR;
    }

    /** Start of the block (live or cached) covering {@code address} in the core's chunks, or 0. */
    static long blockAt(L25Core core, long address) {
        if (core.chunks.attachment(address) instanceof Chunk ch && ch.core == core) {
            int p = (int) (address >>> L25Core.PAGE_SHIFT) & (Chunk.PAGES - 1);
            if (ch.state[p] != Chunk.FREE) {
                return ch.base + ((long) ch.headOf(p) << L25Core.PAGE_SHIFT);
            }
        }
        return 0;
    }

    /** Class of the block covering {@code address}, or -1. */
    static int classAt(L25Core core, long address) {
        if (blockAt(core, address) != 0) {
            Chunk ch = (Chunk) core.chunks.attachment(address);
            return ch.sizeClass[(int) (address >>> L25Core.PAGE_SHIFT) & (Chunk.PAGES - 1)];
        }
        return -1;
    }

    /** Shard of the block starting at {@code address}, or -1. */
    static int shardOf(L25Core core, long address) {
        long block = blockAt(core, address);
        return block == 0 ? -1 : ((Chunk) core.chunks.attachment(address)).shard[(int) (block >>> L25Core.PAGE_SHIFT) & 31];
    }

    static long cachedBytes(L25Core core) {
        return core.cachedBytes;
    }

    /** Cached blocks of shard {@code s} and class {@code c}. */
    static int cachedCount(L25Core core, int s, int c) {
        return core.cachedCount[s * L25Core.CLASSES + c];
    }

    static long dirtyBytes(L25Core core) {
        return core.dirty.bytes();
    }

    /** Bytes of free pages that may stay undiscarded now. */
    static long dirtyBudget(L25Core core) {
        return core.dirty.budget(core.heldBytes);
    }

    static int chunkCount(L25Core core) {
        return core.chunkCount;
    }

    /** Walks all metadata; throws AssertionError naming the first inconsistency. */
    static void checkCore(L25Core core) {
        int classes = L25Core.CLASSES;
        check(core.chunks.reservedBytes() == core.chunkCount * L25Core.CHUNK_SIZE, "reserved "
                + core.chunks.reservedBytes() + " != " + core.chunkCount + " chunks");
        long[] live = new long[classes];
        long[] bytes = new long[classes];
        long[] blocks = new long[classes];
        long cachedHeads = 0;
        long dirtyCounted = 0;
        for (int k = 0; k < core.chunkCount; k++) {
            Chunk ch = core.chunkList[k];
            String at = "chunk " + Long.toHexString(ch.base) + ": ";
            check(ch.index == k && ch.core == core, at + "list position");
            check((ch.base & (L25Core.CHUNK_SIZE - 1)) == 0 && core.chunks.attachment(ch.base) == ch,
                    at + "alignment or attachment");
            check((ch.used == 0) == (ch == core.spareChunk), at + "empty chunk held that is not the spare");
            check((ch.dirty.mask() & ch.used) == 0, at + "dirty pages in use");
            dirtyCounted += (long) Integer.bitCount(ch.dirty.mask()) << L25Core.PAGE_SHIFT;
            check(ch.maxFree == Chunk.maxFreeClass(ch.used), at + "fit class " + ch.maxFree);
            int onList = 0;
            for (int c = 0; c < classes; c++) {
                for (Chunk f = core.fit[c]; f != null; f = f.nextFit) {
                    if (f == ch) {
                        onList++;
                        check(c == ch.maxFree, at + "on the fit list of class " + c);
                    }
                }
            }
            check(onList == (ch.maxFree >= 0 ? 1 : 0), at + "on " + onList + " fit lists");
            int covered = 0;
            for (int p = 0; p < Chunk.PAGES; p++) {
                byte st = ch.state[p];
                check(((ch.used >>> p) & 1) == (st == Chunk.FREE ? 0 : 1), at + "page " + p + " used bit vs state");
                if (st != Chunk.LIVE && st != Chunk.CACHED) {
                    check(st != Chunk.BODY || ((covered >>> p) & 1) == 1, at + "page " + p + " body of no block");
                    continue;
                }
                int c = ch.sizeClass[p];
                check(c >= 0 && c < classes && (p & ((1 << c) - 1)) == 0, at + "block at page " + p + " misplaced");
                int mask = Chunk.pageMask(p, c);
                check((covered & mask) == 0 && (ch.used & mask) == mask, at + "block at page " + p + " overlaps");
                covered |= mask;
                for (int q = p + 1; q < p + (1 << c); q++) {
                    check(ch.state[q] == Chunk.BODY && ch.sizeClass[q] == c, at + "body page " + q);
                }
                check(ch.shard[p] >= 0 && ch.shard[p] < L25Core.SHARDS, at + "shard");
                blocks[c]++;
                if (st == Chunk.LIVE) {
                    live[c]++;
                    check(ch.requested[p] >= 1 && ch.requested[p] <= L25Core.classSize(c), at + "requested size at " + p);
                    bytes[c] += ch.requested[p];
                } else {
                    cachedHeads++;
                    long address = ch.base + ((long) p << L25Core.PAGE_SHIFT);
                    int stack = ch.shard[p] * classes + c;
                    int found = 0;
                    for (int i = 0; i < core.cachedCount[stack]; i++) {
                        if (core.cachedAddress[stack][i] == address) {
                            found++;
                            check(core.cachedChunk[stack][i] == ch, at + "cached chunk ref");
                        }
                    }
                    check(found == 1, at + "cached block at " + p + " in its cache " + found + " times");
                }
            }
            check(covered == ch.used, at + "used pages not covered by blocks");
        }
        long entries = 0;
        long cached = 0;
        for (int s = 0; s < L25Core.SHARDS; s++) {
            for (int c = 0; c < classes; c++) {
                int n = core.cachedCount[s * classes + c];
                entries += n;
                cached += n * L25Core.classSize(c);
                check(((core.nonEmpty[s] >>> c) & 1) == (n > 0 ? 1 : 0), "non-empty bit of shard " + s + " class " + c);
            }
            check((core.nonEmpty[s] >>> classes) == 0, "non-empty bits past the classes");
        }
        check(core.spareChunk == null || core.chunkList[core.spareChunk.index] == core.spareChunk, "spare chunk not held");
        check(entries == cachedHeads, "cache entries " + entries + " != cached blocks " + cachedHeads);
        check(cached == core.cachedBytes && core.cachedBytes <= core.retainedLimit, "cached bytes");
        check(dirtyCounted == core.dirty.bytes() && core.dirty.bytes() <= dirtyBudget(core), "dirty bytes "
                + dirtyCounted + " vs " + core.dirty.bytes() + ", budget " + dirtyBudget(core));
        long[] dirtyChunks = {0};
        try {
            core.dirty.forEach(p -> {
                Chunk ch = (Chunk) p.owner();
                check(core.chunkList[ch.index] == ch, "dirty chunk not held: " + Long.toHexString(ch.base));
                dirtyChunks[0]++;
            });
        } catch (IllegalStateException e) {
            throw new AssertionError("l25 invariant broken: " + e.getMessage(), e);
        }
        long withDirty = 0;
        long heldSum = 0;
        for (int k = 0; k < core.chunkCount; k++) {
            withDirty += core.chunkList[k].dirty.mask() != 0 ? 1 : 0;
        }
        for (int c = 0; c < classes; c++) {
            heldSum += core.held[c] * L25Core.classSize(c);
        }
        check(dirtyChunks[0] == withDirty, "dirty list holds " + dirtyChunks[0] + " of " + withDirty + " dirty chunks");
        check(heldSum == core.heldBytes, "held bytes");
        for (int c = 0; c < classes; c++) {
            Chunk prev = null;
            for (Chunk f = core.fit[c]; f != null; f = f.nextFit) {
                check(f.prevFit == prev && f.core == core && core.chunkList[f.index] == f, "fit list links of class " + c);
                prev = f;
            }
        }
        for (int c = 0; c < classes; c++) {
            check(live[c] == core.allocations[c] - core.frees[c], "class " + c + " live " + live[c]
                    + " != allocations - frees");
            check(bytes[c] == core.liveBytes[c], "class " + c + " live bytes");
            check(blocks[c] == core.held[c], "class " + c + " held blocks");
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("l25 invariant broken: " + what);
        }
    }
}
