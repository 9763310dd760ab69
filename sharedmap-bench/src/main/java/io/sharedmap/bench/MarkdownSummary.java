package io.sharedmap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Writes {@code summary.md}: the run's settings and machine, and per workload and mix a table of
 * every target side by side (throughput, latency percentiles, server CPU per operation, share of
 * the ping floor, other processes' CPU share, the share of GETs read directly from the mapped store), then the
 * report's two tables for the seed workload, then issue 6's goals for the {@code direct} target.
 * Ready to paste into docs/BENCHMARKS.md. Uses one run per cell ({@link CellResult#medians}).
 */
final class MarkdownSummary {
    private MarkdownSummary() {}

    static void write(Path file, RunInfo info, List<CellResult> medians) throws IOException {
        write(file, info, medians, List.of(), List.of());
    }

    /**
     * As {@link #write(Path, RunInfo, List)}, with {@code problems} in bold under the settings and
     * {@code tables} (the scale workload's) before the per-cell tables.
     */
    static void write(
            Path file, RunInfo info, List<CellResult> medians, List<String> problems, List<DirectGoals.Table> tables)
            throws IOException {
        StringBuilder md = new StringBuilder("# sharedmap bench results\n\n");
        for (Map.Entry<String, String> e : info.fields.entrySet()) {
            md.append("- ")
                    .append(e.getKey())
                    .append(": `")
                    .append(e.getValue())
                    .append("`\n");
        }
        for (Map<String, String> s : info.servers) {
            md.append("- target: ")
                    .append(s.get("label"))
                    .append(" (")
                    .append(s.get("version"))
                    .append(")\n");
        }
        if (!problems.isEmpty()) {
            md.append('\n');
            for (String p : problems) {
                md.append("**").append(p).append("**\n\n");
            }
        }
        for (DirectGoals.Table t : tables) {
            appendTable(md, t);
        }
        Set<String> groups = new LinkedHashSet<>();
        Set<String> targets = new LinkedHashSet<>();
        for (CellResult r : medians) {
            groups.add(r.workload().label() + "/" + r.mix().label());
            targets.add(r.target());
        }
        for (String g : groups) {
            md.append("\n## ").append(g).append("\n\n");
            md.append("| target | P | ops/s | % of ping | s/process | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs "
                    + "| server CPU µs/op | disk KiB/op | other CPU | busy | direct % |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            Set<Integer> ps = new TreeSet<>();
            medians.stream().filter(r -> key(r).equals(g)).forEach(r -> ps.add(r.processes()));
            for (int p : ps) {
                for (String t : targets) {
                    Optional<CellResult> c = medians.stream()
                            .filter(r -> key(r).equals(g) && r.target().equals(t) && r.processes() == p)
                            .findFirst();
                    if (c.isEmpty()) {
                        continue;
                    }
                    CellResult r = c.get();
                    if (!r.ok()) {
                        md.append("| ")
                                .append(t)
                                .append(" | ")
                                .append(p)
                                .append(" | failed: ")
                                .append(r.error())
                                .append(" ||||||||||||\n");
                        continue;
                    }
                    Optional<CellResult> ping = medians.stream()
                            .filter(x -> x.ok()
                                    && x.workload() == Workload.PING
                                    && x.target().equals(t)
                                    && x.processes() == p)
                            .findFirst();
                    md.append(String.format(
                            Locale.ROOT,
                            "| %s | %d | %,.0f | %s | %.3f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                            t,
                            p,
                            r.opsPerSecond(),
                            r.workload() == Workload.PING || ping.isEmpty()
                                    ? ""
                                    : String.format(
                                            Locale.ROOT,
                                            "%.0f%%",
                                            100 * r.opsPerSecond() / ping.get().opsPerSecond()),
                            r.meanSecondsPerProcess(),
                            CellResult.us(r.percentileUs(50)),
                            CellResult.us(r.percentileUs(90)),
                            CellResult.us(r.percentileUs(99)),
                            CellResult.us(r.percentileUs(99.9)),
                            CellResult.us(r.maxUs()),
                            r.daemonCpuUsPerOp() < 0 ? "" : String.format(Locale.ROOT, "%.1f", r.daemonCpuUsPerOp()),
                            r.diskKibPerOp() < 0 ? "" : String.format(Locale.ROOT, "%.2f", r.diskKibPerOp()),
                            r.otherCpuShare() < 0 ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * r.otherCpuShare()),
                            r.busyShare() < 0 ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * r.busyShare()),
                            r.directPercent()));
                }
            }
        }
        List<CellResult> seed =
                medians.stream().filter(r -> r.workload() == Workload.SEED).toList();
        for (String t : targets) {
            List<CellResult> mine =
                    seed.stream().filter(r -> r.target().equals(t)).toList();
            if (!mine.isEmpty()) {
                seedTables(md, t, mine);
            }
        }
        int keys = parseInt(info.fields.get("keys"), 100_000);
        int valueSize = parseInt(info.fields.get("value_size"), 100);
        for (DirectGoals.Table t : DirectGoals.tables(medians, keys, valueSize)) {
            appendTable(md, t);
        }
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
    }

    private static void appendTable(StringBuilder md, DirectGoals.Table t) {
        md.append("\n## ").append(t.title()).append("\n\n");
        for (String n : t.notes()) {
            md.append(n).append("\n");
        }
        md.append("\n| ").append(String.join(" | ", t.header())).append(" |\n|");
        for (int i = 0; i < t.header().size(); i++) {
            md.append(i == 0 ? "---|" : "---:|");
        }
        md.append('\n');
        for (List<String> row : t.rows()) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
    }

    private static int parseInt(@Nullable String s, int otherwise) {
        try {
            return s == null ? otherwise : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static String key(CellResult r) {
        return r.workload().label() + "/" + r.mix().label();
    }

    private static void seedTables(StringBuilder md, String target, List<CellResult> seed) {
        Set<Integer> ps = new TreeSet<>();
        seed.forEach(c -> ps.add(c.processes()));
        long ops = seed.get(0).opsPerProcess();
        md.append(String.format(
                Locale.ROOT,
                "%n## seed, %s: mean seconds per process (%,d ops per process; report: "
                        + "100,000, another machine, 2017, labelled ms but seconds)%n%n",
                target,
                ops));
        md.append("| processes | read | write | read/write | report read | report write | report read/write |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        List<double[]> rows = new ArrayList<>();
        for (int p : ps) {
            double[] mine = row(seed, p);
            rows.add(mine);
            double[] theirs = ReportFigures.SECONDS.get(p);
            md.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %s | %s | %s | %s | %s |%n",
                    p,
                    f3(mine[0]),
                    f3(mine[1]),
                    f3(mine[2]),
                    theirs == null ? "" : f3(theirs[0]),
                    theirs == null ? "" : f3(theirs[1]),
                    theirs == null ? "" : f3(theirs[2])));
        }
        md.append(String.format(Locale.ROOT, "%n## seed, %s: each row as %% of the previous row%n%n", target));
        md.append("| processes | read | write | read/write | report read | report write | report read/write |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        int i = 0;
        for (int p : ps) {
            double[] mine = rows.get(i);
            double[] prev = i == 0 ? null : rows.get(i - 1);
            double[] theirs = ReportFigures.PERCENT_OF_PREVIOUS.get(p);
            md.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %s | %s | %s | %s | %s |%n",
                    p,
                    f3(prev == null ? 100 : 100 * mine[0] / prev[0]),
                    f3(prev == null ? 100 : 100 * mine[1] / prev[1]),
                    f3(prev == null ? 100 : 100 * mine[2] / prev[2]),
                    theirs == null ? "" : f3(theirs[0]),
                    theirs == null ? "" : f3(theirs[1]),
                    theirs == null ? "" : f3(theirs[2])));
            i++;
        }
    }

    private static double[] row(List<CellResult> seed, int p) {
        Mix[] cols = {Mix.READ, Mix.WRITE, Mix.RW};
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            Mix m = cols[i];
            v[i] = seed.stream()
                    .filter(c -> c.ok() && c.processes() == p && c.mix() == m)
                    .findFirst()
                    .map(CellResult::meanSecondsPerProcess)
                    .orElse(Double.NaN);
        }
        return v;
    }

    private static String f3(double d) {
        return Double.isNaN(d) ? "" : String.format(Locale.ROOT, "%.3f", d);
    }
}
