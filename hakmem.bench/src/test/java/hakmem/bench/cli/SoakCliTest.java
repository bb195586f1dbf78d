package hakmem.bench.cli;

import hakmem.bench.Allocators;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code soak} subcommand: its defaults, what it refuses, and a 2-second soak in a child JVM end to end. */
class SoakCliTest {

    private static SoakCommand parse(String... args) {
        CommandLine.ParseResult pr = BenchCommand.commandLine().parseArgs(args);
        return (SoakCommand) pr.subcommand().commandSpec().userObject();
    }

    @Test
    void defaultsAreTenMinutesOfFourThreadsOnTls() {
        SoakCommand.Plan p = parse("soak").plan();
        assertEquals(600.0, p.seconds());
        assertEquals(List.of(4), p.threads());
        assertEquals(List.of("hakmem-tls"), p.allocators().stream().map(Allocators.Spec::name).toList());
        assertEquals(60.0, parse("soak", "--quick").plan().seconds());
        SoakCommand.Plan q = parse("soak", "--seconds", "120", "--threads", "2,8", "--allocators", "hakmem").plan();
        assertEquals(120.0, q.seconds());
        assertEquals(List.of(2, 8), q.threads());
        assertEquals(3, q.allocators().size());
    }

    @Test
    void allocatorsThatCannotBeVerifiedAreRefused() {
        CommandLine.ParameterException floor = assertThrows(CommandLine.ParameterException.class,
                () -> parse("soak", "--allocators", "floor").plan());
        assertTrue(floor.getMessage().contains("floor"), floor.getMessage());
        assertThrows(CommandLine.ParameterException.class, () -> parse("soak", "--allocators", "netty").plan());
        assertThrows(CommandLine.ParameterException.class, () -> parse("soak", "--seconds", "0").plan());
        assertThrows(CommandLine.ParameterException.class, () -> parse("soak", "--threads", "0").plan());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aShortSoakWritesItsFiguresAndChart(@TempDir Path dir) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = BenchCommand.execute("soak", "--seconds", "2", "--threads", "2", "--sample", "0.25", "--window", "100",
                    "--out", dir.toString(), "--machine", "test box");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertEquals(0, code, out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("| hakmem-tls") && l.contains("|           0 |")), out);
        assertTrue(out.contains("resident memory after warm-up (the first 20 % of the run, 0 s)"), out);
        Map<?, ?> root = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("soak.json")));
        assertEquals(SoakResults.FORMAT, root.get("format"));
        Map<?, ?> soak = (Map<?, ?>) ((List<?>) root.get("soaks")).getFirst();
        assertEquals(0.0, ((Number) soak.get("corruptions")).doubleValue());
        assertTrue(((Number) soak.get("verified")).doubleValue() > 0);
        assertTrue(((List<?>) soak.get("samples")).size() >= 5, "a sample every 0.25 s");
        List<String> csv = Files.readAllLines(dir.resolve("soak.csv"));
        assertEquals(SoakResults.CSV_HEADER, csv.getFirst());
        assertTrue(csv.size() > 5, csv.toString());
        if (Charts.available()) {
            assertTrue(Files.isRegularFile(dir.resolve("soak-memory.png")), out);
        }
    }
}
