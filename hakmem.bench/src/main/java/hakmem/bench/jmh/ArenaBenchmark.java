package hakmem.bench.jmh;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;

import org.openjdk.jmh.annotations.Benchmark;
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
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * An arena's whole life: open it, allocate {@code k} small segments (16-256 bytes, a fixed seeded mix),
 * write one byte to each, close it. hakmem's pooled arenas ({@link Allocator#newArena()},
 * {@link Allocator#newSharedArena()}, on a TLS allocator) against {@link Arena#ofConfined()} and
 * {@link Arena#ofShared()} doing the same, in the same run. Score: ns per arena (open, k segments,
 * close); divide by k for a segment.
 *
 * <p>Both kinds zero every segment and make it inaccessible at close; a shared close, pooled or not, is
 * the JDK's handshake with every thread, which dominates at small k.
 *
 * <p>Run (JMH on the class path; JSON in {@code hakmem.bench/target/jmh-result.json}):
 * <pre>
 * mvn -B -q package -DskipTests -Pjmh -Djmh.args="ArenaBenchmark -p k=8"
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xss1m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ArenaBenchmark {

    /** Which arena: hakmem's pooled ones or the JDK's. */
    public enum Kind { HAKMEM_CONFINED, HAKMEM_SHARED, JDK_CONFINED, JDK_SHARED }

    static final int MAX_K = 64;

    @Param({"HAKMEM_CONFINED", "HAKMEM_SHARED", "JDK_CONFINED", "JDK_SHARED"})
    public Kind arena;

    @Param({"1", "8", "64"})
    public int k;

    private final long[] sizes = new long[MAX_K];
    private Allocator allocator;

    @Setup(Level.Trial)
    public void open() {
        SplittableRandom r = new SplittableRandom(4141);
        for (int i = 0; i < MAX_K; i++) {
            sizes[i] = 16 + r.nextInt(256 - 16 + 1);
        }
        allocator = Hakmem.builder().concurrency(Concurrency.TLS).learning(false).build();
    }

    @TearDown(Level.Trial)
    public void close() {
        allocator.close();
    }

    private Arena newArena() {
        return switch (arena) {
            case HAKMEM_CONFINED -> allocator.newArena();
            case HAKMEM_SHARED -> allocator.newSharedArena();
            case JDK_CONFINED -> Arena.ofConfined();
            case JDK_SHARED -> Arena.ofShared();
        };
    }

    @Benchmark
    public void allocateAndClose(Blackhole bh) {
        try (Arena a = newArena()) {
            for (int i = 0; i < k; i++) {
                MemorySegment s = a.allocate(sizes[i], 8);
                s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) i);
                bh.consume(s);
            }
        }
    }
}
