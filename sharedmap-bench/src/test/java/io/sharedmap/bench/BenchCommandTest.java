package io.sharedmap.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    List<String> a = new ArrayList<>(List.of("--out", tmp.resolve("out").toString(), "--work-dir",
        tmp.resolve("work").toString(), "--daemon-main", TestDaemonMain.class.getName(), "--ops", "300",
        "--keys", "50", "--value-size", "16", "--warmup-ops", "50", "--warmup-ms", "500", "--cell-timeout", "120",
        "--no-charts"));
    a.addAll(List.of(more));
    return a;
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void bench_sharedmapAllWorkloads_writesCsvAndJson() throws Exception {
    Run run = bench(common("--workload", "seed,uniform,zipf,ping", "--processes", "1,2", "--fsync",
        "never").toArray(String[]::new));

    assertThat(run.exitCode()).as(run.out()).isZero();
    Path out = tmp.resolve("out");
    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertThat(csv.get(0)).isEqualTo(ResultsWriter.CSV_HEADER);
    // seed, uniform, zipf: 3 mixes each; ping: 1; times 2 process counts
    assertThat(csv).hasSize(1 + (3 * 3 + 1) * 2);
    int columns = ResultsWriter.CSV_HEADER.split(",").length;
    for (String row : csv.subList(1, csv.size())) {
      String[] f = row.split(",", -1);
      assertThat(f).as(row).hasSize(columns);
      assertThat(f[1]).isEqualTo("sharedmap");
      assertThat(f[7]).as(row).isEqualTo("ok");
      int processes = Integer.parseInt(f[4]);
      long expectedOps = (f[3].equals("rw") ? 600L : 300L) * processes;
      assertThat(Long.parseLong(f[6])).as(row).isEqualTo(expectedOps);
      assertThat(Double.parseDouble(f[9])).as("ops/s " + row).isPositive();
      double p50 = Double.parseDouble(f[13]);
      double p99 = Double.parseDouble(f[15]);
      double max = Double.parseDouble(f[17]);
      assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
      assertThat(p99).isLessThanOrEqualTo(max);
      assertThat(f[22]).as("reads that missed, " + row).isEqualTo("0");
      assertThat(f[23]).isEqualTo("false");
      assertThat(f[24]).as("repetition").isEqualTo("0");
      assertThat(f[25]).as("median of one run").isEqualTo("true");
    }

    String json = Files.readString(out.resolve("results.json"));
    assertThat(json).startsWith("{").contains("\"cells\": [", "\"report_seconds_per_process\"", "\"cpus\"");
    assertThat(json.split("\"status\": \"ok\"", -1)).hasSize(csv.size());
    assertThat(Files.list(out.resolve("hgrm")).count()).isEqualTo(csv.size() - 1);
    assertThat(run.out()).contains("Table 1", "Table 2", "report rd", "0.926", "== ping/ping");
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void bench_sharedmapAndRedis_oneRunComparesBoth() throws Exception {
    assumeTrue(onPath("redis-server"), "redis-server is not installed (apt-get install redis-server); skipping the "
        + "Redis comparison");
    Run run = bench(common("--workload", "uniform", "--mix", "read,write", "--processes", "1", "--repeat", "2",
        "--target", "sharedmap", "--target", "redis").toArray(String[]::new));

    assertThat(run.exitCode()).as(run.out()).isZero();
    List<String> csv = Files.readAllLines(tmp.resolve("out").resolve("results.csv"));
    // 2 targets x 2 mixes x 2 repetitions, one of each pair marked as the median
    assertThat(csv).hasSize(1 + 2 * 2 * 2);
    assertThat(csv.subList(1, csv.size())).allSatisfy(row -> assertThat(row).contains(",ok,"));
    assertThat(csv.stream().filter(r -> r.contains(",redis,uniform,")).count()).isEqualTo(4);
    assertThat(csv.stream().filter(r -> r.endsWith(",true,")).count()).isEqualTo(4);
    assertThat(run.out()).contains("redis(appendfsync everysec)", "sharedmap(interval)", "1st/2nd");
  }

  @Test
  void bench_badOptions_exitWithUsageError() {
    assertThat(bench("--workload", "nope").exitCode()).isEqualTo(2);
    assertThat(bench("--processes", "0").exitCode()).isEqualTo(2);
    assertThat(bench("--target", "memcached").exitCode()).isEqualTo(2);
    assertThat(bench("--fsync", "sometimes").exitCode()).isEqualTo(2);
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
