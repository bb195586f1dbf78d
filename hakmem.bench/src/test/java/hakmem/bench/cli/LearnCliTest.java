package hakmem.bench.cli;

import hakmem.bench.LearningPhases;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code learn} subcommand end to end, one second per phase: every configuration runs, the files are written. */
class LearnCliTest {

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aShortRunComparesLearnedWithEveryFixedPolicy(@TempDir Path dir) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = BenchCommand.execute("learn", "--seconds", "1", "--out", dir.toString(), "--machine", "test box");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertEquals(0, code, out);
        for (String phase : LearningPhases.PHASES) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(phase + " ")), phase + " row missing:\n" + out);
        }
        assertTrue(out.contains("learner at the end of the learned run:") && out.contains("elo FAST "), out);
        Map<?, ?> root = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("learn.json")));
        Map<?, ?> runs = (Map<?, ?>) root.get("runs");
        assertEquals(LearnCommand.CONFIGS, List.copyOf(((Map<?, ?>) runs).keySet().stream().map(String::valueOf).toList()));
        for (Object run : runs.values()) {
            assertEquals(3, ((List<?>) ((Map<?, ?>) run).get("phases")).size());
            assertTrue(((List<?>) ((Map<?, ?>) run).get("samples")).size() >= 4, run.toString());
        }
        assertTrue(Files.readAllLines(dir.resolve("learn.csv")).size() > 16);
        if (Charts.available()) {
            assertTrue(Files.size(dir.resolve("learn.png")) > 0);
        }
    }
}
