package hakmem.bench.jmh;

import hakmem.bench.Memory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

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
 * Every combination at the annotated settings (18 sizes x 11 allocators, 8 s each) takes about half an hour.
 */
public class AllocFreePairBenchmark extends AllocatorBenchmark {

    @Param({"8", "16", "32", "64", "128", "256", "512", "1024", "2048", "4096", "8192", "16384", "32768", "65536",
            "131072", "262144", "524288", "1048576"})
    public int size;

    @Benchmark
    public long pair() {
        long h = backend.malloc(size);
        Memory.touchFirst(backend.address(h), size);
        backend.free(h);
        return h;
    }
}
