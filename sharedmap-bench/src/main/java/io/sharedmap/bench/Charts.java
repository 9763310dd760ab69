package io.sharedmap.bench;

import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;
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
  private Charts() {}

  /** Writes the charts; returns why they could not be drawn, or {@code null}. */
  static String write(Path dir, List<CellResult> results) {
    System.setProperty("java.awt.headless", "true");
    try {
      Set<String> groups = new LinkedHashSet<>();
      Set<String> targets = new LinkedHashSet<>();
      for (CellResult r : results) {
        if (r.ok()) {
          groups.add(r.workload().label() + "-" + r.mix().label());
          targets.add(r.target());
        }
      }
      for (String g : groups) {
        List<CellResult> cells = results.stream()
            .filter(r -> r.ok() && (r.workload().label() + "-" + r.mix().label()).equals(g)).toList();
        throughput(dir.resolve("throughput-" + g + ".png"), g, cells, results, targets);
        latency(dir.resolve("latency-" + g + ".png"), g, cells, targets);
      }
      return null;
    } catch (Exception | LinkageError e) {
      return e.toString();
    }
  }

  private static void throughput(Path file, String group, List<CellResult> cells, List<CellResult> all,
      Set<String> targets) throws Exception {
    XYChart chart = new XYChartBuilder().width(900).height(560).title("Throughput, " + group)
        .xAxisTitle("client processes").yAxisTitle("total ops/s").build();
    style(chart);
    chart.getStyler().setYAxisMin(0.0);
    for (String t : targets) {
      addSeries(chart, t, cells, t, r -> r.opsPerSecond());
      if (!group.startsWith("ping-")) {
        List<CellResult> ping = all.stream()
            .filter(r -> r.ok() && r.workload() == Workload.PING && r.target().equals(t)).toList();
        XYSeries s = addSeries(chart, t + " ping floor", ping, t, r -> r.opsPerSecond());
        if (s != null) {
          s.setLineStyle(SeriesLines.DASH_DASH);
        }
      }
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void latency(Path file, String group, List<CellResult> cells, Set<String> targets) throws Exception {
    XYChart chart = new XYChartBuilder().width(900).height(560).title("Latency per operation, " + group)
        .xAxisTitle("client processes").yAxisTitle("µs (log scale)").build();
    style(chart);
    chart.getStyler().setYAxisLogarithmic(true);
    for (String t : targets) {
      addSeries(chart, t + " p50", cells, t, r -> r.percentileUs(50));
      addSeries(chart, t + " p99", cells, t, r -> r.percentileUs(99));
      addSeries(chart, t + " p99.9", cells, t, r -> r.percentileUs(99.9));
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void style(XYChart chart) {
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setMarkerSize(7);
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setYAxisDecimalPattern("#,##0.#");
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
  }

  private static XYSeries addSeries(XYChart chart, String name, List<CellResult> cells, String target,
      ToDoubleFunction<CellResult> y) {
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    cells.stream().filter(r -> r.target().equals(target))
        .sorted(Comparator.comparingInt(CellResult::processes))
        .forEach(r -> {
          double v = y.applyAsDouble(r);
          if (v > 0) {
            xs.add((double) r.processes());
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
