package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;

/** The contract with every tier found on the module path, LOCKED. */
class AllTiersContractTest extends AllocatorContract {

    @Override
    protected Allocator create() {
        return Hakmem.builder().concurrency(Concurrency.LOCKED).learning(false).build();
    }

    @Override
    protected Allocator createLimited(long limit) {
        return Hakmem.builder().concurrency(Concurrency.LOCKED).learning(false).memoryLimit(limit).build();
    }
}
