package hakmem.bench.cli;

import hakmem.bench.Measurement;
import hakmem.bench.Workload;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PNG charts of a workload's results (XChart, headless): for each scenario a bar chart (allocators,
 * one bar per thread count) and, where more than one thread count was measured, a line chart of
 * throughput (or ns/op) against threads, one line per allocator; for a workload of several scenarios
 * (or phases) also one chart per thread count with every scenario side by side. Best of the repeated runs. An axis
 * spanning more than two decades is logarithmic, so the one-arena-per-block baseline does not flatten
 * the others. The machine is named in every title.
 */
public final class Charts {

    private Charts() {
    }

    /** Whether charts can be drawn in this JVM (java.desktop present: a jlink'ed runtime may lack it). */
    public static boolean available() {
        return ModuleLayer.boot().findModule("java.desktop").isPresent();
    }

    /** Draws every chart of {@code r} into {@code dir}; returns the files written. */
    public static List<Path> draw(Results r, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        Workload.Metric metric = r.workload().metric();
        String unit = metric == Workload.Metric.THROUGHPUT ? "M ops/s (higher is better)" : "ns per op (lower is better)";
        List<Integer> threads = r.threads();
        for (String s : r.scenarios()) {
            String title = r.workload().id() + (s.equals(r.workload().id()) ? "" : " / " + s) + " - " + r.machine();
            String base = r.workload().id() + (s.equals(r.workload().id()) ? "" : "-" + fileName(s));
            out.add(bars(r, s, title, unit, dir.resolve(base + "-bars.png")));
            if (threads.size() > 1) {
                out.add(lines(r, s, title, unit, dir.resolve(base + "-threads.png")));
            }
        }
        if (r.scenarios().size() > 1) {
            for (int t : threads) {
                out.add(overview(r, t, unit, dir.resolve(r.workload().id() + "-t" + t + ".png")));
            }
        }
        return out;
    }

    /** Every scenario (or phase, in order) side by side at one thread count, one bar per allocator. */
    private static Path overview(Results r, int threads, String unit, Path file) throws IOException {
        String title = r.workload().id() + ", " + threads + (threads == 1 ? " thread" : " threads") + " - " + r.machine();
        CategoryChart chart = new CategoryChartBuilder().width(960).height(600).title(title)
                .xAxisTitle(r.workload() == Workload.PHASE ? "phase (in run order)" : "scenario").yAxisTitle(unit).build();
        style(chart.getStyler());
        double[] range = {Double.MAX_VALUE, 0};
        for (String a : r.allocators()) {
            addBars(chart, r, a, r.scenarios(), s -> r.best(s, a, threads), range);
        }
        logIfWide(chart, range[0], range[1]);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /**
     * Adds one bar series: a value per category, a gap where nothing was measured (no series at all if
     * nothing was), and widens {@code range} ({min, max}) to the values added.
     */
    private static void addBars(CategoryChart chart, Results r, String name, List<String> categories,
                                java.util.function.Function<String, Measurement> measured, double[] range) {
        List<Double> y = new ArrayList<>();
        boolean any = false;
        for (String c : categories) {
            Measurement m = measured.apply(c);
            if (m == null) {
                y.add(null);
                continue;
            }
            double v = value(r, m);
            any = true;
            range[0] = Math.min(range[0], v);
            range[1] = Math.max(range[1], v);
            y.add(v);
        }
        if (any) {
            chart.addSeries(name, categories, y);
        }
    }

    private static void logIfWide(CategoryChart chart, double min, double max) {
        if (min > 0 && max / min > 100) {
            // Bars start at the axis minimum: on a log axis it must be above zero.
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
        }
    }

    static String fileName(String scenario) {
        return scenario.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    private static double value(Results r, Measurement m) {
        return r.workload().metric() == Workload.Metric.THROUGHPUT ? m.opsPerSecond() / 1e6 : m.nsPerOp();
    }

    private static Path lines(Results r, String scenario, String title, String unit, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(960).height(600).title(title).xAxisTitle("threads").yAxisTitle(unit).build();
        style(chart.getStyler());
        chart.getStyler().setXAxisDecimalPattern("#");
        chart.getStyler().setMarkerSize(7);
        double min = Double.MAX_VALUE;
        double max = 0;
        for (String a : r.allocators()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int t : r.threads()) {
                Measurement m = r.best(scenario, a, t);
                if (m != null) {
                    double v = value(r, m);
                    x.add((double) t);
                    y.add(v);
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            if (!x.isEmpty()) {
                chart.addSeries(a, x, y);
            }
        }
        chart.getStyler().setYAxisLogarithmic(min > 0 && max / min > 100);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    private static Path bars(Results r, String scenario, String title, String unit, Path file) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(960).height(600).title(title).xAxisTitle("allocator").yAxisTitle(unit).build();
        style(chart.getStyler());
        chart.getStyler().setXAxisLabelRotation(30);
        double[] range = {Double.MAX_VALUE, 0};
        List<String> allocators = r.allocators().stream()
                .filter(a -> r.threads().stream().anyMatch(t -> r.best(scenario, a, t) != null)).toList();
        for (int t : r.threads()) {
            addBars(chart, r, t + (t == 1 ? " thread" : " threads"), allocators, a -> r.best(scenario, a, t), range);
        }
        logIfWide(chart, range[0], range[1]);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /**
     * Memory over a soak: the process's resident set, the allocator's reserved bytes and the bytes the live
     * blocks asked for against time, three lines per soak, and a vertical line where the warm-up ends
     * (flatness is judged after it).
     */
    static Path soak(List<hakmem.bench.Soak.Result> results, String machine, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(file.toAbsolutePath().getParent());
        XYChart chart = new XYChartBuilder().width(960).height(600).title("soak: resident and reserved memory - " + machine)
                .xAxisTitle("seconds").yAxisTitle("MiB").build();
        style(chart.getStyler());
        chart.getStyler().setMarkerSize(0);
        double top = 1;
        for (hakmem.bench.Soak.Result r : results) {
            String name = r.allocator() + ", " + r.threads() + (r.threads() == 1 ? " thread" : " threads");
            List<Double> xRss = new ArrayList<>();
            List<Double> rss = new ArrayList<>();
            List<Double> xReserved = new ArrayList<>();
            List<Double> reserved = new ArrayList<>();
            List<Double> xLive = new ArrayList<>();
            List<Double> live = new ArrayList<>();
            for (hakmem.bench.Soak.Sample s : r.samples()) {
                // A figure the allocator or the OS could not give (-1) is left out, not drawn as zero.
                if (s.rssKiB() >= 0) {
                    xRss.add(s.seconds());
                    rss.add(s.rssKiB() / 1024.0);
                }
                if (s.reservedBytes() >= 0) {
                    xReserved.add(s.seconds());
                    reserved.add(s.reservedBytes() / 1048576.0);
                }
                if (s.liveBytes() >= 0) {
                    xLive.add(s.seconds());
                    live.add(s.liveBytes() / 1048576.0);
                }
                top = Math.max(top, Math.max(s.rssKiB() / 1024.0, s.reservedBytes() / 1048576.0));
            }
            if (!rss.isEmpty()) {
                chart.addSeries(name + ": RSS", xRss, rss);
            }
            if (!reserved.isEmpty()) {
                chart.addSeries(name + ": reserved", xReserved, reserved);
            }
            if (!live.isEmpty()) {
                chart.addSeries(name + ": live (requested)", xLive, live);
            }
        }
        for (hakmem.bench.Soak.Result r : results) {
            String name = String.format(java.util.Locale.ROOT, "end of warm-up (%.0f s)", r.warmupSeconds());
            if (!chart.getSeriesMap().containsKey(name)) {
                chart.addSeries(name, List.of(r.warmupSeconds(), r.warmupSeconds()), List.of(0.0, top)).setLineColor(Color.GRAY);
            }
        }
        chart.getStyler().setYAxisMin(0.0);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /**
     * The learn command's runs over time: throughput (log scale) and bytes reserved per configuration, and
     * the learned run's strategy (its learner's first line) as a step line: 0 default, 1 lean, 2 roomy.
     */
    static Path learning(java.util.Map<String, hakmem.bench.LearningPhases.Result> runs, String machine, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(file.toAbsolutePath().getParent());
        XYChart ops = new XYChartBuilder().width(960).height(400).title("learn: operations per second - " + machine)
                .xAxisTitle("seconds").yAxisTitle("ops/s").build();
        XYChart mem = new XYChartBuilder().width(960).height(300).title("bytes reserved").xAxisTitle("seconds").yAxisTitle("MiB").build();
        XYChart strategy = new XYChartBuilder().width(960).height(200).title("learned run: strategy (0 default, 1 lean, 2 roomy)")
                .xAxisTitle("seconds").yAxisTitle("strategy").build();
        for (XYChart c : List.of(ops, mem, strategy)) {
            style(c.getStyler());
            c.getStyler().setMarkerSize(0);
        }
        ops.getStyler().setYAxisLogarithmic(true);
        runs.forEach((name, r) -> {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            List<Double> m = new ArrayList<>();
            for (hakmem.bench.LearningPhases.Sample s : r.samples()) {
                x.add(s.seconds());
                y.add(Math.max(1.0, s.opsPerSecond())); // idle reads 0: drawn at the log axis' floor
                m.add(s.reservedBytes() / 1048576.0);
            }
            if (!x.isEmpty()) {
                ops.addSeries(name, x, y);
                mem.addSeries(name, x, m);
            }
        });
        hakmem.bench.LearningPhases.Result learned = runs.get("learned");
        if (learned != null && !learned.samples().isEmpty()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (hakmem.bench.LearningPhases.Sample s : learned.samples()) {
                x.add(s.seconds());
                String line = s.learner();
                y.add(line.endsWith(" roomy") ? 2.0 : line.endsWith(" lean") ? 1.0 : 0.0);
            }
            strategy.addSeries("learned", x, y);
        }
        BitmapEncoder.saveBitmap(List.of(ops, mem, strategy), 3, 1, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    private static void style(org.knowm.xchart.style.AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setLegendBorderColor(Color.LIGHT_GRAY);
    }
}
