package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Hakmem;

/** The contract with no tier at all: the big-block path serves every size. */
class NoTiersContractTest extends AllocatorContract {

    @Override
    protected Allocator create() {
        return Hakmem.builder().tiers().learning(false).build();
    }

    @Override
    protected Allocator createLimited(long limit) {
        return Hakmem.builder().tiers().learning(false).memoryLimit(limit).build();
    }
}
