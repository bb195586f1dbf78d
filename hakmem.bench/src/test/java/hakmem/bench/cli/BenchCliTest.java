package hakmem.bench.cli;

import hakmem.bench.Allocators;
import hakmem.bench.Workload;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Command-line parsing into run plans, and the child JVM's command line. */
class BenchCliTest {

    private static BenchCommand.WorkloadCommand parse(String... args) {
        CommandLine cl = BenchCommand.commandLine();
        CommandLine.ParseResult pr = cl.parseArgs(args);
        return (BenchCommand.WorkloadCommand) pr.subcommand().commandSpec().userObject();
    }

    private static List<String> names(Runner.Plan p) {
        return p.allocators().stream().map(Allocators.Spec::name).toList();
    }

    @Test
    void larsonQuickKeepsMimallocBenchDefaultsAndTakesThreadsAndGroups() {
        Runner.Plan p = parse("larson", "--quick", "--threads", "1,2,4,8,16", "--allocators", "hakmem,native").plan();
        assertEquals(Workload.LARSON, p.workload());
        assertEquals(List.of(1, 2, 4, 8, 16), p.threads());
        assertEquals(List.of("hakmem-locked", "hakmem-sharded", "hakmem-tls", "glibc", "jemalloc", "mimalloc", "tcmalloc"), names(p));
        assertEquals("2.0", p.settings().get("seconds"));
        assertEquals("8", p.settings().get("min"));
        assertEquals("1000", p.settings().get("max"));
        assertEquals("5000", p.settings().get("blocks"));
        assertEquals("100", p.settings().get("rounds"));
        assertEquals("4141", p.settings().get("seed"));
        assertEquals(List.of("larson"), p.scenarios());
        assertEquals(5 * 7, p.measurements());
    }

    @Test
    void larsonWithoutQuickRunsFiveSecondsOnOneAndTwoThreadsOverEveryAllocator() {
        Runner.Plan p = parse("larson").plan();
        assertEquals("5.0", p.settings().get("seconds"));
        assertEquals(List.of(1, 2), p.threads());
        assertEquals(Allocators.ALL.size(), p.allocators().size());
    }

    @Test
    void workloadsSplitIntoTheirScenarios() {
        assertEquals(List.of("json", "mir", "vm", "mixed"), parse("scenarios", "--quick").plan().scenarios());
        assertEquals(List.of("R=0%", "R=50%", "R=90%"), parse("remote").plan().scenarios());
        assertEquals(List.of("R=25%"), parse("remote", "--remote", "25").plan().scenarios());
        assertEquals(List.of("json,vm,app"), parse("phase").plan().scenarios());
        Runner.Plan app = parse("appmix", "--quick", "--seconds", "0.25", "--window", "10").plan();
        assertEquals("0.25", app.settings().get("seconds"));
        assertEquals("0.3", app.settings().get("warmup"));
        assertEquals("10", app.settings().get("window"));
        assertEquals(1, app.threads().get(0));
    }

    @Test
    void badOptionsAreRejectedWithTheReason() {
        CommandLine.ParameterException unknown = assertThrows(CommandLine.ParameterException.class,
                () -> parse("larson", "--allocators", "glibc,nosuch").plan());
        assertTrue(unknown.getMessage().contains("nosuch") && unknown.getMessage().contains("hakmem-locked"), unknown.getMessage());
        assertThrows(CommandLine.ParameterException.class, () -> parse("larson", "--threads", "0").plan());
        assertThrows(CommandLine.ParameterException.class, () -> parse("larson", "--min", "10", "--max", "5").plan());
        assertThrows(CommandLine.ParameterException.class, () -> parse("remote", "--remote", "120").plan());
        assertThrows(CommandLine.ParameterException.class, () -> parse("scenarios", "--scenarios", "json,huge").plan());
        assertThrows(CommandLine.ParameterException.class, () -> parse("phase", "--phases", "json,nope").plan());
        assertThrows(CommandLine.ParameterException.class, () -> parse("appmix", "--seconds", "0").plan());
        assertThrows(CommandLine.UnmatchedArgumentException.class, () -> parse("larson", "--bogus"));
    }

    @Test
    void theChildGetsItsMeasurementAndTheSlowBaselineIsCapped() {
        Runner.Plan p = parse("larson", "--seconds", "3", "--allocators", "arena,glibc").plan();
        List<String> arena = Runner.command(p, Allocators.spec("arena"), "larson", 2);
        int m = arena.indexOf("measure");
        assertTrue(m > 0, arena.toString());
        assertEquals(List.of("measure", "--workload", "larson", "--scenario", "larson", "--allocator", "arena", "--threads", "2"),
                arena.subList(m, m + 9));
        assertTrue(arena.contains("seconds=1.0"), "arena runs at most 1 s: " + arena);
        List<String> glibc = Runner.command(p, Allocators.spec("glibc"), "larson", 1);
        assertTrue(glibc.contains("seconds=3.0"), glibc.toString());
        assertTrue(glibc.stream().anyMatch(a -> a.startsWith("--enable-native-access=")), glibc.toString());
        assertTrue(Runner.command(p, Allocators.spec("netty-pooled"), "larson", 1).contains("--sun-misc-unsafe-memory-access=allow"));
        assertEquals("glibc.rtld.optional_static_tls=16384", Allocators.spec("jemalloc").env().get("GLIBC_TUNABLES"));
    }

    @Test
    void groupsExpandInReportOrderWithoutDuplicates() {
        assertEquals(List.of("hakmem-locked", "glibc", "arena"),
                Allocators.select("arena, glibc ,hakmem-locked,glibc").stream().map(Allocators.Spec::name).toList());
        assertEquals(List.of("arena", "netty-pooled", "netty-adaptive"),
                Allocators.select("jdk,netty").stream().map(Allocators.Spec::name).toList());
        assertTrue(Allocators.select("baselines").stream().noneMatch(s -> s.group() == Allocators.Group.HAKMEM));
    }
}
