package hakmem.tiny;

import hakmem.api.spi.TierProvider;
import hakmem.tck.Inspector;
import hakmem.tck.TierCoreContract;

/** hakmem.tck's tier-core contract on the tiny tier, with the tiny metadata walk after every checked step. */
class TinyContractTest extends TierCoreContract {

    @Override
    protected TierProvider provider() {
        return new TinyTierProvider();
    }

    @Override
    protected Inspector inspector() {
        return TinyInspector.INSTANCE;
    }

    /**
     * With nothing live each class keeps at most its current slab and {@link SizeClass#RETAIN} empty ones
     * (TinyCoreProperties bounds those exactly); at worst each lies in a chunk of its own.
     */
    @Override
    protected long idleReservedBytes() {
        return (1L + SizeClass.RETAIN) * SizeClass.COUNT * Chunk.SIZE;
    }
}
