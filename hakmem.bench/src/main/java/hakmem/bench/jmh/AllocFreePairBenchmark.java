package hakmem.bench.jmh;

import hakmem.bench.Backend;
import hakmem.bench.Memory;

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

import java.util.concurrent.TimeUnit;

/**
 * One malloc and one free of the same size, back to back (the first byte written in between), per size
 * class from 8 B to 1 MiB and per allocator: the fast path of each allocator as a Java caller pays it.
 * Score: ns per pair, with JMH's error bars.
 *
 * <p>Run (JMH on the class path, as a separate execution; results as JSON in
 * {@code hakmem.bench/target/jmh-result.json}):
 * <pre>
 * mvn -B -q package -DskipTests -Pjmh -Djmh.args="AllocFreePairBenchmark -p allocator=hakmem-locked,glibc,mimalloc -p size=16,4096"
 * </pre>
 * Every combination at the annotated settings (18 sizes x 10 allocators, 8 s each) takes about half an hour.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xss1m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AllocFreePairBenchmark {

    @Param({"8", "16", "32", "64", "128", "256", "512", "1024", "2048", "4096", "8192", "16384", "32768", "65536",
            "131072", "262144", "524288", "1048576"})
    public int size;

    @Param({"hakmem-locked", "hakmem-sharded", "hakmem-tls", "glibc", "jemalloc", "mimalloc", "tcmalloc", "arena",
            "netty-pooled", "netty-adaptive"})
    public String allocator;

    private Backend backend;

    @Setup(Level.Trial)
    public void open() {
        backend = BenchState.open(allocator);
    }

    @TearDown(Level.Trial)
    public void close() {
        backend.close();
    }

    @Benchmark
    public long pair() {
        long h = backend.malloc(size);
        Memory.touchFirst(backend.address(h), size);
        backend.free(h);
        return h;
    }
}
