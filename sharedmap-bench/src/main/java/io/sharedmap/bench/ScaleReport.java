package io.sharedmap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.DoubleFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The scale workload's outputs: two tables (the store side by side with Redis; GET and SET rates)
 * for the console and {@code summary.md}, {@code scale.csv} (one row per figure: target, measure,
 * value, unit, note) and the {@code "scale"} member of {@code results.json}. The GET/SET cells
 * also go to {@code results.csv} as every cell does; the other figures are not cells, so they get
 * a file of their own rather than columns that mean nothing for a cell.
 */
final class ScaleReport {
    static final String CSV_HEADER = "target,measure,value,unit,note";

    private ScaleReport() {}

    /** The problems (missing or wrong values, failed phases), the main table, the rates table. */
    static List<DirectGoals.Table> tables(ScaleRun.Result r, Fsync fsync) {
        List<DirectGoals.Table> out = new ArrayList<>();
        out.add(mainTable(r, fsync));
        DirectGoals.Table rates = ratesTable(r);
        if (!rates.rows().isEmpty()) {
            out.add(rates);
        }
        return out;
    }

    /** One line per problem, each starting with {@code PROBLEM:}; empty when there were none. */
    static List<String> problemLines(ScaleRun.Result r) {
        return r.problems.stream().map(p -> "PROBLEM: " + p).toList();
    }

    private static DirectGoals.Table mainTable(ScaleRun.Result r, Fsync fsync) {
        ScaleRun.Settings s = r.settings;
        @Nullable String sm = r.sharedMapLabel;
        @Nullable String redis = r.redisLabel;
        List<List<String>> rows = new ArrayList<>();
        Row row = new Row(r, sm, redis, rows);
        row.add(
                "load: keys/s (whole load, wall clock)",
                "load_keys_per_s",
                v -> String.format(Locale.ROOT, "%,.0f", v),
                true,
                "load_s");
        row.share("load: other processes' CPU", "load_other_cpu");
        for (String phase : List.of("after_load", "after_settle")) {
            String when = phase.equals("after_load") ? "after the load" : "after settling";
            row.add(
                    "memory " + when + ": total MB (VmRSS + memory-backed files not resident)",
                    "memory_total_" + phase + "_bytes",
                    ScaleReport::mb,
                    true,
                    null);
            row.add("  VmRSS MB", "vmrss_" + phase + "_bytes", ScaleReport::mb, true, null);
            row.text(
                    "  RssAnon / RssFile / RssShmem MB",
                    t -> mb(r.value(t, "rss_anon_" + phase + "_bytes")) + " / "
                            + mb(r.value(t, "rss_file_" + phase + "_bytes")) + " / "
                            + mb(r.value(t, "rss_shmem_" + phase + "_bytes")));
            row.add(
                    "  files in memory-backed file systems MB",
                    "memory_files_" + phase + "_bytes",
                    ScaleReport::mb,
                    false,
                    null);
            if (phase.equals("after_load")) {
                row.add("  peak during the load (VmHWM) MB", "vmhwm_" + phase + "_bytes", ScaleReport::mb, true, null);
            }
        }
        row.text("  other files named in STATS, on disk (their resident pages are in RssFile)", t -> {
            Footprint.Memory m = r.memory.get(t + "|after_load");
            Path dataDir = r.statsAfterLoad.containsKey("data_dir") ? Path.of(r.statsAfterLoad.get("data_dir")) : null;
            List<String> found = new ArrayList<>();
            for (Footprint.FileUse f : m == null ? List.<Footprint.FileUse>of() : m.files()) {
                if (!f.inMemory()
                        && f.source().startsWith("STATS")
                        && (dataDir == null || !f.path().startsWith(dataDir))) {
                    found.add(
                            f.source().substring("STATS ".length()) + " " + mb(f.bytes()) + " MB (" + f.fsType() + ")");
                }
            }
            return String.join(", ", found);
        });
        row.add(
                "disk after the load MB (data directory / AOF directory)",
                "disk_after_load_bytes",
                ScaleReport::mb,
                true,
                null);
        row.add("disk after settling MB", "disk_after_settle_bytes", ScaleReport::mb, true, null);
        row.text("  settled after", t -> {
            double waited = r.value(t, "settle_wait_s");
            if (Double.isNaN(waited)) {
                return "";
            }
            return r.value(t, "settled") == 1
                    ? String.format(
                            Locale.ROOT,
                            "%.1f s (size unchanged for %.1f s%s)",
                            waited,
                            s.settleQuietMs() / 1000.0,
                            t.equals(redis) ? ", no AOF rewrite running" : "")
                    : String.format(Locale.ROOT, "**not settled in %.0f s**", waited);
        });
        row.add(
                "keys stored (STATS keys / DBSIZE)",
                "keys_stored",
                v -> String.format(Locale.ROOT, "%,.0f", v),
                false,
                null);
        row.text("keys readable from mapped memory (STATS store_keys_public)", t -> {
            double v = r.value(t, "mapped_keys");
            return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%,.0f (%.1f%%)", v, 100 * v / s.keys());
        });
        Optional<CellResult> direct1 = cell(r, TargetSpec.Kind.DIRECT, Mix.READ, 1);
        if (direct1.isPresent() && direct1.get().ok()) {
            rows.add(List.of(
                    "uniform GET, 1 process: share served from mapped memory (readStats)",
                    direct1.get().directPercent(),
                    "",
                    ""));
        }
        for (String phase : List.of("restart", "kill9")) {
            boolean kill = phase.equals("kill9");
            String name = kill ? "kill -9" : "clean restart";
            if (kill) {
                row.add(
                        "kill -9 until a GET of a known key answers, s",
                        phase + "_total_s",
                        ScaleReport::seconds,
                        true,
                        null);
                row.add("  of which: start until it answers, s", phase + "_start_s", ScaleReport::seconds, true, null);
            } else {
                row.add("clean restart: stop, s", phase + "_stop_s", ScaleReport::seconds, true, null);
                row.add(
                        "clean restart: start until a GET of a known key answers, s",
                        phase + "_start_s",
                        ScaleReport::seconds,
                        true,
                        null);
                row.add("clean restart: total, s", phase + "_total_s", ScaleReport::seconds, true, null);
            }
            row.add(
                    "  " + name + ": the daemon's own recovery (STATS recovery_ms)",
                    phase + "_recovery_ms",
                    v -> String.format(Locale.ROOT, "%,.0f ms", v),
                    false,
                    null);
            row.share("  " + name + ": other processes' CPU while starting", phase + "_other_cpu");
            row.text("  " + name + ": keys read back correct / checked", t -> verified(r, t, phase));
            String direct = sm == null ? null : "direct" + (sm.indexOf('(') < 0 ? "" : sm.substring(sm.indexOf('(')));
            if (direct != null && !Double.isNaN(r.value(direct, phase + "_checked"))) {
                rows.add(List.of(
                        "  " + name + ": the same, read with direct reads on", verified(r, direct, phase), "", ""));
            }
        }
        row.add(
                "memory after the kill -9 recovery: total MB",
                "memory_total_after_kill9_bytes",
                ScaleReport::mb,
                true,
                null);
        row.add("disk at the end MB (after the cells and restarts)", "disk_end_bytes", ScaleReport::mb, true, null);
        List<String> header = new ArrayList<>(
                List.of("", sm == null ? "sharedmap" : sm, redis == null ? "redis" : redis, "sharedmap ÷ Redis"));
        List<String> notes = new ArrayList<>();
        notes.add(String.format(
                Locale.ROOT,
                "%,d keys of %d bytes, each with its own %d-byte value (raw data %s MB), "
                        + "loaded %,d SETs a pipeline (sharedmap: SharedMap.pipelined(); Redis: a Jedis pipeline); durability %s. "
                        + "MB = 10^6 bytes.",
                s.keys(),
                s.keySize(),
                s.valueSize(),
                mb((double) s.keys() * (s.keySize() + s.valueSize())),
                ScaleRun.LOAD_BATCH,
                fsync == Fsync.INTERVAL
                        ? "interval vs appendfsync everysec"
                        : fsync.sharedMapMode() + " vs appendfsync " + fsync.redisAppendFsync()));
        notes.add("Memory from /proc/PID/status; total adds the bytes of files in memory-backed file systems (tmpfs) "
                + "that the server names in STATS (*_file, *_dir) or maps, beyond its RssShmem. Disk: du of the data "
                + "directory (sharedmap STATS data_dir) and of Redis's dir (its AOF directory).");
        notes.add(
                "Restarts on the same data and socket; 'start until a GET answers' runs from spawning the process to the "
                        + "GET of the last key loaded answering with its value on a new connection (it includes JVM start-up for "
                        + "sharedmap, AOF loading for Redis). kill -9 was sent with no load running.");
        return new DirectGoals.Table(
                "scale: " + String.format(Locale.ROOT, "%,d keys", s.keys()) + ", sharedmap beside " + "Redis",
                notes,
                header,
                rows);
    }

    private static DirectGoals.Table ratesTable(ScaleRun.Result r) {
        List<String> header = List.of(
                "operation",
                "P",
                "direct ops/s (p99 µs)",
                "direct %",
                "socket ops/s (p99 µs)",
                "Redis ops/s (p99 µs)",
                "direct ÷ Redis",
                "socket ÷ Redis",
                "Chronicle Map GET/s",
                "direct ÷ Chronicle",
                "other CPU (direct / socket / Redis)");
        List<List<String>> rows = new ArrayList<>();
        for (Mix mix : r.settings.mixes()) {
            TreeSet<Integer> ps = new TreeSet<>();
            r.cells.stream().filter(c -> c.mix() == mix).forEach(c -> ps.add(c.processes()));
            for (int p : ps) {
                Optional<CellResult> d = cell(r, TargetSpec.Kind.DIRECT, mix, p);
                Optional<CellResult> so = cell(r, TargetSpec.Kind.SHAREDMAP, mix, p);
                Optional<CellResult> re = cell(r, TargetSpec.Kind.REDIS, mix, p);
                Optional<CellResult> ch = cell(r, TargetSpec.Kind.CHRONICLE, mix, p);
                rows.add(List.of(
                        mix == Mix.READ ? "GET" : mix == Mix.WRITE ? "SET" : "GET+SET",
                        Integer.toString(p),
                        rate(d),
                        d.filter(CellResult::ok).map(CellResult::directPercent).orElse(""),
                        rate(so),
                        rate(re),
                        ratio(d, re),
                        ratio(so, re),
                        ch.filter(CellResult::ok)
                                .map(c -> String.format(Locale.ROOT, "%,.0f", c.opsPerSecond()))
                                .orElse(ch.isPresent() ? "FAILED" : ""),
                        ratio(d, ch),
                        otherCpu(d) + " / " + otherCpu(so) + " / " + otherCpu(re)));
            }
        }
        List<String> notes =
                List.of("Uniform random keys over the loaded key space; each process its own seed. direct: "
                        + "the Java client with direct reads (GET from mapped memory, the rest through the socket); socket: the same "
                        + "daemon with directReads(false), so that daemon serves both targets' SET cells (twice Redis's SETs). A SET "
                        + "writes the key's own value (the one loaded).");
        return new DirectGoals.Table("scale: uniform GET and SET over the loaded keys", notes, header, rows);
    }

    private static Optional<CellResult> cell(ScaleRun.Result r, TargetSpec.Kind kind, Mix mix, int p) {
        return r.cells.stream()
                .filter(c -> c.kind() == kind && c.mix() == mix && c.processes() == p)
                .findFirst();
    }

    private static String rate(Optional<CellResult> c) {
        if (c.isEmpty()) {
            return "";
        }
        CellResult r = c.get();
        return r.ok()
                ? String.format(Locale.ROOT, "%,.0f (%s)", r.opsPerSecond(), CellResult.us(r.percentileUs(99)))
                : "FAILED";
    }

    private static String ratio(Optional<CellResult> a, Optional<CellResult> b) {
        if (a.isEmpty()
                || b.isEmpty()
                || !a.get().ok()
                || !b.get().ok()
                || b.get().opsPerSecond() <= 0) {
            return "";
        }
        return String.format(
                Locale.ROOT, "%.2f×", a.get().opsPerSecond() / b.get().opsPerSecond());
    }

    private static String otherCpu(Optional<CellResult> c) {
        return c.filter(CellResult::ok)
                .filter(r -> r.otherCpuShare() >= 0)
                .map(r -> String.format(Locale.ROOT, "%.0f%%", 100 * r.otherCpuShare()))
                .orElse("-");
    }

    private static String verified(ScaleRun.Result r, String target, String phase) {
        double checked = r.value(target, phase + "_checked");
        if (Double.isNaN(checked)) {
            return "";
        }
        double bad = r.value(target, phase + "_missing") + r.value(target, phase + "_wrong");
        String s = String.format(Locale.ROOT, "%,.0f / %,.0f", checked - bad, checked);
        return bad > 0
                ? "**" + s + " (" + (long) r.value(target, phase + "_missing") + " missing, "
                        + (long) r.value(target, phase + "_wrong") + " wrong)**"
                : s;
    }

    /** Builds the main table's rows: one figure per target and, where asked, their ratio. */
    private record Row(
            ScaleRun.Result r,
            @Nullable String sm,
            @Nullable String redis,
            List<List<String>> rows) {
        void add(
                String title, String name, DoubleFunction<String> format, boolean ratio, @Nullable String secondsName) {
            double a = r.value(sm, name);
            double b = r.value(redis, name);
            if (Double.isNaN(a) && Double.isNaN(b)) {
                return;
            }
            rows.add(List.of(
                    title,
                    cellText(a, format, secondsName == null ? Double.NaN : r.value(sm, secondsName)),
                    cellText(b, format, secondsName == null ? Double.NaN : r.value(redis, secondsName)),
                    ratio && !Double.isNaN(a) && !Double.isNaN(b) && b > 0 && a >= 0
                            ? String.format(Locale.ROOT, "%.2f×", a / b)
                            : ""));
        }

        void share(String title, String name) {
            add(title, name, v -> v < 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * v), false, null);
        }

        void text(String title, Function<String, String> f) {
            String a = sm == null ? "" : f.apply(sm);
            String b = redis == null ? "" : f.apply(redis);
            if (!a.isEmpty() || !b.isEmpty()) {
                rows.add(List.of(title, a, b, ""));
            }
        }

        private static String cellText(double v, DoubleFunction<String> format, double seconds) {
            if (Double.isNaN(v)) {
                return "";
            }
            return format.apply(v) + (Double.isNaN(seconds) ? "" : String.format(Locale.ROOT, " (%.1f s)", seconds));
        }
    }

    private static String mb(double bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%,.0f", bytes / 1e6);
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.2f", s);
    }

    /** {@code scale.csv}: every figure of every target, one a row. */
    static void writeCsv(Path file, ScaleRun.Result r) throws IOException {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (ScaleRun.Measure m : r.measures) {
            String v = number(m.value());
            sb.append(String.join(",", csv(m.target()), m.name(), v.equals("null") ? "" : v, m.unit(), csv(m.note())))
                    .append('\n');
        }
        for (String p : r.problems) {
            sb.append(String.join(",", "", "problem", "", "", csv(p))).append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    /** The {@code "scale"} member of {@code results.json}: settings, figures, problems, STATS, files found. */
    static String json(ScaleRun.Result r) {
        ScaleRun.Settings s = r.settings;
        StringBuilder sb = new StringBuilder("\"scale\": {\n    \"keys\": ")
                .append(s.keys())
                .append(", \"key_size\": ")
                .append(s.keySize())
                .append(", \"value_size\": ")
                .append(s.valueSize())
                .append(", \"settle_quiet_ms\": ")
                .append(s.settleQuietMs())
                .append(", \"verify_keys\": ")
                .append(s.verifyKeys())
                .append(",\n    \"problems\": [");
        for (int i = 0; i < r.problems.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(ResultsWriter.str(r.problems.get(i)));
        }
        sb.append("],\n    \"measures\": [");
        for (int i = 0; i < r.measures.size(); i++) {
            ScaleRun.Measure m = r.measures.get(i);
            sb.append(i == 0 ? "\n" : ",\n")
                    .append("      {\"target\": ")
                    .append(ResultsWriter.str(m.target()))
                    .append(", \"measure\": ")
                    .append(ResultsWriter.str(m.name()))
                    .append(", \"value\": ")
                    .append(number(m.value()))
                    .append(", \"unit\": ")
                    .append(ResultsWriter.str(m.unit()))
                    .append(", \"note\": ")
                    .append(ResultsWriter.str(m.note()))
                    .append('}');
        }
        sb.append("\n    ],\n    \"files\": [");
        boolean first = true;
        for (Map.Entry<String, Footprint.Memory> e : r.memory.entrySet()) {
            for (Footprint.FileUse f : e.getValue().files()) {
                sb.append(first ? "\n" : ",\n")
                        .append("      {\"when\": ")
                        .append(ResultsWriter.str(e.getKey()))
                        .append(", \"source\": ")
                        .append(ResultsWriter.str(f.source()))
                        .append(", \"path\": ")
                        .append(ResultsWriter.str(f.path().toString()))
                        .append(", \"fs\": ")
                        .append(ResultsWriter.str(f.fsType()))
                        .append(", \"bytes\": ")
                        .append(f.bytes())
                        .append(", \"in_memory\": ")
                        .append(f.inMemory())
                        .append('}');
                first = false;
            }
        }
        sb.append("\n    ],\n    \"sharedmap_stats_after_load\": {");
        first = true;
        for (Map.Entry<String, String> e : r.statsAfterLoad.entrySet()) {
            sb.append(first ? "\n" : ",\n")
                    .append("      ")
                    .append(ResultsWriter.str(e.getKey()))
                    .append(": ")
                    .append(ResultsWriter.str(e.getValue()));
            first = false;
        }
        return sb.append("\n    }\n  }").toString();
    }

    private static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15
                ? Long.toString((long) v)
                : String.format(Locale.ROOT, "%.6f", v);
    }

    private static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"").replace('\n', ' ') + '"';
    }
}
