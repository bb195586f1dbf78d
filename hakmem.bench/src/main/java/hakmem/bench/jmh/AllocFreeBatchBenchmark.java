package hakmem.bench.jmh;

import hakmem.bench.Memory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import java.util.SplittableRandom;

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
public class AllocFreeBatchBenchmark extends AllocatorBenchmark {

    static final int N = 1000;

    /** Which block is freed first. */
    public enum Order { LIFO, FIFO, RANDOM }

    @Param({"64", "1024", "16384"})
    public int blockSize;

    @Param({"LIFO", "FIFO", "RANDOM"})
    public Order order;

    private final long[] blocks = new long[N];
    private final int[] freeOrder = new int[N];

    @Setup(Level.Trial)
    public void planFrees() {
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
