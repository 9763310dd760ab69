package io.sharedmap.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Writes {@code results.csv} (one row per cell), {@code results.json} (the run's settings and
 * machine, the report's figures, and every cell) and {@code hgrm/<cell>.hgrm} (HdrHistogram
 * percentile distributions in microseconds, for plotting elsewhere). Latencies are written in
 * microseconds with three decimals (the histograms record nanoseconds), so a 0.35 µs read stays 0.350.
 */
final class ResultsWriter {
    static final String CSV_HEADER = "target,kind,workload,mix,processes,ops_per_process,total_ops,status,wall_s,"
            + "ops_per_s,mean_s_per_process,min_s_per_process,max_s_per_process,p50_us,p90_us,p99_us,p999_us,max_us,"
            + "mean_us,daemon_cpu_s,daemon_cpu_us_per_op,client_cpu_s,other_cpu_share,busy_share,context_switches_per_op,daemon_syscalls_per_op,disk_kib_per_op,disk_writes_per_op,disk_flushes_per_op,misses,direct_reads,socket_reads,direct_share,"
            + "warmup_s,warmup_jit_quiet,truncated,repetition,median,error";

    private ResultsWriter() {}

    static void write(Path dir, RunInfo info, List<CellResult> results) throws IOException {
        write(dir, info, results, null);
    }

    /** As {@link #write(Path, RunInfo, List)}, with {@code extraJson} (a {@code "name": value} member, or null) in the JSON. */
    static void write(Path dir, RunInfo info, List<CellResult> results, @Nullable String extraJson) throws IOException {
        writeCsv(dir.resolve("results.csv"), results);
        writeJson(dir.resolve("results.json"), info, results, extraJson);
        Path hgrm = Files.createDirectories(dir.resolve("hgrm"));
        for (CellResult r : results) {
            if (r.ok()) {
                String name =
                        (r.target() + "-" + r.workload().label() + "-" + r.mix().label() + "-p" + r.processes()
                                                + (r.repetition() > 0 ? "-r" + r.repetition() : ""))
                                        .replaceAll("[^A-Za-z0-9._-]+", "_")
                                + ".hgrm";
                try (PrintStream ps =
                        new PrintStream(Files.newOutputStream(hgrm.resolve(name)), false, StandardCharsets.UTF_8)) {
                    r.histogram().outputPercentileDistribution(ps, 1000.0);
                }
            }
        }
    }

    static void writeCsv(Path file, List<CellResult> results) throws IOException {
        Set<CellResult> medians = medianSet(results);
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (CellResult r : results) {
            double[] s = r.secondsPerProcess();
            double min = s.length == 0 ? 0 : Arrays.stream(s).min().orElse(0);
            double max = s.length == 0 ? 0 : Arrays.stream(s).max().orElse(0);
            sb.append(String.join(
                            ",",
                            csv(r.target()),
                            r.kind().label(),
                            r.workload().label(),
                            r.mix().label(),
                            Integer.toString(r.processes()),
                            Long.toString(r.opsPerProcess()),
                            Long.toString(r.totalOps()),
                            r.ok() ? "ok" : "failed",
                            num(r.wallNs() / 1e9, 6),
                            num(r.opsPerSecond(), 1),
                            num(r.meanSecondsPerProcess(), 6),
                            num(min, 6),
                            num(max, 6),
                            num(r.percentileUs(50), 3),
                            num(r.percentileUs(90), 3),
                            num(r.percentileUs(99), 3),
                            num(r.percentileUs(99.9), 3),
                            num(r.maxUs(), 3),
                            num(r.meanUs(), 3),
                            r.daemonCpuNs() < 0 ? "" : num(r.daemonCpuNs() / 1e9, 3),
                            r.daemonCpuUsPerOp() < 0 ? "" : num(r.daemonCpuUsPerOp(), 2),
                            num(r.clientCpuNs() / 1e9, 3),
                            r.otherCpuShare() < 0 ? "" : num(r.otherCpuShare(), 3),
                            r.busyShare() < 0 ? "" : num(r.busyShare(), 3),
                            r.contextSwitchesPerOp() < 0 ? "" : num(r.contextSwitchesPerOp(), 2),
                            csv(r.syscallsPerOp()),
                            r.diskKibPerOp() < 0 ? "" : num(r.diskKibPerOp(), 2),
                            r.diskWritesPerOp() < 0 ? "" : num(r.diskWritesPerOp(), 3),
                            r.diskFlushesPerOp() < 0 ? "" : num(r.diskFlushesPerOp(), 3),
                            Long.toString(r.misses()),
                            r.directReads() < 0 ? "" : Long.toString(r.directReads()),
                            r.socketReads() < 0 ? "" : Long.toString(r.socketReads()),
                            r.directShare() < 0 ? "" : num(r.directShare(), 6),
                            r.ok() ? num(r.warmupNs() / 1e9, 3) : "",
                            r.ok() ? Integer.toString(r.warmupQuiet()) : "",
                            Boolean.toString(r.truncated()),
                            Integer.toString(r.repetition()),
                            Boolean.toString(medians.contains(r)),
                            csv(r.error() == null ? "" : r.error())))
                    .append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    static void writeJson(Path file, RunInfo info, List<CellResult> results, @Nullable String extraJson)
            throws IOException {
        Set<CellResult> medians = medianSet(results);
        StringBuilder sb = new StringBuilder("{\n  \"run\": {");
        boolean first = true;
        for (Map.Entry<String, String> e : info.fields.entrySet()) {
            sb.append(first ? "\n" : ",\n")
                    .append("    ")
                    .append(str(e.getKey()))
                    .append(": ")
                    .append(str(e.getValue()));
            first = false;
        }
        sb.append("\n  },\n  \"servers\": [");
        for (int i = 0; i < info.servers.size(); i++) {
            Map<String, String> s = info.servers.get(i);
            sb.append(i == 0 ? "\n" : ",\n")
                    .append("    {\"label\": ")
                    .append(str(s.get("label")))
                    .append(", \"version\": ")
                    .append(str(s.get("version")))
                    .append(", \"socket\": ")
                    .append(str(s.get("socket")))
                    .append('}');
        }
        sb.append(
                "\n  ],\n  \"report_seconds_per_process\": {\n    \"note\": \"shared_map report Table 1, 100,000 ops per "
                        + "process on one key, measured in 2017 on another machine against a kernel module over Netlink; labelled "
                        + "ms in the report but seconds\"");
        for (int p : ReportFigures.PROCESSES) {
            double[] v = Objects.requireNonNull(ReportFigures.SECONDS.get(p), "a row per process count");
            sb.append(",\n    \"")
                    .append(p)
                    .append("\": {\"read\": ")
                    .append(v[0])
                    .append(", \"write\": ")
                    .append(v[1])
                    .append(", \"rw\": ")
                    .append(v[2])
                    .append('}');
        }
        sb.append("\n  },\n  \"cells\": [");
        for (int i = 0; i < results.size(); i++) {
            CellResult r = results.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append("    {");
            sb.append("\"target\": ").append(str(r.target()));
            sb.append(", \"kind\": ").append(str(r.kind().label()));
            sb.append(", \"workload\": ").append(str(r.workload().label()));
            sb.append(", \"mix\": ").append(str(r.mix().label()));
            sb.append(", \"processes\": ").append(r.processes());
            sb.append(", \"ops_per_process\": ").append(r.opsPerProcess());
            sb.append(", \"repetition\": ").append(r.repetition());
            sb.append(", \"median\": ").append(medians.contains(r));
            sb.append(", \"status\": ").append(str(r.ok() ? "ok" : "failed"));
            if (!r.ok()) {
                sb.append(", \"error\": ").append(str(r.error())).append('}');
                continue;
            }
            sb.append(", \"total_ops\": ").append(r.totalOps());
            sb.append(", \"wall_s\": ").append(num(r.wallNs() / 1e9, 6));
            sb.append(", \"ops_per_s\": ").append(num(r.opsPerSecond(), 1));
            sb.append(", \"mean_s_per_process\": ").append(num(r.meanSecondsPerProcess(), 6));
            sb.append(", \"s_per_process\": [");
            for (int j = 0; j < r.secondsPerProcess().length; j++) {
                sb.append(j == 0 ? "" : ", ").append(num(r.secondsPerProcess()[j], 6));
            }
            sb.append("], \"latency_us\": {\"p50\": ")
                    .append(num(r.percentileUs(50), 3))
                    .append(", \"p90\": ")
                    .append(num(r.percentileUs(90), 3))
                    .append(", \"p99\": ")
                    .append(num(r.percentileUs(99), 3))
                    .append(", \"p99.9\": ")
                    .append(num(r.percentileUs(99.9), 3))
                    .append(", \"max\": ")
                    .append(num(r.maxUs(), 3))
                    .append(", \"mean\": ")
                    .append(num(r.meanUs(), 3))
                    .append('}');
            sb.append(", \"daemon_cpu_s\": ").append(r.daemonCpuNs() < 0 ? "null" : num(r.daemonCpuNs() / 1e9, 3));
            sb.append(", \"daemon_cpu_us_per_op\": ")
                    .append(r.daemonCpuUsPerOp() < 0 ? "null" : num(r.daemonCpuUsPerOp(), 2));
            sb.append(", \"client_cpu_s\": ").append(num(r.clientCpuNs() / 1e9, 3));
            sb.append(", \"other_cpu_share\": ").append(r.otherCpuShare() < 0 ? "null" : num(r.otherCpuShare(), 3));
            sb.append(", \"busy_share\": ").append(r.busyShare() < 0 ? "null" : num(r.busyShare(), 3));
            sb.append(", \"context_switches\": ").append(r.contextSwitches() < 0 ? "null" : r.contextSwitches());
            sb.append(", \"daemon_syscalls\": {");
            boolean firstCall = true;
            for (Map.Entry<String, Long> e : r.syscalls().entrySet()) {
                sb.append(firstCall ? "" : ", ")
                        .append(str(e.getKey()))
                        .append(": ")
                        .append(e.getValue());
                firstCall = false;
            }
            sb.append('}');
            DiskIo d = r.disk();
            sb.append(", \"disk\": ")
                    .append(
                            d == null
                                    ? "null"
                                    : "{\"writes\": " + d.writes() + ", \"kib_written\": " + num(d.kib(), 1)
                                            + ", \"flushes\": " + (d.flushes() < 0 ? "null" : d.flushes()) + "}");
            sb.append(", \"misses\": ").append(r.misses());
            sb.append(", \"reads\": ")
                    .append(
                            r.directReads() < 0 || r.socketReads() < 0
                                    ? "null"
                                    : "{\"direct\": " + r.directReads() + ", \"socket\": " + r.socketReads()
                                            + ", \"direct_share\": "
                                            + (r.directShare() < 0 ? "null" : num(r.directShare(), 6)) + "}");
            sb.append(", \"warmup_s\": ").append(r.ok() ? num(r.warmupNs() / 1e9, 3) : "null");
            sb.append(", \"warmup_jit_quiet\": ").append(r.ok() ? Integer.toString(r.warmupQuiet()) : "null");
            sb.append(", \"truncated\": ").append(r.truncated());
            sb.append('}');
        }
        sb.append("\n  ]");
        if (extraJson != null) {
            sb.append(",\n  ").append(extraJson);
        }
        sb.append("\n}\n");
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    private static Set<CellResult> medianSet(List<CellResult> results) {
        Set<CellResult> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(CellResult.medians(results));
        return set;
    }

    private static String num(double d, int decimals) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return "0";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", d);
    }

    private static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"").replace('\n', ' ') + '"';
    }

    /** Splits one line of the CSV written here (fields quoted only when they hold a comma or quote). */
    static List<String> parseCsvLine(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(f.toString());
                f.setLength(0);
            } else {
                f.append(c);
            }
        }
        fields.add(f.toString());
        return fields;
    }

    static String str(@Nullable String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
