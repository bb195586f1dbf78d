package example.fixedtier;

import hakmem.api.spi.TierProvider;
import hakmem.tck.TierCoreContract;

/**
 * The whole tier-core contract of hakmem.tck, run on this tier: all a third-party tier's test needs is
 * its provider (and, to have it checked, how much it keeps with nothing live).
 */
class FixedTierContractTest extends TierCoreContract {

    @Override
    protected TierProvider provider() {
        return new FixedTierProvider();
    }

    /** With no live block a core keeps its current chunk only, until trim(). */
    @Override
    protected long idleReservedBytes() {
        return 2L << 20;
    }
}
