package hakmem.tck;

import hakmem.api.spi.TierProvider;

/** The contract on a correct tier that lists no classes: the kit accepts what it should. */
class ListTierContractTest extends TierCoreContract {

    @Override
    protected TierProvider provider() {
        return new ListTier(ListTier.Bug.NONE);
    }

    /** A core keeps every chunk it carved until trim(); no run here carves more than this. */
    @Override
    protected long idleReservedBytes() {
        return 512L << 20;
    }
}
