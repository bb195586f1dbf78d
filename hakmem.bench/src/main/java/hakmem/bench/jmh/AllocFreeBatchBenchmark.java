package hakmem.bench.jmh;

import hakmem.bench.Backend;
import hakmem.bench.Memory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Allocate {@value #N} blocks, then free them all in LIFO, FIFO or random order, per allocator: how each
 * copes when its free lists fill and drain in bulk, and in which order it likes frees. Score: ns per
 * block (its malloc and its free), with JMH's error bars.
 *
 * <p>Run (JMH on the class path, as a separate execution; results as JSON in
 * {@code hakmem.bench/target/jmh-result.json}):
 * <pre>
 * mvn -B -q package -DskipTests -Pjmh -Djmh.args="AllocFreeBatchBenchmark -p allocator=hakmem-locked,glibc -p blockSize=64"
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xss1m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AllocFreeBatchBenchmark {

    static final int N = 1000;

    /** Which block is freed first. */
    public enum Order { LIFO, FIFO, RANDOM }

    @Param({"64", "1024", "16384"})
    public int blockSize;

    @Param({"LIFO", "FIFO", "RANDOM"})
    public Order order;

    @Param({"hakmem-locked", "hakmem-sharded", "hakmem-tls", "glibc", "jemalloc", "mimalloc", "tcmalloc", "arena",
            "netty-pooled", "netty-adaptive"})
    public String allocator;

    private Backend backend;
    private final long[] blocks = new long[N];
    private final int[] freeOrder = new int[N];

    @Setup(Level.Trial)
    public void open() {
        backend = BenchState.open(allocator);
        for (int i = 0; i < N; i++) {
            freeOrder[i] = switch (order) {
                case LIFO -> N - 1 - i;
                case FIFO, RANDOM -> i;
            };
        }
        if (order == Order.RANDOM) {
            SplittableRandom r = new SplittableRandom(4141);
            for (int i = N - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = freeOrder[i];
                freeOrder[i] = freeOrder[j];
                freeOrder[j] = t;
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        backend.close();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void allocThenFree() {
        for (int i = 0; i < N; i++) {
            long h = backend.malloc(blockSize);
            Memory.touchFirst(backend.address(h), blockSize);
            blocks[i] = h;
        }
        for (int i = 0; i < N; i++) {
            backend.free(blocks[freeOrder[i]]);
        }
    }
}
