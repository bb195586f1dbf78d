/**
 * hakmem's benchmarks: larson, hakmem's scenarios, an application mix, remote frees, a phase shift and
 * JMH micro-benchmarks, against glibc, jemalloc, mimalloc, tcmalloc (FFM downcalls), one {@code Arena} per
 * block and Netty's pooled allocators; run from the bench CLI ({@code hakmem.bench.Main}). Not published;
 * needs {@code --enable-native-access=hakmem.api,hakmem.bench}.
 *
 * <p>Besides the JDK and hakmem it reads picocli (CLI), HdrHistogram (latency percentiles, an automatic
 * module named after its jar), XChart (charts, automatic module {@code org.knowm.xchart}; it draws with
 * {@code java.desktop}), Netty's buffers (a baseline) and JMH (the {@code *Benchmark} classes, an automatic
 * module).
 */
module hakmem.bench {
    requires hakmem.api;
    requires info.picocli;
    requires HdrHistogram;
    requires org.knowm.xchart;
    requires java.desktop;
    requires io.netty.buffer;
    requires io.netty.common;
    requires jmh.core;

    // picocli fills the commands' option fields by reflection.
    opens hakmem.bench.cli to info.picocli;
}
