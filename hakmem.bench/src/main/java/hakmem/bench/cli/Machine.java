package hakmem.bench.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Names the machine a figure was measured on: CPU model and core count, from /proc/cpuinfo where it exists. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        String model = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).trim().replaceAll("\\s+", " ");
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            model = null;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        String arch = System.getProperty("os.arch");
        return String.format(Locale.ROOT, "%s, %d core%s", model != null ? model : arch, cores, cores == 1 ? "" : "s");
    }
}
