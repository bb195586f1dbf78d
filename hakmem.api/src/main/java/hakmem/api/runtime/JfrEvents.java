package hakmem.api.runtime;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * hakmem's JDK Flight Recorder events, category "hakmem", each named {@code hakmem.<Class>}. They are
 * emitted from slow paths only (a chunk taken or given back, a thread cache's batch refill or flush, a big
 * block, a policy published, a close with live blocks), never from a thread cache hit, nor from a core's
 * allocation or free of one block.
 *
 * <p>Cost with no recording: the call sites make the event object and ask {@link Event#isEnabled()}, a
 * read of one static field that stays null until a recording enables the event; C2's escape analysis
 * removes the object (the branch that would let it escape is never taken, so it compiles to a trap).
 * The rarer sites (chunks, big blocks) always call {@code begin()}, whose clock read costs nothing beside
 * a {@code madvise} or {@code mmap}.
 *
 * <p>Thread caches: only the batches that go to or come from the tier cores are events, that is a refill
 * from a core (the depot had no batch) and a flush to the cores (the depot was full, or the away buffer
 * going home): each takes a core's lock, so the two clock reads of a timed event cost little beside it.
 * A trade with the depot (a push or pop of one array under a short lock, the common case once a workload
 * runs) is not an event: timing it made a loop of mallocs and frees a fifth slower under a recording
 * (measured: see the commit that added these events). The refill and flush
 * events carry a {@link Threshold}: a recording that enables them shows the batches that waited for a
 * contended lock, mapped a chunk or were descheduled; set {@code threshold} to {@code 0 ms} to record
 * every one.
 */
final class JfrEvents {

    private JfrEvents() {
    }

    static final String CATEGORY = "hakmem";

    /** The {@code tier} of a chunk given back after it was retained (no core holds it any more). */
    static final String RETAINED = "(retained)";

    @Name("hakmem.ChunkMapped")
    @Label("Chunk Mapped")
    @Category(CATEGORY)
    @Description("A tier core took a chunk: committed now (fresh pages, each faults in on first touch) or a retained one, still committed")
    @StackTrace(false)
    static final class ChunkMapped extends Event {
        @Label("Address")
        @MemoryAddress
        long address;

        @Label("Bytes")
        @DataAmount
        long bytes;

        @Label("Tier")
        String tier;

        @Label("Shard")
        int shard;

        @Label("Reused")
        @Description("A retained chunk handed over still committed: no call to the OS, no fresh page")
        boolean reused;
    }

    @Name("hakmem.ChunkUnmapped")
    @Label("Chunk Unmapped")
    @Category(CATEGORY)
    @Description("A chunk left a tier core: its pages given back to the OS (decommitted), or kept committed for reuse (retained)")
    @StackTrace(false)
    static final class ChunkUnmapped extends Event {
        @Label("Address")
        @MemoryAddress
        long address;

        @Label("Bytes")
        @DataAmount
        long bytes;

        @Label("Tier")
        @Description("The tier whose core released the chunk; (retained) for a retained chunk given back by trim() or a smaller policy")
        String tier;

        @Label("Shard")
        @Description("The releasing core's shard; -1 for a retained chunk")
        int shard;

        @Label("Retained")
        @Description("Kept committed (pages resident) for the next chunk a core takes; false: pages given back to the OS")
        boolean retained;
    }

    @Name("hakmem.CacheRefill")
    @Label("Thread Cache Refill")
    @Category(CATEGORY)
    @Description("An empty magazine of a thread cache took a batch of blocks from its shard's tier core (the depot had none); "
            + "recorded past the threshold")
    @Threshold("50 us")
    @StackTrace(false)
    static final class CacheRefill extends Event {
        @Label("Tier")
        String tier;

        @Label("Block Size")
        @DataAmount
        long blockSize;

        @Label("Blocks")
        int blocks;

        @Label("Shard")
        int shard;
    }

    @Name("hakmem.CacheFlush")
    @Label("Thread Cache Flush")
    @Category(CATEGORY)
    @Description("A thread cache sent a batch of freed blocks to the tier cores: a full magazine's older half when its "
            + "shard's depot was full, or its away buffer (blocks of other shards) home; recorded past the threshold")
    @Threshold("50 us")
    @StackTrace(false)
    static final class CacheFlush extends Event {
        @Label("Tier")
        @Description("The magazine's tier; for an away flush, the tiers of its blocks (an away buffer holds any), comma-separated")
        String tier;

        @Label("Block Size")
        @Description("The magazine's block size; 0 for an away flush (blocks of any size)")
        @DataAmount
        long blockSize;

        @Label("Blocks")
        int blocks;

        @Label("Destination")
        @Description("cores: a magazine's half, the depot being full; away: blocks of other shards, home to their cores")
        String destination;

        @Label("Lock Sections")
        @Description("Core lock sections taken: one per run of blocks of one core")
        int coreTrips;

        @Label("Shard")
        @Description("The flushing thread's shard")
        int shard;
    }

    @Name("hakmem.BigCacheHit")
    @Label("Big-Block Cache Hit")
    @Category(CATEGORY)
    @Description("A big block (above every tier) reused a freed mapping from the big-block cache: no call to the OS")
    @StackTrace(false)
    static final class BigCacheHit extends Event {
        @Label("Size")
        @Description("Bytes asked")
        @DataAmount
        long size;

        @Label("Block Bytes")
        @Description("The reused mapping's length, at most a quarter over the page-rounded size")
        @DataAmount
        long blockBytes;

        @Label("Cached Blocks")
        @Description("Mappings left in the cache")
        int cachedBlocks;

        @Label("Cached Bytes")
        @DataAmount
        long cachedBytes;
    }

    @Name("hakmem.BigCacheMiss")
    @Label("Big-Block Cache Miss")
    @Category(CATEGORY)
    @Description("A big block (above every tier) found no cached mapping that fits and mapped a new one")
    @StackTrace(false)
    static final class BigCacheMiss extends Event {
        @Label("Size")
        @Description("Bytes asked")
        @DataAmount
        long size;

        @Label("Mapped Bytes")
        @Description("Bytes mapped: the page-rounded size, plus slack for an alignment above a page (unmapped at once)")
        @DataAmount
        long mappedBytes;

        @Label("Cached Blocks")
        @Description("Mappings in the cache, none of which fit")
        int cachedBlocks;

        @Label("Cached Bytes")
        @DataAmount
        long cachedBytes;
    }

    @Name("hakmem.PolicyChange")
    @Label("Policy Change")
    @Category(CATEGORY)
    @Description("A learner published a policy: the knobs the allocation paths read from now on")
    @StackTrace(false)
    static final class PolicyChange extends Event {
        @Label("Allocator")
        @Description("The allocator's JMX name when it has one, else its description")
        String allocator;

        @Label("Previous")
        String previous;

        @Label("Next")
        String next;
    }

    @Name("hakmem.Leak")
    @Label("Leak On Close")
    @Category(CATEGORY)
    @Description("An allocator was closed with blocks still live; their memory went back to the OS")
    @StackTrace(true)
    static final class Leak extends Event {
        @Label("Allocator")
        @Description("The allocator's JMX name when it has one, else its description")
        String allocator;

        @Label("Live Blocks")
        long liveBlocks;

        @Label("Live Bytes")
        @Description("Bytes asked by the live blocks (their tiers' live bytes)")
        @DataAmount
        long liveBytes;

        @Label("By Tier")
        @Description("Blocks and bytes per tier, as in the leak report")
        String byTier;

        @Label("Thrown")
        @Description("Whether close() threw the report (failOnLeak) rather than logging it")
        boolean thrown;
    }
}
