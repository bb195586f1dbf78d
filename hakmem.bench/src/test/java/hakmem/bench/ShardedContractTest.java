package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;

/** The contract with every tier, three shards each. */
class ShardedContractTest extends AllocatorContract {

    @Override
    protected Allocator create() {
        return Hakmem.builder().concurrency(Concurrency.SHARDED).shards(3).learning(false).build();
    }

    @Override
    protected Allocator createLimited(long limit) {
        return Hakmem.builder().concurrency(Concurrency.SHARDED).shards(3).learning(false).memoryLimit(limit).build();
    }
}
