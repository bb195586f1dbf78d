package hakmem.bench.jmh;

import hakmem.bench.Allocators;
import hakmem.bench.Backend;

/**
 * Opening the allocator under test for the JMH benchmarks. Their {@code allocator} {@code @Param} lists
 * name every allocator in {@link Allocators#ALL} (annotation values must be constants; a test keeps the
 * lists in step). One that cannot be opened here fails its trial with the reason, and JMH goes on with
 * the next parameters.
 */
final class BenchState {

    private BenchState() {
    }

    static Backend open(String allocator) {
        try {
            return Allocators.open(allocator);
        } catch (Allocators.Unavailable e) {
            throw new IllegalStateException("skipped " + allocator + ": " + e.getMessage(), e);
        }
    }
}
