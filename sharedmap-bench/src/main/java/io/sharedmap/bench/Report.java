package io.sharedmap.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The tables printed on the console. */
final class Report {
    private Report() {}

    static void printCellHeader(PrintWriter w) {
        w.printf(
                Locale.ROOT,
                "%n%-30s %-8s %-5s %4s %11s %9s %8s %8s %8s %8s %9s %9s %8s  %s%n",
                "target",
                "workload",
                "mix",
                "P",
                "ops/s",
                "s/proc",
                "p50 µs",
                "p90 µs",
                "p99 µs",
                "p99.9 µs",
                "max µs",
                "srv µs/op",
                "direct %",
                "note");
    }

    static void printCell(PrintWriter w, CellResult r) {
        if (!r.ok()) {
            w.printf(
                    Locale.ROOT,
                    "%-30s %-8s %-5s %4d  FAILED: %s%n",
                    r.target(),
                    r.workload().label(),
                    r.mix().label(),
                    r.processes(),
                    r.error());
            return;
        }
        List<String> notes = new ArrayList<>();
        if (r.truncated()) {
            notes.add("TRUNCATED by time bound");
        }
        if (r.misses() > 0) {
            notes.add(r.misses() + " reads missed");
        }
        if (r.noisy()) {
            notes.add(String.format(
                    Locale.ROOT, "BUSY: other processes took %.0f%% of the CPUs", 100 * r.otherCpuShare()));
        }
        if (r.kind() == TargetSpec.Kind.DIRECT && r.hasReadCounts() && r.socketReads() > 0) {
            notes.add(String.format(
                    Locale.ROOT,
                    "%,d of %,d GETs went through the socket",
                    r.socketReads(),
                    r.directReads() + r.socketReads()));
        }
        w.printf(
                Locale.ROOT,
                "%-30s %-8s %-5s %4d %,11.0f %9.3f %8s %8s %8s %8s %9s %9s %8s  %s%n",
                r.target(),
                r.workload().label(),
                r.mix().label(),
                r.processes(),
                r.opsPerSecond(),
                r.meanSecondsPerProcess(),
                CellResult.us(r.percentileUs(50)),
                CellResult.us(r.percentileUs(90)),
                CellResult.us(r.percentileUs(99)),
                CellResult.us(r.percentileUs(99.9)),
                CellResult.us(r.maxUs()),
                r.daemonCpuUsPerOp() < 0 ? "-" : String.format(Locale.ROOT, "%.1f", r.daemonCpuUsPerOp()),
                r.hasReadCounts() ? r.directPercent() : "-",
                String.join("; ", notes));
        if (!r.syscalls().isEmpty()) {
            w.println("      server system calls per op: " + r.syscallsPerOp());
        }
        if (r.busyShare() >= 0) {
            w.printf(
                    Locale.ROOT,
                    "      machine: %.0f%% of the CPUs busy, %s context switches per op%n",
                    100 * r.busyShare(),
                    r.contextSwitchesPerOp() < 0 ? "?" : String.format(Locale.ROOT, "%.2f", r.contextSwitchesPerOp()));
        }
        if (r.diskKibPerOp() > 0) {
            w.printf(
                    Locale.ROOT,
                    "      device under the data, per op: %.2f KiB written in %.3f writes, %s flushes%n",
                    r.diskKibPerOp(),
                    r.diskWritesPerOp(),
                    r.diskFlushesPerOp() < 0 ? "?" : String.format(Locale.ROOT, "%.3f", r.diskFlushesPerOp()));
        }
    }

    static void printSummary(PrintWriter w, List<CellResult> results) {
        printSummary(w, results, 100_000, 100);
    }

    /** The comparison tables, the seed tables and issue 6's goals; {@code keys} and {@code valueSize} as run. */
    static void printSummary(PrintWriter w, List<CellResult> results, int keys, int valueSize) {
        Set<String> targets = new LinkedHashSet<>();
        Set<String> groups = new LinkedHashSet<>();
        for (CellResult r : results) {
            targets.add(r.target());
            groups.add(r.workload().label() + "/" + r.mix().label());
        }
        for (String g : groups) {
            String[] wm = g.split("/");
            List<CellResult> cells = results.stream()
                    .filter(r -> r.workload().label().equals(wm[0])
                            && r.mix().label().equals(wm[1]))
                    .toList();
            printComparison(w, g, cells, results, new ArrayList<>(targets));
        }
        if (results.stream().anyMatch(r -> r.workload() == Workload.SEED)) {
            for (String t : targets) {
                printSeedTables(
                        w,
                        t,
                        results.stream()
                                .filter(r -> r.workload() == Workload.SEED
                                        && r.target().equals(t))
                                .toList());
            }
        }
        for (DirectGoals.Table t : DirectGoals.tables(results, keys, valueSize)) {
            printTable(w, t);
        }
    }

    /** A table with columns as wide as their widest cell. */
    static void printTable(PrintWriter w, DirectGoals.Table t) {
        w.printf(Locale.ROOT, "%n== %s ==%n", t.title());
        for (String n : t.notes()) {
            w.println("   " + n);
        }
        int[] width = new int[t.header().size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = t.header().get(i).length();
            for (List<String> row : t.rows()) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        List<List<String>> all = new ArrayList<>();
        all.add(t.header());
        all.addAll(t.rows());
        for (List<String> row : all) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < width.length; i++) {
                String cell = row.get(i);
                sb.append(i == 0 ? "" : "  ")
                        .append(
                                i == 0
                                        ? cell + " ".repeat(width[i] - cell.length())
                                        : " ".repeat(width[i] - cell.length()) + cell);
            }
            w.println(sb.toString().stripTrailing());
        }
    }

    private static void printComparison(
            PrintWriter w, String group, List<CellResult> cells, List<CellResult> all, List<String> targets) {
        Set<Integer> ps = new TreeSet<>();
        cells.forEach(c -> ps.add(c.processes()));
        boolean isPing = group.startsWith("ping/");
        w.printf(
                Locale.ROOT,
                "%n== %s: total ops/s (p99 µs)%s ==%n",
                group,
                isPing ? "" : ", and as % of the same target's ping floor at the same P");
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%4s", "P"));
        for (String t : targets) {
            head.append(String.format(Locale.ROOT, " %30s", t));
            if (!isPing) {
                head.append(String.format(Locale.ROOT, " %7s", "%ping"));
            }
        }
        if (targets.size() >= 2) {
            head.append(String.format(Locale.ROOT, " %9s", "1st/2nd"));
        }
        // With three or more targets and Redis among them: every other target against Redis too.
        String redis = targets.size() >= 3
                ? cells.stream()
                        .filter(c -> c.kind() == TargetSpec.Kind.REDIS)
                        .map(CellResult::target)
                        .findFirst()
                        .orElse(null)
                : null;
        List<String> againstRedis = redis == null
                ? List.of()
                : targets.stream().filter(t -> !t.equals(redis)).toList();
        for (String t : againstRedis) {
            head.append(String.format(Locale.ROOT, " %14s", shortName(t) + "/redis"));
        }
        w.println(head);
        for (int p : ps) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%4d", p));
            List<Double> tput = new ArrayList<>();
            for (String t : targets) {
                Optional<CellResult> c = cells.stream()
                        .filter(x -> x.target().equals(t) && x.processes() == p)
                        .findFirst();
                if (c.isEmpty() || !c.get().ok()) {
                    row.append(String.format(Locale.ROOT, " %30s", c.isEmpty() ? "-" : "FAILED"));
                    if (!isPing) {
                        row.append(String.format(Locale.ROOT, " %7s", "-"));
                    }
                    tput.add(Double.NaN);
                    continue;
                }
                CellResult r = c.get();
                tput.add(r.opsPerSecond());
                row.append(String.format(
                        Locale.ROOT,
                        " %30s",
                        String.format(Locale.ROOT, "%,.0f (%s)", r.opsPerSecond(), CellResult.us(r.percentileUs(99)))));
                if (!isPing) {
                    Optional<CellResult> ping = all.stream()
                            .filter(x -> x.ok()
                                    && x.workload() == Workload.PING
                                    && x.target().equals(t)
                                    && x.processes() == p)
                            .findFirst();
                    row.append(String.format(
                            Locale.ROOT,
                            " %7s",
                            ping.map(pc -> String.format(
                                            Locale.ROOT, "%.0f%%", 100 * r.opsPerSecond() / pc.opsPerSecond()))
                                    .orElse("-")));
                }
            }
            if (targets.size() >= 2) {
                double ratio = tput.get(0) / tput.get(1);
                row.append(String.format(
                        Locale.ROOT, " %9s", Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio)));
            }
            for (String t : againstRedis) {
                double ratio = tput.get(targets.indexOf(t)) / tput.get(targets.indexOf(redis));
                row.append(String.format(
                        Locale.ROOT, " %14s", Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio)));
            }
            w.println(row);
        }
    }

    /** The report's two tables for one target, beside the report's published figures. */
    static void printSeedTables(PrintWriter w, String target, List<CellResult> seed) {
        Set<Integer> ps = new TreeSet<>();
        seed.forEach(c -> ps.add(c.processes()));
        Mix[] cols = {Mix.READ, Mix.WRITE, Mix.RW};
        long ops = seed.isEmpty() ? ReportFigures.OPS : seed.get(0).opsPerProcess();
        w.printf(
                Locale.ROOT,
                "%n== seed, %s: Table 1, mean seconds per process for %,d reads / %,d writes / %,d reads + "
                        + "%,d writes ==%n",
                target,
                ops,
                ops,
                ops,
                ops);
        w.println(
                "   The report's figures (right) were measured in 2017 on another machine, against the kernel module over");
        w.println("   Netlink; the report labels them milliseconds but they are seconds.");
        if (ops != ReportFigures.OPS) {
            w.printf(
                    Locale.ROOT,
                    "   NOTE: this run used --ops %,d; the report used %,d, so the seconds are not comparable.%n",
                    ops,
                    ReportFigures.OPS);
        }
        w.printf(
                Locale.ROOT,
                "%-13s %9s %9s %11s | %9s %9s %11s%n",
                "",
                "read",
                "write",
                "read/write",
                "report rd",
                "report wr",
                "report r/w");
        for (int p : ps) {
            double[] mine = row(seed, p, cols);
            double[] theirs = ReportFigures.SECONDS.get(p);
            w.printf(
                    Locale.ROOT,
                    "%-13s %9s %9s %11s | %9s %9s %11s%n",
                    p + (p == 1 ? " process" : " processes"),
                    fmt3(mine[0]),
                    fmt3(mine[1]),
                    fmt3(mine[2]),
                    theirs == null ? "-" : fmt3(theirs[0]),
                    theirs == null ? "-" : fmt3(theirs[1]),
                    theirs == null ? "-" : fmt3(theirs[2]));
        }
        w.printf(Locale.ROOT, "%n== seed, %s: Table 2, each row as %% of the previous row ==%n", target);
        w.printf(
                Locale.ROOT,
                "%-13s %9s %9s %11s | %9s %9s %11s%n",
                "",
                "read",
                "write",
                "read/write",
                "report rd",
                "report wr",
                "report r/w");
        double[] prev = null;
        for (int p : ps) {
            double[] mine = row(seed, p, cols);
            double[] pct = new double[3];
            double[] pctTheirs = ReportFigures.PERCENT_OF_PREVIOUS.getOrDefault(
                    p, new double[] {Double.NaN, Double.NaN, Double.NaN});
            for (int i = 0; i < 3; i++) {
                pct[i] = prev == null ? 100 : 100 * mine[i] / prev[i];
            }
            w.printf(
                    Locale.ROOT,
                    "%-13s %9s %9s %11s | %9s %9s %11s%n",
                    p + (p == 1 ? " process" : " processes"),
                    fmt3(pct[0]),
                    fmt3(pct[1]),
                    fmt3(pct[2]),
                    fmt3(pctTheirs[0]),
                    fmt3(pctTheirs[1]),
                    fmt3(pctTheirs[2]));
            prev = mine;
        }
        w.println("   (the report's columns are its published Table 2, each row against the report's previous row)");
    }

    private static double[] row(List<CellResult> seed, int p, Mix[] cols) {
        double[] v = new double[cols.length];
        for (int i = 0; i < cols.length; i++) {
            Mix m = cols[i];
            v[i] = seed.stream()
                    .filter(c -> c.ok() && c.processes() == p && c.mix() == m)
                    .findFirst()
                    .map(CellResult::meanSecondsPerProcess)
                    .orElse(Double.NaN);
        }
        return v;
    }

    /** A target's label without its durability, e.g. {@code direct} for {@code direct(interval)}. */
    static String shortName(String target) {
        int paren = target.indexOf('(');
        return paren > 0 ? target.substring(0, paren) : target;
    }

    private static String fmt3(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.3f", d);
    }
}
