package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;

/** The contract with every tier, thread caches over two shards. */
class TlsContractTest extends AllocatorContract {

    @Override
    protected Allocator create() {
        return Hakmem.builder().concurrency(Concurrency.TLS).shards(2).learning(false).build();
    }

    @Override
    protected Allocator createLimited(long limit) {
        return Hakmem.builder().concurrency(Concurrency.TLS).shards(2).learning(false).memoryLimit(limit).build();
    }
}
