package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Hakmem;

/** The contract with every tier found on the module path. */
class AllTiersContractTest extends AllocatorContract {

    @Override
    protected Allocator create() {
        return Hakmem.builder().learning(false).build();
    }

    @Override
    protected Allocator createLimited(long limit) {
        return Hakmem.builder().learning(false).memoryLimit(limit).build();
    }
}
