package io.sharedmap.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs tiny benchmarks end to end, through real processes: a daemon, worker JVMs, the barrier, the
 * merge and the output files. It checks structure, never speed.
 */
class BenchCommandTest {

    @TempDir
    Path tmp;

    private record Run(int exitCode, String out) {}

    private Run bench(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        int code = cl.execute(args);
        return new Run(code, out.toString());
    }

    private List<String> common(String... more) {
        List<String> a = new ArrayList<>(List.of(
                "--out",
                tmp.resolve("out").toString(),
                "--work-dir",
                tmp.resolve("work").toString(),
                "--ops",
                "300",
                "--keys",
                "50",
                "--value-size",
                "16",
                "--warmup-ops",
                "50",
                "--warmup-ms",
                "500",
                "--cell-timeout",
                "120",
                "--no-charts"));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_sharedmapAllWorkloads_writesCsvAndJson() throws Exception {
        Run run = bench(common("--workload", "seed,uniform,zipf,ping", "--processes", "1,2", "--fsync", "never")
                .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.out()).isZero();
        Path out = tmp.resolve("out");
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csv.get(0)).isEqualTo(ResultsWriter.CSV_HEADER);
        // seed, uniform, zipf: 3 mixes each; ping: 1; times 2 process counts
        assertThat(csv).hasSize(1 + (3 * 3 + 1) * 2);
        for (Row r : rows(csv)) {
            String row = r.line();
            assertThat(r.get("kind")).isEqualTo("sharedmap");
            assertThat(r.get("status")).as(row).isEqualTo("ok");
            int processes = Integer.parseInt(r.get("processes"));
            long expectedOps = (r.get("mix").equals("rw") ? 600L : 300L) * processes;
            assertThat(Long.parseLong(r.get("total_ops"))).as(row).isEqualTo(expectedOps);
            assertThat(Double.parseDouble(r.get("ops_per_s")))
                    .as("ops/s " + row)
                    .isPositive();
            double p50 = Double.parseDouble(r.get("p50_us"));
            double p99 = Double.parseDouble(r.get("p99_us"));
            double max = Double.parseDouble(r.get("max_us"));
            assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
            assertThat(p99).isLessThanOrEqualTo(max);
            assertThat(Double.parseDouble(r.get("other_cpu_share"))).isBetween(0.0, 1.0);
            assertThat(Double.parseDouble(r.get("busy_share"))).as(row).isBetween(0.0, 1.0);
            assertThat(Double.parseDouble(r.get("context_switches_per_op")))
                    .as(row)
                    .isGreaterThanOrEqualTo(0.0);
            assertThat(r.get("misses")).as("reads that missed, " + row).isEqualTo("0");
            assertThat(r.get("direct_reads"))
                    .as("the sharedmap target reads through the socket, " + row)
                    .isEqualTo("0");
            assertThat(r.get("truncated")).isEqualTo("false");
            assertThat(r.get("repetition")).isEqualTo("0");
            assertThat(r.get("median")).as("median of one run").isEqualTo("true");
        }

        String json = Files.readString(out.resolve("results.json"));
        assertThat(json)
                .startsWith("{")
                .contains("\"cells\": [", "\"report_seconds_per_process\"", "\"cpus\"")
                .containsPattern("\"busy_share\": [01]\\.\\d")
                .containsPattern("\"context_switches\": [1-9]");
        assertThat(json.split("\"status\": \"ok\"", -1)).hasSize(csv.size());
        assertThat(Files.list(out.resolve("hgrm")).count()).isEqualTo(csv.size() - 1);
        assertThat(run.out())
                .contains("Table 1", "Table 2", "report rd", "0.926", "== ping/ping")
                .containsPattern("machine: \\d+% of the CPUs busy, \\d+\\.\\d\\d context switches per op");
        assertThat(Files.readString(out.resolve("summary.md")))
                .contains("## uniform/read", "## ping/ping", "| sharedmap(never) | 2 |", "report read/write");
    }

    /**
     * {@code --rate}: each of the 2 processes sends its 300 operations one every 5 ms, so the last is
     * due 1.495 s or more after the first started, and the cell cannot run faster than 400 operations
     * a second. (A slow machine runs it slower; only the upper bound is checked.) Unpaced, the same
     * cell runs at thousands a second. The workers' client is the plain one ({@code --client-plain}),
     * whose SETs carry no sequence numbers.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_rate_sendsNoFasterThanAsked() throws Exception {
        Run run = bench(common(
                        "--workload",
                        "uniform",
                        "--mix",
                        "read,write",
                        "--processes",
                        "2",
                        "--rate",
                        "400",
                        "--client-plain",
                        "--fsync",
                        "never")
                .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.out()).isZero();
        List<String> csv = Files.readAllLines(tmp.resolve("out").resolve("results.csv"));
        assertThat(csv).hasSize(3);
        for (Row r : rows(csv)) {
            assertThat(r.get("status")).as(r.line()).isEqualTo("ok");
            assertThat(Long.parseLong(r.get("total_ops"))).as(r.line()).isEqualTo(600);
            assertThat(Double.parseDouble(r.get("ops_per_s")))
                    .as("ops/s of a cell paced at 400/s: " + r.line())
                    .isPositive()
                    .isLessThanOrEqualTo(600 / 1.495);
        }
    }

    /**
     * In {@code always} mode every acknowledged SET was written to the device first, so the device
     * under the work directory reports at least one write request and one sector (0.5 KiB) per SET;
     * on a directory with no block device under it (tmpfs) the columns are empty instead.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_always_reportsWhatTheDeviceUnderTheDataWrote() throws Exception {
        Run run = bench(common("--workload", "uniform", "--mix", "write", "--processes", "1", "--fsync", "always")
                .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.out()).isZero();
        Row r = rows(Files.readAllLines(tmp.resolve("out").resolve("results.csv")))
                .getFirst();
        assertThat(r.get("status")).as(r.line()).isEqualTo("ok");
        if (DiskIo.of(tmp) == null) {
            assertThat(r.get("disk_kib_per_op"))
                    .as("no block device under " + tmp)
                    .isEmpty();
            return;
        }
        assertThat(Double.parseDouble(r.get("disk_writes_per_op")))
                .as("device write requests per SET: " + r.line())
                .isGreaterThanOrEqualTo(1.0);
        assertThat(Double.parseDouble(r.get("disk_kib_per_op")))
                .as("KiB written per SET: " + r.line())
                .isGreaterThanOrEqualTo(0.5);
        assertThat(r.get("disk_flushes_per_op")).as(r.line()).matches("|\\d+\\.\\d{3}");
        assertThat(run.out()).contains("device under the data, per op:");
        assertThat(Files.readString(tmp.resolve("out").resolve("results.json"))).contains("\"disk\": {\"writes\": ");
        assertThat(Files.readString(tmp.resolve("out").resolve("summary.md")))
                .contains("| server CPU µs/op | disk KiB/op | other CPU | busy | direct % |")
                .contains(" | " + r.get("disk_kib_per_op") + " | ")
                .containsPattern(" \\| \\d+% \\| \\d+% \\| [^|\n]* \\|\n"); // other CPU, busy, direct %
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_warmup_endsOnceTheJitIsQuiet_beforeItsBound() throws Exception {
        // A bound of 90 s that a warm-up ended by the JIT's quiet (2 s of it) does not reach.
        Row r = warmupCell(2, 90_000, 2_000);

        assertThat(r.get("warmup_jit_quiet"))
                .as("processes whose JIT went quiet: " + r.line())
                .isEqualTo("2");
        assertThat(Double.parseDouble(r.get("warmup_s")))
                .as("the longest warm-up, s: " + r.line())
                .isGreaterThanOrEqualTo(2.0)
                .isLessThan(90.0);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_warmupQuietOff_warmsUpToItsBound() throws Exception {
        Row r = warmupCell(1, 700, 0);

        assertThat(r.get("warmup_jit_quiet")).as(r.line()).isEqualTo("0");
        assertThat(Double.parseDouble(r.get("warmup_s")))
                .as("the warm-up ran to --warmup-ms: " + r.line())
                .isGreaterThanOrEqualTo(0.7);
    }

    /**
     * Runs one SET cell of {@code processes} whose warm-up is bounded by {@code warmupMs} and {@code
     * quietMs} only (no count to reach first), and returns its row, checked to be ok.
     */
    private Row warmupCell(int processes, long warmupMs, long quietMs) throws Exception {
        Run run = bench(withoutWarmup(common(
                        "--workload",
                        "uniform",
                        "--mix",
                        "write",
                        "--processes",
                        Integer.toString(processes),
                        "--fsync",
                        "never",
                        "--warmup-ops",
                        "100000000",
                        "--warmup-ms",
                        Long.toString(warmupMs),
                        "--warmup-quiet-ms",
                        Long.toString(quietMs)))
                .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.out()).isZero();
        Row r = rows(Files.readAllLines(tmp.resolve("out").resolve("results.csv")))
                .getFirst();
        assertThat(r.get("status")).as(r.line()).isEqualTo("ok");
        return r;
    }

    /** {@code args} without {@link #common}'s warm-up bounds, for a test that sets its own. */
    private static List<String> withoutWarmup(List<String> args) {
        List<String> a = new ArrayList<>(args);
        for (String option : List.of("--warmup-ops", "--warmup-ms")) {
            int i = a.indexOf(option);
            a.subList(i, i + 2).clear(); // the first: common's, before the test's own
        }
        return a;
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_sharedmapAndRedis_oneRunComparesBoth() throws Exception {
        assumeTrue(
                onPath("redis-server"),
                "redis-server is not installed (apt-get install redis-server); skipping the " + "Redis comparison");
        Run run = bench(common(
                        "--workload",
                        "uniform",
                        "--mix",
                        "read,write",
                        "--processes",
                        "1",
                        "--repeat",
                        "2",
                        "--target",
                        "sharedmap",
                        "--target",
                        "redis")
                .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.out()).isZero();
        List<String> csv = Files.readAllLines(tmp.resolve("out").resolve("results.csv"));
        // 2 targets x 2 mixes x 2 repetitions, one of each pair marked as the median
        assertThat(csv).hasSize(1 + 2 * 2 * 2);
        assertThat(csv.subList(1, csv.size())).allSatisfy(row -> assertThat(row).contains(",ok,"));
        assertThat(csv.stream().filter(r -> r.contains(",redis,uniform,")).count())
                .isEqualTo(4);
        assertThat(csv.stream().filter(r -> r.endsWith(",true,")).count()).isEqualTo(4);
        assertThat(run.out()).contains("redis(appendfsync everysec)", "sharedmap(interval)", "1st/2nd");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_direct_readsFromTheStoreAndSaysSo() throws Exception {
        // interval (the default): never mode offers no direct reads. Small and bounded; checks the path, not the speed.
        Run run = bench(common(
                        "--workload",
                        "uniform,seed",
                        "--mix",
                        "read,rw",
                        "--processes",
                        "1,2",
                        "--direct-warmup-ops",
                        "50",
                        "--target",
                        "direct",
                        "--target",
                        "sharedmap")
                .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.out()).isZero();
        Path out = tmp.resolve("out");
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        // 2 targets x 2 workloads x 2 mixes x 2 process counts
        assertThat(csv).hasSize(1 + 2 * 2 * 2 * 2);
        for (Row r : rows(csv)) {
            String row = r.line();
            assertThat(r.get("status")).as(row).isEqualTo("ok");
            long direct = Long.parseLong(r.get("direct_reads"));
            long socket = Long.parseLong(r.get("socket_reads"));
            int processes = Integer.parseInt(r.get("processes"));
            assertThat(direct + socket)
                    .as("every timed GET counted once, " + row)
                    .isEqualTo(300L * processes);
            if (r.get("kind").equals("direct")) {
                assertThat(r.get("target")).isEqualTo("direct(interval)");
                assertThat(direct).as("GETs read from the store, " + row).isPositive();
                assertThat(Double.parseDouble(r.get("direct_share"))).as(row).isPositive();
            } else {
                assertThat(r.get("kind")).isEqualTo("sharedmap");
                assertThat(direct)
                        .as("the sharedmap target reads through the socket only, " + row)
                        .isZero();
            }
            assertThat(r.get("misses")).as(row).isEqualTo("0");
        }
        String json = Files.readString(out.resolve("results.json"));
        assertThat(json).contains("\"kind\": \"direct\"", "\"reads\": {\"direct\": ");
        assertThat(Files.list(out.resolve("hgrm")).count()).isEqualTo(csv.size() - 1);
        String summary = Files.readString(out.resolve("summary.md"));
        assertThat(summary)
                .contains(
                        "| direct % |",
                        "| direct(interval) | 2 |",
                        "## issue 6 goals, direct(interval): GET",
                        "## issue 6 goals, direct(interval): the report's read column (seed)");
        assertThat(run.out())
                .contains(
                        "direct %",
                        "the client mapped the daemon's store", "issue 6 goals", "p50 ≤ 1 µs", "÷ socket GET");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_chronicle_runsBesideDirect() throws Exception {
        // Chronicle Map is an optional dependency of this module, so it is on the tests' class path.
        assumeTrue(ChronicleKv.onClassPath(), "chronicle-map is not on the class path");
        Run run = bench(common(
                        "--workload",
                        "uniform,ping",
                        "--mix",
                        "read,write",
                        "--processes",
                        "1",
                        "--direct-warmup-ops",
                        "50",
                        "--target",
                        "direct",
                        "--target",
                        "chronicle")
                .toArray(String[]::new));

        assertThat(run.exitCode()).as(run.out()).isZero();
        List<String> csv = Files.readAllLines(tmp.resolve("out").resolve("results.csv"));
        // direct: read, write, ping; chronicle: read, write (no server, no ping cell)
        assertThat(csv).hasSize(1 + 3 + 2);
        assertThat(csv.subList(1, csv.size())).allSatisfy(row -> assertThat(row).contains(",ok,"));
        assertThat(csv.stream()
                        .filter(r -> r.startsWith("chronicle(mmap file),chronicle,uniform,"))
                        .count())
                .isEqualTo(2);
        assertThat(run.out()).contains("chronicle-map", "÷ Chronicle Map (this run)");
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void bench_scale_reportsEveryFigureBesideRedis() throws Exception {
        assumeTrue(
                onPath("redis-server"),
                "redis-server is not installed (apt-get install redis-server); the scale "
                        + "workload compares with Redis");
        Path out = tmp.resolve("out");
        Run run = bench(
                "--workload",
                "scale",
                "--keys",
                "2000",
                "--processes",
                "1",
                "--ops",
                "300",
                "--warmup-ops",
                "50",
                "--direct-warmup-ops",
                "50",
                "--warmup-ms",
                "500",
                "--settle-quiet-ms",
                "500",
                "--verify-keys",
                "200",
                "--target",
                "direct",
                "--target",
                "sharedmap",
                "--target",
                "redis",
                "--out",
                out.toString(),
                "--work-dir",
                tmp.resolve("work").toString(),
                "--cell-timeout",
                "120",
                "--no-charts",
                "--note",
                "smoke test");

        assertThat(run.exitCode()).as(run.out()).isZero();
        assertThat(run.out())
                .contains("loaded 2,000 keys", "keys read back after the kill -9")
                .doesNotContain("PROBLEM");

        // scale.csv: every figure of both stores, with sane values
        List<String> lines = Files.readAllLines(out.resolve("scale.csv"));
        assertThat(lines.get(0)).isEqualTo(ScaleReport.CSV_HEADER);
        Map<String, Double> v = new HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = ResultsWriter.parseCsvLine(line);
            assertThat(f.get(1)).as("no problem rows: " + line).isNotEqualTo("problem");
            v.put(f.get(0) + "|" + f.get(1), f.get(2).isEmpty() ? Double.NaN : Double.parseDouble(f.get(2)));
        }
        String sm = "sharedmap(interval)";
        String redis = "redis(appendfsync everysec)";
        for (String t : List.of(sm, redis)) {
            Function<String, Double> m = name -> {
                assertThat(v).as(t + " " + name).containsKey(t + "|" + name);
                return v.get(t + "|" + name);
            };
            assertThat(m.apply("load_keys_per_s")).isPositive();
            assertThat(m.apply("load_s")).isPositive();
            assertThat(m.apply("load_other_cpu")).isBetween(0.0, 1.0);
            for (String phase : List.of("after_load", "after_settle", "after_kill9")) {
                double rss = m.apply("vmrss_" + phase + "_bytes");
                assertThat(rss).as(t + " VmRSS " + phase).isGreaterThan(1e6);
                assertThat(m.apply("rss_anon_" + phase + "_bytes")
                                + m.apply("rss_file_" + phase + "_bytes")
                                + m.apply("rss_shmem_" + phase + "_bytes"))
                        .as("RssAnon + RssFile + RssShmem = VmRSS")
                        .isEqualTo(rss);
                assertThat(m.apply("memory_files_" + phase + "_bytes")).isGreaterThanOrEqualTo(0.0);
                assertThat(m.apply("memory_total_" + phase + "_bytes")).isGreaterThanOrEqualTo(rss);
                assertThat(m.apply("vmhwm_" + phase + "_bytes")).isGreaterThanOrEqualTo(rss);
            }
            assertThat(m.apply("disk_after_load_bytes")).isPositive();
            assertThat(m.apply("disk_after_settle_bytes")).isPositive();
            assertThat(m.apply("disk_end_bytes")).isPositive();
            assertThat(m.apply("settled")).as("settled within the bound").isEqualTo(1.0);
            assertThat(m.apply("settle_wait_s")).isGreaterThanOrEqualTo(0.5);
            assertThat(m.apply("keys_stored")).isEqualTo(2000.0);
            for (String phase : List.of("restart", "kill9")) {
                assertThat(m.apply(phase + "_stop_s")).isBetween(0.0, 120.0);
                assertThat(m.apply(phase + "_start_s")).isPositive().isLessThan(120.0);
                assertThat(m.apply(phase + "_total_s")).isGreaterThanOrEqualTo(m.apply(phase + "_start_s"));
                assertThat(m.apply(phase + "_checked"))
                        .as("200 random keys and the last 200")
                        .isEqualTo(400.0);
                assertThat(m.apply(phase + "_missing")).isZero();
                assertThat(m.apply(phase + "_wrong")).isZero();
            }
        }
        assertThat(v.get(sm + "|mapped_keys")).isBetween(0.0, 2000.0);
        assertThat(v.get(sm + "|kill9_recovery_ms")).isGreaterThanOrEqualTo(0.0);
        assertThat(v.get("direct(interval)|kill9_checked"))
                .as("read back with direct reads too")
                .isEqualTo(400.0);
        assertThat(v.get("direct(interval)|kill9_wrong") + v.get("direct(interval)|kill9_missing"))
                .isZero();

        // the GET and SET cells: direct, socket and Redis, at P = 1
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csv).hasSize(1 + 3 * 2);
        for (Row r : rows(csv)) {
            String row = r.line();
            assertThat(r.get("workload")).isEqualTo("scale");
            assertThat(r.get("status")).as(row).isEqualTo("ok");
            assertThat(r.get("misses")).as(row).isEqualTo("0");
            if (r.get("kind").equals("direct") && r.get("mix").equals("read")) {
                assertThat(Double.parseDouble(r.get("direct_share")))
                        .as("GETs from mapped memory, " + row)
                        .isPositive();
            }
        }

        String json = Files.readString(out.resolve("results.json"));
        assertThat(json)
                .contains(
                        "\"scale\": {",
                        "\"problems\": []",
                        "\"measures\": [",
                        "\"commit\": ",
                        "\"sharedmap_stats_after_load\": {",
                        "\"note\": \"smoke test\"");
        String summary = Files.readString(out.resolve("summary.md"));
        assertThat(summary)
                .contains(
                        "- command: `sharedmap bench --workload scale --keys 2000",
                        "- started: `",
                        "- commit: `",
                        "## scale: 2,000 keys, sharedmap beside Redis",
                        "| load: keys/s (whole load, wall clock) |",
                        "## scale: uniform GET and SET over the loaded keys",
                        "| GET | 1 |",
                        "| SET | 1 |",
                        "sharedmap ÷ Redis",
                        "--note 'smoke test'",
                        "- target: direct(interval)",
                        "- target: sharedmap(interval)",
                        "- target: redis(appendfsync everysec)")
                .doesNotContain("PROBLEM", "bench bench");
    }

    @Test
    void scaleKeys_areFixedWidthDecimalWithTheirOwnValues() {
        ScaleKeys k = new ScaleKeys(10, 100);
        assertThat(new String(k.key(12345), StandardCharsets.US_ASCII)).isEqualTo("0000012345");
        assertThat(ScaleKeys.newKey(12345, 10)).isEqualTo(k.key(12345));
        assertThat(ScaleKeys.index(ScaleKeys.newKey(9_999_999, 10))).isEqualTo(9_999_999);
        assertThat(ScaleKeys.newValue(7, 100))
                .hasSize(100)
                .isEqualTo(new ScaleKeys(10, 100).value(7))
                .isNotEqualTo(ScaleKeys.newValue(8, 100));
        assertThat(ScaleKeys.minKeySize(10_000_000)).isEqualTo(7);
        assertThat(ScaleKeys.minKeySize(1)).isEqualTo(1);
        assertThatThrownBy(() -> ScaleKeys.newKey(100, 2)).isInstanceOf(IllegalArgumentException.class);
        for (byte b : ScaleKeys.newValue(3, 1000)) {
            assertThat((char) b).matches(c -> Character.isLetterOrDigit(c) || c == '-' || c == '_');
        }
    }

    @Test
    void bench_scale_badOptions_exitWithUsageError() {
        assertThat(bench("--workload", "scale,uniform").exitCode())
                .as("scale runs alone")
                .isEqualTo(2);
        assertThat(bench("--workload", "scale", "--target", "redis:/tmp/r.sock").exitCode())
                .isEqualTo(2);
        assertThat(bench("--workload", "scale", "--keys", "100000", "--key-size", "4")
                        .exitCode())
                .isEqualTo(2);
    }

    @Test
    void footprint_readsThisProcess() {
        long pid = ProcessHandle.current().pid();
        Footprint.Memory m = Footprint.memory(pid, Map.of("data_dir", tmp.toString()));
        assertThat(m.vmRss()).isPositive().isEqualTo(m.rssAnon() + m.rssFile() + m.rssShmem());
        assertThat(m.totalBytes()).isGreaterThanOrEqualTo(m.vmRss());
        assertThat(m.files()).anySatisfy(f -> assertThat(f.source()).isEqualTo("STATS data_dir"));
        assertThat(Footprint.cpuWithChildrenNs(pid)).isPositive();
        assertThat(Footprint.du(tmp)).isGreaterThanOrEqualTo(0);
        assertThat(Footprint.du(tmp.resolve("absent"))).isEqualTo(-1);
    }

    @Test
    void targetSpec_parse_acceptsEveryTargetWithAndWithoutSocket() {
        assertThat(TargetSpec.parse("sharedmap")).isEqualTo(new TargetSpec(TargetSpec.Kind.SHAREDMAP, null));
        assertThat(TargetSpec.parse("direct")).isEqualTo(new TargetSpec(TargetSpec.Kind.DIRECT, null));
        assertThat(TargetSpec.parse(" Direct ").managed()).isTrue();
        assertThat(TargetSpec.parse("direct:/run/sharedmap/sharedmap.sock"))
                .isEqualTo(new TargetSpec(TargetSpec.Kind.DIRECT, Path.of("/run/sharedmap/sharedmap.sock")));
        assertThat(TargetSpec.parse("direct:/run/sharedmap/sharedmap.sock").toString())
                .isEqualTo("direct:/run/sharedmap/sharedmap.sock");
        assertThat(TargetSpec.parse("redis:/tmp/r.sock").kind()).isEqualTo(TargetSpec.Kind.REDIS);
        assertThat(TargetSpec.Kind.DIRECT.sharedMap()).isTrue();
        assertThat(TargetSpec.Kind.REDIS.sharedMap()).isFalse();
        assertThatThrownBy(() -> TargetSpec.parse("direct:"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty socket path");
        assertThat(TargetSpec.parse("chronicle")).isEqualTo(new TargetSpec(TargetSpec.Kind.CHRONICLE, null));
        assertThatThrownBy(() -> TargetSpec.parse("chronicle:/tmp/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no server");
        assertThatThrownBy(() -> TargetSpec.parse("memcached"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("direct:SOCKET");
    }

    @Test
    void targetSpec_parse_urlAndBareTargets() {
        TargetSpec etcd = TargetSpec.parse("url:etcd://127.0.0.1:2379,127.0.0.1:2380");
        assertThat(etcd.kind()).isEqualTo(TargetSpec.Kind.PORTABLE);
        assertThat(etcd.url()).hasToString("etcd://127.0.0.1:2379,127.0.0.1:2380");
        assertThat(etcd.managed()).isFalse();
        assertThat(etcd.remote()).isTrue();
        assertThat(etcd.urlLabel()).isEqualTo("etcd");
        TargetSpec bare = TargetSpec.parse("bare:redis-cluster://127.0.0.1:7000");
        assertThat(bare.kind()).isEqualTo(TargetSpec.Kind.BARE);
        assertThat(bare.urlLabel()).isEqualTo("redis-cluster-bare");
        assertThat(TargetSpec.parse("url:redis://u:secret@127.0.0.1:6379").toString())
                .isEqualTo("url:redis://***@127.0.0.1:6379");
        assertThat(TargetSpec.parse("url:unix:///run/sharedmap/sharedmap.sock").urlLabel())
                .isEqualTo("unix");
        assertThatThrownBy(() -> TargetSpec.parse("bare:unix:///tmp/s.sock"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no bare client for unix:");
        assertThatThrownBy(() -> TargetSpec.parse("url:"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no URL");
        assertThatThrownBy(() -> TargetSpec.parse("url:/run/sharedmap/sharedmap.sock"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no scheme");
    }

    @Test
    void bench_urlTargetWithSyscalls_isAUsageError() {
        Run run = bench(common("--url", "redis://127.0.0.1:1", "--syscalls").toArray(String[]::new));

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).contains("--syscalls", "has no server process here");
    }

    @Test
    void bench_scaleWithAUrlTarget_isAUsageError() {
        Run run = bench(
                common("--workload", "scale", "--url", "redis://127.0.0.1:1").toArray(String[]::new));

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).contains("scale starts, restarts and kills its own servers");
    }

    @Test
    void chronicleMissing_namesTheCommandWithTheArgumentsQuoted() {
        String cli = BenchServer.chronicleMissing(List.of("bench", "--target", "chronicle", "--out", "/tmp/a b"));
        String standalone = BenchServer.chronicleMissing(List.of("--target", "chronicle"));

        assertThat(cli)
                .contains("chronicle-map", "jmh.classpath")
                .endsWith("bin/with-jdk java -cp \"$t/sharedmap-cli.jar:$t/lib/*:$b/sharedmap-bench.jar:$cp\""
                        + " io.sharedmap.cli.Main bench --target chronicle --out '/tmp/a b'");
        assertThat(standalone).endsWith("io.sharedmap.cli.Main bench --target chronicle");
    }

    @Test
    void latencies_keepSubMicrosecondPrecision() {
        Histogram h = BenchWorker.newHistogram();
        for (int i = 0; i < 1000; i++) {
            h.recordValue(350); // ns
        }
        h.recordValue(46_500);
        assertThat(h.getValueAtPercentile(50)).isEqualTo(350);
        assertThat(CellResult.us(h.getValueAtPercentile(50) / 1000.0)).isEqualTo("0.35");
        assertThat(CellResult.us(0.0512)).isEqualTo("0.05");
        assertThat(CellResult.us(7.214)).isEqualTo("7.21");
        assertThat(CellResult.us(46.5)).isEqualTo("46.5");
        assertThat(CellResult.us(1064.2)).isEqualTo("1,064");
    }

    @Test
    void bench_badOptions_exitWithUsageError() {
        assertThat(bench("--workload", "nope").exitCode()).isEqualTo(2);
        assertThat(bench("--processes", "0").exitCode()).isEqualTo(2);
        assertThat(bench("--target", "memcached").exitCode()).isEqualTo(2);
        assertThat(bench("--target", "direct:").exitCode()).isEqualTo(2);
        assertThat(bench("--direct-warmup-ops", "-1").exitCode()).isEqualTo(2);
        assertThat(bench("--warmup-quiet-ms", "-1").exitCode()).isEqualTo(2);
        assertThat(bench("--warmup-quiet-ms", "500").exitCode())
                .as("below the 1,000 ms the signal can tell")
                .isEqualTo(2);
        assertThat(bench("--warmup-ms", "3600001").exitCode()).isEqualTo(2);
        assertThat(bench("--fsync", "sometimes").exitCode()).isEqualTo(2);
        assertThat(bench("--rate", "-1").exitCode()).isEqualTo(2);
        assertThat(bench("--rate", "1000", "--workload", "scale").exitCode()).isEqualTo(2);
        assertThat(bench("--time-from", "sent").exitCode())
                .as("--time-from without --rate")
                .isEqualTo(2);
        assertThat(bench("--rate", "1000", "--time-from", "later").exitCode()).isEqualTo(2);
    }

    /** A data row of a {@code results.csv}, its columns read by header name. */
    private record Row(String line, List<String> fields) {
        private static final List<String> HEADER = List.of(ResultsWriter.CSV_HEADER.split(","));

        String get(String column) {
            return fields.get(HEADER.indexOf(column));
        }
    }

    /** The data rows of a {@code results.csv} (its lines, header first); each must have every column. */
    private static List<Row> rows(List<String> csv) {
        List<Row> rows = new ArrayList<>();
        for (String line : csv.subList(1, csv.size())) {
            List<String> fields = ResultsWriter.parseCsvLine(line);
            assertThat(fields).as(line).hasSize(Row.HEADER.size());
            rows.add(new Row(line, fields));
        }
        return rows;
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
