package hakmem.l2;

import hakmem.api.spi.TierProvider;
import hakmem.tck.Inspector;
import hakmem.tck.TierCoreContract;

/** hakmem.tck's tier-core contract on the l2 tier as the runtime creates it, with the l2 metadata walk. */
class L2ContractTest extends TierCoreContract {

    @Override
    protected TierProvider provider() {
        return new L2TierProvider();
    }

    @Override
    protected Inspector inspector() {
        return L2Inspector.INSTANCE;
    }

    /**
     * With nothing live each class keeps at most its current run and a spare (all spares within
     * {@link L2Core#RETAIN_LIMIT}), plus one spare chunk; at worst each run lies in a chunk of its own.
     */
    @Override
    protected long idleReservedBytes() {
        return (SizeClass.COUNT + L2Core.RETAIN_LIMIT / SizeClass.PAGE_SIZE + 1) * L2Core.CHUNK_SIZE;
    }
}
