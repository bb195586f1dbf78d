package hakmem.l25;

import hakmem.api.spi.TierProvider;
import hakmem.tck.Inspector;
import hakmem.tck.TierCoreContract;

/** hakmem.tck's tier-core contract on the l25 tier as the runtime creates it, with the l25 metadata walk. */
class L25ContractTest extends TierCoreContract {

    @Override
    protected TierProvider provider() {
        return new L25TierProvider();
    }

    @Override
    protected Inspector inspector() {
        return L25Inspector.INSTANCE;
    }

    /**
     * With nothing live a core keeps at most {@link L25Core#DEFAULT_RETAINED} bytes of cached blocks, each
     * of at least a page and at worst in a chunk of its own, and one spare chunk.
     */
    @Override
    protected long idleReservedBytes() {
        return (L25Core.DEFAULT_RETAINED / L25Core.PAGE_SIZE + 1) * L25Core.CHUNK_SIZE;
    }
}
