package hakmem.bench.jmh;

import hakmem.bench.Allocators;
import hakmem.bench.Backend;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What the JMH benchmarks share: their settings, the allocator under test and its opening and closing.
 * The {@code allocator} {@code @Param} list names every allocator in {@link Allocators#ALL} (annotation
 * values must be constants; a test keeps the list in step). One that cannot be opened here fails its
 * trial with the reason, and JMH goes on with the next parameters.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xss1m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class AllocatorBenchmark {

    @Param({"hakmem-locked", "hakmem-sharded", "hakmem-tls", "glibc", "jemalloc", "mimalloc", "tcmalloc", "arena",
            "netty-pooled", "netty-adaptive", "floor"})
    public String allocator;

    protected Backend backend;

    @Setup(Level.Trial)
    public void open() {
        try {
            backend = Allocators.open(allocator);
        } catch (Allocators.Unavailable e) {
            throw new IllegalStateException("skipped " + allocator + ": " + e.getMessage(), e);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        backend.close();
    }
}
