package hakmem.tck;

import hakmem.api.spi.TierProvider;
import hakmem.tck.ListTier.Bug;
import hakmem.tck.Op.Alloc;
import hakmem.tck.Op.Burst;
import hakmem.tck.Op.DoubleFree;
import hakmem.tck.Op.Free;
import hakmem.tck.Op.Interior;
import hakmem.tck.Op.Refree;
import hakmem.tck.Op.Trim;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each property of the contract can fail: a tier with one bug, driven through the property's own method
 * with a short sequence that shows the bug, fails it with a message that says what broke; the same
 * sequence passes on the correct tier.
 */
class BrokenTiersTest {

    private static TierCoreContract contract(Bug bug) {
        return new TierCoreContract() {
            @Override
            protected TierProvider provider() {
                return new ListTier(bug);
            }

            @Override
            protected long idleReservedBytes() {
                return 4L << 20;
            }
        };
    }

    /** The property fails on the tier with {@code bug} naming {@code expected}, and passes on the correct tier. */
    private static void caught(Bug bug, String expected, PropertyCall call) {
        AssertionError e = assertThrows(AssertionError.class, () -> call.run(contract(bug)), bug.name());
        assertTrue(e.getMessage().contains(expected), bug + ": " + e.getMessage());
        assertDoesNotThrow(() -> call.run(contract(Bug.NONE)), "the correct tier passes the same sequence");
    }

    private interface PropertyCall {
        void run(TierCoreContract c) throws Throwable;
    }

    private static Alloc alloc(long size) {
        return new Alloc(size, -1, 0);
    }

    @Test
    void anInvalidIdIsCaught() {
        Executable e = () -> contract(Bug.BAD_ID).providerAndAFreshCoreDescribeTheTier();
        assertTrue(assertThrows(AssertionError.class, e).getMessage().contains("id() must match"));
        contract(Bug.NONE).providerAndAFreshCoreDescribeTheTier();
    }

    @Test
    void aLiveBlockHandedOutTwiceIsCaught() {
        caught(Bug.REUSE_LIVE, "overlapping live", c -> c.liveBlocksNeverOverlapAndKeepTheirContents(
                List.of(alloc(100), alloc(100), alloc(100), alloc(100))));
    }

    @Test
    void aWriteIntoANeighbourIsCaught() {
        caught(Bug.WRITE_NEIGHBOUR, "was overwritten", c -> c.liveBlocksNeverOverlapAndKeepTheirContents(
                List.of(alloc(100), alloc(200), new Free(0))));
    }

    @Test
    void aDiscardUnderALiveBlockIsCaught() {
        caught(Bug.DISCARD_LIVE, "wipes live", c -> c.liveBlocksNeverOverlapAndKeepTheirContents(
                List.of(alloc(100), alloc(100), new Free(1))));
    }

    @Test
    void zeroForAPlainRequestIsCaught() {
        caught(Bug.ZERO_FOR_PLAIN, "returned 0", c -> c.blocksAreAlignedAndAtLeastAsLargeAsAsked(List.of(alloc(256))));
    }

    @Test
    void wrongStatsAreCaught() {
        caught(Bug.COUNT_USABLE_AS_ASKED, "disagree with the model", c -> c.statsEqualTheModel(List.of(alloc(100))));
    }

    @Test
    void anAcceptedDoubleFreeIsCaught() {
        caught(Bug.ACCEPT_DOUBLE_FREE, "accepted an address", c -> c.badFreesThrowNamingTheAddressAndChangeNothing(
                List.of(alloc(10), alloc(10), new DoubleFree(0))));
    }

    @Test
    void aWrongReasonIsCaught() {
        caught(Bug.INTERIOR_AS_UNKNOWN, "gave reason UNKNOWN", c -> c.badFreesThrowNamingTheAddressAndChangeNothing(
                List.of(alloc(10), new Interior(0, 40))));
    }

    @Test
    void aRejectedFreeThatChangesStatsIsCaught() {
        caught(Bug.COUNT_REJECTED, "changed the stats", c -> c.badFreesThrowNamingTheAddressAndChangeNothing(
                List.of(alloc(10), alloc(10), new Free(0), new Refree(0))));
    }

    @Test
    void growthUnderChurnIsCaught() {
        caught(Bug.NEVER_REUSE, "grew the core", c -> c.churnAtAFixedLiveSetDoesNotGrow(
                List.of(100L, 200L), Collections.nCopies(ListTier.PER_CHUNK, 1)));
    }

    @Test
    void aChunkKeptByTrimIsCaught() {
        caught(Bug.TRIM_KEEPS_EMPTY, "trim() kept chunk", c -> c.emptyMemoryGoesBackAndTrimReleasesEveryChunk(
                List.of(new Burst(100, ListTier.PER_CHUNK + 1, 0), new Free(0), new Free(1), new Free(2))));
    }

    @Test
    void aChunkReleasedUnderALiveBlockIsCaught() {
        caught(Bug.RELEASE_LIVE, "is live", c -> c.emptyMemoryGoesBackAndTrimReleasesEveryChunk(
                List.of(alloc(100), alloc(100), new Free(0), new Trim())));
    }

    @Test
    void anOutOfMemoryErrorTheSourceDidNotThrowIsCaught() {
        caught(Bug.OOM_ALONE, "refused no chunk", c -> c.statsEqualTheModel(List.of(new Burst(100, 10, 0))));
    }
}
