package io.sharedmap.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts with XChart, per workload and mix: {@code throughput-W-M.png} (total ops/s against
 * processes, one line per target, plus each target's ping floor when ping ran) and
 * {@code latency-W-M.png} (p50, p99 and p99.9 against processes, log scale).
 */
final class Charts {
    /** One colour per target, in --target order. */
    private static final Color[] COLORS = {
        new Color(0x1f, 0x77, 0xb4),
        new Color(0xd6, 0x27, 0x28),
        new Color(0x2c, 0xa0, 0x2c),
        new Color(0x94, 0x67, 0xbd)
    };

    private Charts() {}

    /** One cell as the charts need it. */
    record Point(
            String target,
            String workload,
            String mix,
            int processes,
            double opsPerSecond,
            double p50Us,
            double p99Us,
            double p999Us) {
        String group() {
            return workload + "-" + mix;
        }
    }

    /** Writes the charts for these results (one per cell); returns why they could not be drawn, or {@code null}. */
    static @Nullable String write(Path dir, List<CellResult> results) {
        return draw(
                dir,
                results.stream()
                        .filter(CellResult::ok)
                        .map(r -> new Point(
                                r.target(),
                                r.workload().label(),
                                r.mix().label(),
                                r.processes(),
                                r.opsPerSecond(),
                                r.percentileUs(50),
                                r.percentileUs(99),
                                r.percentileUs(99.9)))
                        .toList());
    }

    /** Redraws the charts from a {@code results.csv} (the rows marked median); returns a problem or {@code null}. */
    static @Nullable String redraw(Path dir, Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = lines.isEmpty() ? List.of() : List.of(lines.get(0).split(","));
        if (!header.containsAll(List.of(
                "target",
                "workload",
                "mix",
                "processes",
                "status",
                "median",
                "ops_per_s",
                "p50_us",
                "p99_us",
                "p999_us"))) {
            return csv + " is not a results.csv written by sharedmap bench";
        }
        List<Point> points = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = ResultsWriter.parseCsvLine(line);
            Function<String, String> col = name -> f.get(header.indexOf(name));
            if (col.apply("status").equals("ok") && col.apply("median").equals("true")) {
                points.add(new Point(
                        col.apply("target"),
                        col.apply("workload"),
                        col.apply("mix"),
                        Integer.parseInt(col.apply("processes")),
                        Double.parseDouble(col.apply("ops_per_s")),
                        Double.parseDouble(col.apply("p50_us")),
                        Double.parseDouble(col.apply("p99_us")),
                        Double.parseDouble(col.apply("p999_us"))));
            }
        }
        return draw(dir, points);
    }

    private static @Nullable String draw(Path dir, List<Point> points) {
        System.setProperty("java.awt.headless", "true");
        try {
            Set<String> groups = new LinkedHashSet<>();
            Set<String> targets = new LinkedHashSet<>();
            for (Point p : points) {
                groups.add(p.group());
            }
            // sharedmap first, then the others by name, so colours are stable across runs
            points.stream()
                    .map(Point::target)
                    .distinct()
                    .sorted(Comparator.comparing((String t) -> !t.startsWith("sharedmap"))
                            .thenComparing(t -> t))
                    .forEach(targets::add);
            for (String g : groups) {
                List<Point> cells =
                        points.stream().filter(p -> p.group().equals(g)).toList();
                throughput(dir.resolve("throughput-" + g + ".png"), g, cells, points, targets);
                latency(dir.resolve("latency-" + g + ".png"), g, cells, targets);
            }
            return null;
        } catch (Exception | LinkageError e) {
            return e.toString();
        }
    }

    private static void throughput(Path file, String group, List<Point> cells, List<Point> all, Set<String> targets)
            throws Exception {
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(680)
                .title("Throughput, " + group)
                .xAxisTitle("client processes")
                .yAxisTitle("total ops/s")
                .build();
        style(chart);
        chart.getStyler().setYAxisMin(0.0);
        int i = 0;
        for (String t : targets) {
            Color color = COLORS[i++ % COLORS.length];
            XYSeries main = addSeries(chart, t, cells, t, Point::opsPerSecond);
            if (main != null) {
                paint(main, color, SeriesLines.SOLID);
            }
            if (!group.startsWith("ping-")) {
                List<Point> ping = all.stream()
                        .filter(p -> p.workload().equals("ping") && p.target().equals(t))
                        .toList();
                XYSeries s = addSeries(chart, t + " ping floor", ping, t, Point::opsPerSecond);
                if (s != null) {
                    paint(s, color, SeriesLines.DASH_DASH);
                    s.setMarker(SeriesMarkers.NONE);
                }
            }
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void latency(Path file, String group, List<Point> cells, Set<String> targets) throws Exception {
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(680)
                .title("Latency per operation, " + group)
                .xAxisTitle("client processes")
                .yAxisTitle("µs (log scale)")
                .build();
        style(chart);
        chart.getStyler().setYAxisLogarithmic(true);
        int i = 0;
        for (String t : targets) {
            Color color = COLORS[i++ % COLORS.length];
            XYSeries p50 = addSeries(chart, t + " p50", cells, t, Point::p50Us);
            XYSeries p99 = addSeries(chart, t + " p99", cells, t, Point::p99Us);
            XYSeries p999 = addSeries(chart, t + " p99.9", cells, t, Point::p999Us);
            if (p50 != null && p99 != null && p999 != null) { // all three, or none: the same cells
                paint(p50, color, SeriesLines.SOLID);
                paint(p99, color, SeriesLines.DASH_DASH);
                p99.setMarker(SeriesMarkers.DIAMOND);
                paint(p999, color, SeriesLines.DOT_DOT);
                p999.setMarker(SeriesMarkers.SQUARE);
            }
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void paint(XYSeries s, Color color, BasicStroke line) {
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setLineStyle(line);
    }

    private static void style(XYChart chart) {
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
        chart.getStyler().setMarkerSize(7);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern("#,##0.#");
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
    }

    private static @Nullable XYSeries addSeries(
            XYChart chart, String name, List<Point> cells, String target, ToDoubleFunction<Point> y) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        cells.stream()
                .filter(p -> p.target().equals(target))
                .sorted(Comparator.comparingInt(Point::processes))
                .forEach(p -> {
                    double v = y.applyAsDouble(p);
                    if (v > 0) {
                        xs.add((double) p.processes());
                        ys.add(v);
                    }
                });
        if (xs.isEmpty()) {
            return null;
        }
        XYSeries s = chart.addSeries(name, xs, ys);
        s.setMarker(SeriesMarkers.CIRCLE);
        return s;
    }
}
