package io.sharedmap.bench;

import io.sharedmap.client.SharedMapPaths;
import io.sharedmap.launcher.Subcommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sharedmap bench}: the multi-process benchmark. For every target, workload, mix and
 * process count (a "cell") it spawns P {@link BenchWorker} JVMs, releases them together, and
 * reports throughput, per-process time, merged latency percentiles and the server's CPU time;
 * it writes CSV, JSON, HdrHistogram percentile files and PNG charts into {@code --out}.
 *
 * <p>Cells run in the order workload, mix, processes, target, so that the targets being compared
 * run next to each other in time. The servers the harness starts run for the whole invocation on
 * fresh data directories under {@code --work-dir} (deleted at the end).
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Run the multi-process benchmark: P separate client processes per cell, released together, "
                + "against sharedmap (GET through its socket, or read directly from its mapped store) and "
                + "(optionally) Redis over Unix sockets; prints tables and writes a Markdown summary, CSV, JSON and PNG "
                + "charts. Numbers are printed, never judged.",
        footer = {
            "",
            "Targets:",
            "  sharedmap  a sharedmap daemon; every request, GET included, goes through",
            "             its Unix socket (the client with directReads(false): the socket",
            "             path, as measured before issue 6).",
            "  direct     the same daemon (its own, same flags), GET answered from the",
            "             daemon's mapped store without a system call (the client with",
            "             directReads(true), its default); keys the store cannot answer",
            "             (private ones) go to the socket, as do SET and PING. The",
            "             'direct %%' column is the share of GETs read directly.",
            "             --fsync never offers no direct reads: every GET then goes to",
            "             the socket.",
            "  redis      redis-server on a Unix socket, through Jedis.",
            "  chronicle  Chronicle Map, for comparison: every worker maps one persisted",
            "             map file; no server, no fsync, no ping cells. Its JVMs run",
            "             with --add-opens/--add-exports. The CLI does not ship it; from",
            "             the source tree, after bin/sharedmap has built it once",
            "             (bin/with-jdk finds a JDK 25+; plain java may be older):",
            "    t=sharedmap-cli/target; b=sharedmap-bench/target; cp=$(cat $b/jmh.classpath)",
            "    bin/with-jdk java -cp \"$t/sharedmap-cli.jar:$t/lib/*:$b/sharedmap-bench.jar:$cp\" \\",
            "      io.sharedmap.cli.Main bench --target chronicle ...",
            "  T:SOCKET   sharedmap, direct or redis already running on SOCKET (not",
            "             started or stopped by the harness).",
            "  url:URL    any backend, already running, through sharedmap's portable",
            "             API (SharedMap.connect(URI)): etcd://host:port,...,",
            "             redis-cluster://host:port,..., redis://host:port, or",
            "             unix:///path/to/socket (the daemon's default client). Same as",
            "             --url URL; $SHAREDMAP_URL is the target when neither --target",
            "             nor --url is given. No pipeline (the preload is one SET at a",
            "             time: keep --keys small), no server CPU time, no --syscalls.",
            "  bare:URL   the same etcd or Redis (Cluster) through the engine's own",
            "             client (jetcd, Lettuce) sending what sharedmap's backend sends",
            "             for GET and SET: beside url:URL, the cost of sharedmap's layer.",
            "",
            "Examples:",
            "  sharedmap bench --workload seed",
            "  sharedmap bench --workload uniform,ping -p 1,2,4,10 \\",
            "      --target sharedmap --target redis",
            "  sharedmap bench --workload uniform --mix read -p 1,2,4,10 --ops 200000 \\",
            "      --target direct --target sharedmap --target redis",
            "  sharedmap bench --workload seed -p 1,2,4,6,8,10 \\",
            "      --target direct --target sharedmap",
            "  sharedmap bench --workload uniform --mix write --fsync always \\",
            "      --target sharedmap --target redis",
            "  sharedmap bench --target sharedmap:/run/sharedmap/sharedmap.sock \\",
            "      --workload ping -p 1 --syscalls",
            "  sharedmap bench --workload uniform --mix read,write -p 1,10 --ops 2000 \\",
            "      --keys 1000 --target sharedmap --url etcd://127.0.0.1:2379 \\",
            "      --target bare:etcd://127.0.0.1:2379",
            "  sharedmap bench --charts-from bench-results/<run>/results.csv",
            "  sharedmap bench --workload scale --keys 1000000",
            "",
            "Scale (--workload scale; issue 11's measure): targets direct, sharedmap",
            "(both read one daemon, loaded once), redis and, for GET, chronicle;",
            "default: direct, sharedmap, redis. -p defaults to 1,10 and --mix to",
            "read,write. Each store is loaded with --keys keys of --key-size bytes,",
            "each with its own --value-size value, through the client's pipeline",
            "(the other waits); memory (/proc VmRSS, RssAnon, RssFile, RssShmem, plus",
            "files in tmpfs the daemon names in STATS or maps) and disk (du of the",
            "data directory / Redis's AOF directory) are read after the load and",
            "after the disk use settles; then GET and SET cells; then a clean restart",
            "and a kill -9, each timed until a GET of a known key answers, each",
            "followed by reading back a sample of keys (--verify-keys). Writes",
            "scale.csv and a \"scale\" member in results.json beside the usual files;",
            "a missing or wrong value is a PROBLEM line and exit code 1."
        })
public final class BenchCommand implements Subcommand {

    /** How much load each worker applies. */
    record Load(
            long ops,
            int keys,
            int keySize,
            int valueSize,
            double zipfTheta,
            long seed,
            long warmupOps,
            long directWarmupOps,
            long warmupMs,
            long warmupQuietMs) {

        /** Warm-up operations for a worker of this kind of target. */
        long warmupOps(TargetSpec.Kind kind) {
            return kind == TargetSpec.Kind.DIRECT ? directWarmupOps : warmupOps;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(
            names = "--workload",
            split = ",",
            hideParamSyntax = true,
            paramLabel = "W[,W...]",
            defaultValue = "seed",
            description = "seed (the report's: one key test_key=test_value), uniform (N preloaded keys, uniform "
                    + "random), zipf (same, Zipf-skewed), ping (empty round trips: the floor), scale (alone: load --keys N keys "
                    + "through the pipeline into one daemon and into Redis, then load rate, memory, disk, direct-read share, "
                    + "GET and SET at each -p, clean restart and kill -9 recovery, side by side; see Scale below). "
                    + "Default: ${DEFAULT-VALUE}.")
    List<String> workloads;

    @Option(
            names = "--mix",
            split = ",",
            hideParamSyntax = true,
            paramLabel = "M[,M...]",
            defaultValue = "read,write,rw",
            description = "Operations for seed/uniform/zipf: read, write, rw (N reads AND N writes per process, "
                    + "alternating, as in the report). Default: ${DEFAULT-VALUE}.")
    List<String> mixes;

    @Option(
            names = {"-p", "--processes"},
            split = ",",
            hideParamSyntax = true,
            paramLabel = "P[,P...]",
            defaultValue = "1,2,4,6,8,10",
            description = "Numbers of client processes, one cell each. Default: ${DEFAULT-VALUE}.")
    List<Integer> processes;

    @Option(
            names = {"-n", "--ops"},
            paramLabel = "N",
            defaultValue = "100000",
            description = "Operations per process per cell (rw does N reads + N writes). Default: ${DEFAULT-VALUE}.")
    long ops;

    @Option(
            names = "--keys",
            paramLabel = "N",
            defaultValue = "100000",
            description = "Keyspace size for uniform and zipf, preloaded before the cells. Default: ${DEFAULT-VALUE}.")
    int keys;

    @Option(
            names = "--value-size",
            paramLabel = "V",
            defaultValue = "100",
            description = "Value bytes for uniform, zipf and scale. Default: ${DEFAULT-VALUE}.")
    int valueSize;

    @Option(
            names = "--key-size",
            paramLabel = "K",
            defaultValue = "10",
            description =
                    "Key bytes for scale (its keys are decimal numbers, zero-padded; the other workloads' keys are "
                            + "key:NNNNNNNNNN, 14 bytes). Default: ${DEFAULT-VALUE}.")
    int keySize;

    @Option(
            names = "--load-timeout",
            paramLabel = "SECONDS",
            defaultValue = "3600",
            description = "scale: longest the load of one store may take. Default: ${DEFAULT-VALUE}.")
    long loadTimeoutS;

    @Option(
            names = "--settle-timeout",
            paramLabel = "SECONDS",
            defaultValue = "600",
            description =
                    "scale: longest wait, after a load, for the store's disk use to settle (see --settle-quiet-ms). "
                            + "Default: ${DEFAULT-VALUE}.")
    long settleTimeoutS;

    @Option(
            names = "--settle-quiet-ms",
            paramLabel = "MS",
            defaultValue = "5000",
            description =
                    "scale: disk use counts as settled once the data directory's size has not changed for this long "
                            + "(and Redis runs or schedules no AOF rewrite). Default: ${DEFAULT-VALUE}.")
    long settleQuietMs;

    @Option(
            names = "--verify-keys",
            paramLabel = "N",
            defaultValue = "1000",
            description = "scale: after each restart, read back N random keys and the last N loaded and report every "
                    + "missing or wrong value. Default: ${DEFAULT-VALUE}.")
    int verifyKeys;

    @Option(
            names = "--note",
            paramLabel = "TEXT",
            description =
                    "Free text recorded with the results (summary.md, results.json), e.g. who else used the machine.")
    String note;

    @Option(
            names = "--zipf-theta",
            paramLabel = "T",
            defaultValue = "0.99",
            description = "Zipf exponent, 0 < T < 1 (YCSB's default 0.99). Default: ${DEFAULT-VALUE}.")
    double zipfTheta;

    @Option(
            names = "--target",
            paramLabel = "T",
            description = "Repeatable. sharedmap (start a daemon; GET through its socket), direct (start a daemon; GET "
                    + "read directly from its mapped store), redis (start redis-server); sharedmap:SOCKET, "
                    + "direct:SOCKET, redis:SOCKET use one already running; chronicle (Chronicle Map, one map file mapped by "
                    + "every worker, if on the class path); url:URL (any backend through sharedmap's portable API, as "
                    + "--url), bare:URL (etcd or Redis through jetcd or Lettuce doing what sharedmap's backend does). "
                    + "Default: sharedmap ($SHAREDMAP_URL when set).")
    List<String> targets = new ArrayList<>();

    @Option(
            names = "--url",
            paramLabel = "URL",
            description = "Repeatable. A target named by a URL, through sharedmap's portable API (the same as --target "
                    + "url:URL): etcd://host:port,..., redis-cluster://host:port,..., redis://host:port or "
                    + "unix:///path/to/socket. $SHAREDMAP_URL is the target when neither --target nor --url is given.")
    List<String> urls = new ArrayList<>();

    @Option(
            names = "--fsync",
            paramLabel = "MODE",
            defaultValue = "interval",
            description = "Durability of the servers the harness starts: always (sharedmap and direct always / redis "
                    + "appendfsync always), interval (interval / everysec), never (never / no; the daemon then offers no "
                    + "direct reads, so they fall back to the socket). Default: ${DEFAULT-VALUE}.")
    String fsync;

    @Option(names = "--out", paramLabel = "DIR", description = "Where results go. Default: bench-results/<timestamp>.")
    Path out;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description = "Where started servers keep their data and sockets (a fresh directory is made inside and "
                    + "deleted at the end). Default: the system temporary directory.")
    Path workDir;

    @Option(
            names = "--seed",
            paramLabel = "S",
            defaultValue = "42",
            description = "Base random seed; process i uses a seed derived from it. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
            names = "--warmup-ops",
            paramLabel = "N",
            defaultValue = "10000000",
            description = "Most untimed operations per process before the barrier (see --warmup-quiet-ms). "
                    + "Default: ${DEFAULT-VALUE}.")
    long warmupOps;

    @Option(
            names = "--direct-warmup-ops",
            paramLabel = "N",
            defaultValue = "500000",
            description = "Most untimed operations per process of the direct target. A direct GET takes about a "
                    + "microsecond, so 20,000 of them end before the JIT has compiled the path; measured on 2 CPUs: "
                    + "0.3-0.6 M GET/s after 20,000, 1.1-1.3 M after 400,000. Default: ${DEFAULT-VALUE}.")
    long directWarmupOps;

    @Option(
            names = "--warmup-ms",
            paramLabel = "MS",
            defaultValue = "30000",
            description = "Longest warm-up per process (see --warmup-quiet-ms). Default: ${DEFAULT-VALUE}.")
    long warmupMs;

    @Option(
            names = "--warmup-quiet-ms",
            paramLabel = "MS",
            defaultValue = "3000",
            description = "Each process warms up by running the timed loop untimed until its JIT has been quiet "
                    + "for MS milliseconds (at most a thousandth of them spent compiling), or --warmup-ops or "
                    + "--warmup-ms is reached, whichever comes first; results.csv says how long the longest took "
                    + "(warmup_s) and how many ended quiet (warmup_jit_quiet). With 10 processes on 2 CPUs the "
                    + "sharedmap client's hot path reached C2 only 6-16 s after start. 0 or 1000..600000; 0: to "
                    + "the bounds only (the warm-up before 41fb744 is --warmup-quiet-ms 0 --warmup-ops 20000 "
                    + "--warmup-ms 1500). Default: ${DEFAULT-VALUE}.")
    long warmupQuietMs;

    @Option(
            names = "--cell-timeout",
            paramLabel = "SECONDS",
            defaultValue = "600",
            description = "Longest a cell's timed part may take; workers stop by themselves 30 s before and the "
                    + "cell is marked truncated. Default: ${DEFAULT-VALUE}.")
    long cellTimeoutS;

    @Option(
            names = "--repeat",
            paramLabel = "R",
            defaultValue = "1",
            description =
                    "Run every cell R times (interleaved in time); tables and charts show the run with the median "
                            + "throughput, CSV and JSON keep every run. Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(
            names = "--jfr",
            description = "Record the sharedmap daemon it starts with Java Flight Recorder (profile settings) into "
                    + "OUT/daemon.jfr.")
    boolean jfr;

    @Option(
            names = "--syscalls",
            description = "Count the server's system calls per operation in every cell with perf stat (needs perf and "
                    + "permission to trace the server). The tracepoints slow every system call on the machine "
                    + "while they are on: compare rates only with runs made the same way.")
    boolean syscalls;

    @Option(
            names = "--daemon-jvm-opt",
            paramLabel = "OPT",
            description = "Repeatable. An extra JVM option for the sharedmap daemon it starts.")
    List<String> daemonJvmOptions = new ArrayList<>();

    @Option(
            names = "--daemon-arg",
            paramLabel = "ARG",
            description =
                    "Repeatable. An extra argument for the sharedmap daemon it starts, e.g. --daemon-arg=--spin-us=0.")
    List<String> daemonArgs = new ArrayList<>();

    @Option(
            names = "--client-spin-us",
            paramLabel = "US",
            defaultValue = "-1",
            description = "The sharedmap client's spin time in the workers, in microseconds (0: block at once);"
                    + " -1 keeps the client's default. Default: ${DEFAULT-VALUE}.")
    long clientSpinUs;

    @Option(
            names = "--rate",
            paramLabel = "OPS",
            defaultValue = "0",
            description = "Paced load: the operations per second of each cell, all its processes together, each"
                    + " process sending its share at even intervals and timing every operation from when it was"
                    + " due (so a server that falls behind is charged for the backlog; see --time-from). Compares"
                    + " latency at the same load. 0: every process sends its next operation when the last is"
                    + " answered (a closed loop). Default: ${DEFAULT-VALUE}.")
    long rate;

    @Option(
            names = "--time-from",
            paramLabel = "due|sent",
            defaultValue = "due",
            description = "With --rate: time each operation from when it was due (the backlog of a server that"
                    + " fell behind counts, and so does a worker woken late), or from when it was sent (the round"
                    + " trip alone; a stall then shows in one operation only). Default: ${DEFAULT-VALUE}.")
    String timeFrom;

    @Option(
            names = "--client-plain",
            description = "The sharedmap client in the workers without a session (Options.recovering(false)): its"
                    + " changes carry no sequence numbers, as a Redis client's do not, and it does not survive a"
                    + " daemon restart. Default: a recovering client, as a program gets by default.")
    boolean clientPlain;

    @Option(
            names = "--worker-jvm-opt",
            paramLabel = "OPT",
            description = "Repeatable. JVM options for the worker processes, replacing the default "
                    + "-XX:+UseSerialGC -Xms64m -Xmx256m.")
    List<String> workerJvmOptions = new ArrayList<>();

    @Option(
            names = "--redis-server",
            paramLabel = "PATH",
            defaultValue = "redis-server",
            description = "The redis-server program for --target redis. Default: ${DEFAULT-VALUE}.")
    String redisServer;

    @Option(names = "--no-charts", description = "Skip the PNG charts.")
    boolean noCharts;

    @Option(
            names = "--charts-from",
            paramLabel = "CSV",
            description = "Run nothing: redraw the PNG charts from a results.csv written earlier, into --out (default: "
                    + "the CSV's directory).")
    Path chartsFrom;

    /** Runs the benchmark without the rest of the CLI (the CLI registers this class as {@code sharedmap bench}). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        if (chartsFrom != null) {
            Path dir = out != null
                    ? Files.createDirectories(out)
                    : Objects.requireNonNull(chartsFrom.toAbsolutePath().getParent(), "a file's directory");
            String problem = Charts.redraw(dir, chartsFrom);
            if (problem != null) {
                spec.commandLine().getErr().println("bench: " + problem);
                return 1;
            }
            w.println("charts written to " + dir.toAbsolutePath());
            return 0;
        }
        List<Workload> wl;
        List<Mix> mx;
        List<TargetSpec> ts;
        Fsync fs;
        try {
            wl = workloads.stream().map(Workload::parse).distinct().toList();
            mx = mixes.stream().map(Mix::parse).distinct().toList();
            ts = chooseTargets(System.getenv(SharedMapPaths.URL_ENV), w);
            fs = Fsync.parse(fsync);
            for (int p : processes) {
                check(p >= 1 && p <= 256, "--processes: " + p + " is outside 1..256");
            }
            check(ops >= 1 && ops <= 100_000_000L, "--ops: " + ops + " is outside 1..100000000");
            check(keys >= 1 && keys <= 50_000_000, "--keys: " + keys + " is outside 1..50000000");
            if (wl.contains(Workload.SCALE)) {
                checkScale(wl, ts);
            }
            check(valueSize >= 0 && valueSize <= 1 << 20, "--value-size: " + valueSize + " is outside 0..1048576");
            check(
                    cellTimeoutS >= 10 && cellTimeoutS <= 86_400,
                    "--cell-timeout: " + cellTimeoutS + " is outside 10..86400");
            check(repeat >= 1 && repeat <= 100, "--repeat: " + repeat + " is outside 1..100");
            check(
                    clientSpinUs >= -1 && clientSpinUs <= 10_000,
                    "--client-spin-us: " + clientSpinUs + " is outside -1..10000");
            check(rate >= 0 && rate <= 10_000_000, "--rate: " + rate + " is outside 0..10000000");
            check(
                    timeFrom.equals("due") || timeFrom.equals("sent"),
                    "--time-from: '" + timeFrom + "' is neither due nor sent");
            check(
                    rate > 0 || !spec.commandLine().getParseResult().hasMatchedOption("--time-from"),
                    "--time-from says where a paced operation's latency starts; it needs --rate");
            check(
                    rate == 0 || !wl.contains(Workload.SCALE),
                    "--rate paces the cells of the other workloads; the scale workload runs its own cells unpaced");
            check(
                    warmupOps >= 0 && directWarmupOps >= 0 && warmupMs >= 0 && warmupQuietMs >= 0,
                    "--warmup-ops, --direct-warmup-ops, --warmup-ms and --warmup-quiet-ms must be >= 0");
            check(warmupMs <= 3_600_000, "--warmup-ms: " + warmupMs + " is outside 0..3600000");
            check(
                    warmupQuietMs == 0 || warmupQuietMs >= JitQuiet.MIN_QUIET_MS && warmupQuietMs <= 600_000,
                    "--warmup-quiet-ms: " + warmupQuietMs + " is neither 0 nor within 1000..600000");
            new ZipfGenerator(2, zipfTheta);
            check(
                    !syscalls || ts.stream().noneMatch(TargetSpec::remote),
                    "--syscalls counts a server process's system calls with perf, and a url: or bare: target has no"
                            + " server process here; drop --syscalls or those targets");
            check(!mx.isEmpty() || wl.stream().allMatch(x -> x == Workload.PING), "--mix: no mix given");
            if (ts.stream().anyMatch(t -> t.kind() == TargetSpec.Kind.CHRONICLE) && !ChronicleKv.onClassPath()) {
                throw new IllegalArgumentException(BenchServer.chronicleMissing(
                        spec.commandLine().getParseResult().originalArgs())); // before any server starts
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        boolean scale = wl.contains(Workload.SCALE);
        if (scale) {
            if (targets.isEmpty()) {
                ts = List.of(
                        new TargetSpec(TargetSpec.Kind.DIRECT, null),
                        new TargetSpec(TargetSpec.Kind.SHAREDMAP, null),
                        new TargetSpec(TargetSpec.Kind.REDIS, null));
            }
            if (!spec.commandLine().getParseResult().hasMatchedOption("--processes")) {
                processes = List.of(1, 10);
            }
            if (!spec.commandLine().getParseResult().hasMatchedOption("--mix")) {
                mx = List.of(Mix.READ, Mix.WRITE);
            }
        }
        if (!wl.contains(Workload.PING) && ts.size() > 0 && wl.stream().anyMatch(Workload::needsPreload)) {
            w.println("note: add --workload ...,ping to see every figure beside the socket round-trip floor");
        }
        if (fs == Fsync.NEVER && ts.stream().anyMatch(t -> t.kind() == TargetSpec.Kind.DIRECT && t.managed())) {
            w.println(
                    "WARNING: --fsync never: the sharedmap daemon offers no direct reads in never mode, so the direct "
                            + "target reads through the socket (direct % = 0)");
        }

        Path outDir = out != null
                ? out
                : Path.of("bench-results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(outDir);
        Path logDir = Files.createDirectories(outDir.resolve("logs"));
        Path work = Files.createTempDirectory(
                workDir != null ? Files.createDirectories(workDir) : Path.of(System.getProperty("java.io.tmpdir")),
                "smbench");
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String classPath = System.getProperty("java.class.path");
        List<String> daemonOpts = new ArrayList<>(daemonJvmOptions);
        Load load = new Load(
                ops,
                keys,
                scale ? keySize : 0,
                valueSize,
                zipfTheta,
                seed,
                warmupOps,
                directWarmupOps,
                warmupMs,
                warmupQuietMs);
        CellRunner.Spawn spawn = new CellRunner.Spawn(
                java,
                classPath,
                workerJvmOptions.isEmpty() ? List.of("-XX:+UseSerialGC", "-Xms64m", "-Xmx256m") : workerJvmOptions,
                logDir,
                work,
                warmupMs + 120_000, // the workers' READY: start-up, connecting, the warm-up
                cellTimeoutS * 1000,
                syscalls,
                clientSpinUs,
                rate,
                timeFrom.equals("due"),
                clientPlain);
        BenchServer.Launch launch = new BenchServer.Launch(
                fs,
                work,
                logDir,
                java,
                classPath,
                daemonOpts,
                daemonArgs,
                redisServer,
                jfr ? outDir.toAbsolutePath().resolve("daemon.jfr") : null,
                load);

        List<String> args = spec.commandLine().getParseResult().originalArgs();
        int named = args.indexOf("bench");
        if (named >= 0 && args.subList(0, named).stream().allMatch(a -> a.startsWith("-"))) {
            args = args.subList(named + 1, args.size()); // through the CLI they start with the subcommand's name
        }
        RunInfo info = RunInfo.collect(RunInfo.shellWords(args), fs, load);
        if (scale) {
            info.fields.put("key_size", Integer.toString(keySize));
            info.fields.put("processes", processes.toString());
        }
        if (note != null) {
            info.fields.put("note", note);
        }
        w.println("sharedmap bench: " + info.describeMachine());
        w.println("results -> " + outDir.toAbsolutePath());
        w.flush();

        List<BenchServer> servers = new ArrayList<>();
        List<CellResult> results = new ArrayList<>();
        // Interrupted (Ctrl-C, SIGTERM): leave no worker, daemon or redis-server behind.
        Thread cleanup = new Thread(
                () -> {
                    CellRunner.killAll();
                    synchronized (servers) {
                        servers.forEach(BenchServer::close);
                    }
                },
                "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        if (scale) {
            ScaleRun.Settings settings = new ScaleRun.Settings(
                    keys,
                    keySize,
                    valueSize,
                    seed,
                    processes,
                    mx,
                    loadTimeoutS * 1000,
                    settleTimeoutS * 1000,
                    settleQuietMs,
                    SCALE_SERVE_TIMEOUT_MS,
                    verifyKeys);
            try {
                return runScale(new ScaleRun(settings, ts, launch, load, spawn, logDir, w, servers), info, fs, outDir);
            } finally {
                synchronized (servers) {
                    servers.forEach(BenchServer::close);
                }
                BenchServer.deleteStores(launch);
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook runs
                }
                deleteTree(work);
            }
        }
        try {
            for (TargetSpec t : ts) {
                BenchServer s = BenchServer.start(t, launch);
                synchronized (servers) {
                    servers.add(s);
                }
                info.addServer(s.label(), s.version(), s.where());
                w.println("target " + s.label() + " (" + s.version() + (s.spec().remote() ? "" : ", pid " + s.pid())
                        + ") on " + s.where());
                w.flush();
                KvClient.Reads reads = s.spec().kind() == TargetSpec.Kind.CHRONICLE
                        ? null
                        : warmServer(s, Math.min(3 * warmupMs, 5_000));
                if (s.spec().kind() == TargetSpec.Kind.DIRECT) {
                    if (reads != null && reads.viewMapped() && reads.direct() > 0) {
                        w.printf(
                                Locale.ROOT,
                                "target %s: the client mapped the daemon's store (warm-up: %,d GETs direct, %,d "
                                        + "through the socket)%n",
                                s.label(),
                                reads.direct(),
                                reads.socket());
                    } else {
                        w.printf(
                                Locale.ROOT,
                                "WARNING: target %s: the client could not read the daemon's store (%s); its GETs "
                                        + "go through the socket%n",
                                s.label(),
                                reads == null
                                        ? "no read counts"
                                        : "store mapped: " + reads.viewMapped() + ", warm-up GETs direct "
                                                + reads.direct() + ", socket " + reads.socket());
                    }
                }
            }
            long timerNs = timerOverheadNs();
            info.fields.put("timer_overhead_ns", Long.toString(timerNs));
            w.printf(
                    Locale.ROOT,
                    "timing one operation (clock read + histogram record) costs about %d ns by itself; "
                            + "every latency below includes it%n",
                    timerNs);
            double load1 = RunInfo.loadAverage();
            info.fields.put("load_average_at_start", Double.toString(load1));
            if (load1 > 0.5) {
                w.printf(
                        Locale.ROOT,
                        "WARNING: the machine is busy (load average %.2f): other processes compete for "
                                + "the CPUs and the numbers will be noisy%n",
                        load1);
            }
            Report.printCellHeader(w);
            for (Workload workload : wl) {
                for (BenchServer s : servers) {
                    if (s.spec().kind() != TargetSpec.Kind.CHRONICLE) { // its host preloaded everything
                        prepare(s, workload, load, w);
                    }
                }
                for (Mix mix : workload.mixes(mx)) {
                    for (int rep = 0; rep < repeat; rep++) {
                        for (int p : processes) {
                            for (BenchServer s : servers) {
                                if (!s.alive()) {
                                    throw new IOException(
                                            "target " + s.label() + " is no longer running; see " + logDir);
                                }
                                if (workload == Workload.PING && s.spec().kind() == TargetSpec.Kind.CHRONICLE) {
                                    continue; // no server, nothing to ping
                                }
                                CellResult r = CellRunner.run(s, workload, mix, p, load, spawn)
                                        .withRepetition(rep);
                                results.add(r);
                                Report.printCell(w, r);
                                if (rate > 0 && r.ok() && r.opsPerSecond() < 0.95 * rate) {
                                    w.printf(
                                            "note: this cell reached %,.0f of the %,d operations a second asked: the"
                                                    + " server or the machine could not keep up, and latencies from"
                                                    + " the due time include the backlog%n",
                                            r.opsPerSecond(), rate);
                                }
                                w.flush();
                            }
                        }
                    }
                }
            }
        } finally {
            synchronized (servers) {
                servers.forEach(BenchServer::close);
            }
            BenchServer.deleteStores(launch);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs
            }
            deleteTree(work);
            if (!results.isEmpty()) {
                ResultsWriter.write(outDir, info, results);
                MarkdownSummary.write(outDir.resolve("summary.md"), info, CellResult.medians(results));
                if (!noCharts) {
                    String problem = Charts.write(outDir, CellResult.medians(results));
                    if (problem != null) {
                        w.println("charts skipped: " + problem);
                    }
                }
                if (repeat > 1) {
                    w.printf(
                            Locale.ROOT,
                            "%nEach cell ran %d times; the tables below show the run with the median throughput.%n",
                            repeat);
                }
                Report.printSummary(w, CellResult.medians(results), keys, valueSize);
                w.println();
                w.println("results written to " + outDir.toAbsolutePath()
                        + " (summary.md, results.csv, results.json, hgrm/, " + (noCharts ? "" : "*.png, ") + "logs/)");
                w.flush();
            }
        }
        return results.stream().allMatch(CellResult::ok) ? 0 : 1;
    }

    /**
     * The targets: {@code --target}s and {@code --url}s in that order, else {@code $SHAREDMAP_URL}
     * (said on {@code w}), else {@code sharedmap}.
     */
    private List<TargetSpec> chooseTargets(@Nullable String envUrl, PrintWriter w) {
        List<TargetSpec> ts = new ArrayList<>();
        targets.stream().map(TargetSpec::parse).forEach(ts::add);
        urls.stream().map(u -> TargetSpec.ofUrl(TargetSpec.Kind.PORTABLE, u)).forEach(ts::add);
        if (ts.isEmpty() && envUrl != null && !envUrl.isEmpty()) {
            TargetSpec t = TargetSpec.ofUrl(TargetSpec.Kind.PORTABLE, envUrl);
            w.println("target from $" + SharedMapPaths.URL_ENV + ": " + t);
            ts.add(t);
        }
        if (ts.isEmpty()) {
            ts.add(TargetSpec.parse("sharedmap"));
        }
        return ts.stream().distinct().toList();
    }

    /** How long, after a restart, the scale workload waits for a GET of a known key to answer. */
    static final long SCALE_SERVE_TIMEOUT_MS = 120_000;

    /** {@code --workload scale}: runs it, writes every output, prints the tables; 0 when nothing failed. */
    private int runScale(ScaleRun run, RunInfo info, Fsync fs, Path outDir) throws IOException, InterruptedException {
        PrintWriter w = spec.commandLine().getOut();
        info.fields.put("load_average_at_start", Double.toString(RunInfo.loadAverage()));
        ScaleRun.Result r = run.run();
        r.servers.forEach((label, version) -> info.addServer(label, version, ""));
        List<String> problems = ScaleReport.problemLines(r);
        List<DirectGoals.Table> tables = ScaleReport.tables(r, fs);
        ResultsWriter.write(outDir, info, r.cells, ScaleReport.json(r));
        ScaleReport.writeCsv(outDir.resolve("scale.csv"), r);
        MarkdownSummary.write(outDir.resolve("summary.md"), info, CellResult.medians(r.cells), problems, tables);
        if (!noCharts && !r.cells.isEmpty()) {
            String problem = Charts.write(outDir, CellResult.medians(r.cells));
            if (problem != null) {
                w.println("charts skipped: " + problem);
            }
        }
        for (DirectGoals.Table t : tables) {
            Report.printTable(w, t);
        }
        w.println();
        for (String p : problems) {
            w.println(p);
        }
        w.println("results written to " + outDir.toAbsolutePath()
                + " (summary.md, scale.csv, results.csv, results.json, hgrm/, " + (noCharts ? "" : "*.png, ")
                + "logs/)");
        w.flush();
        return problems.isEmpty() && r.cells.stream().allMatch(CellResult::ok) ? 0 : 1;
    }

    /** What --workload scale needs of the other options. */
    private void checkScale(List<Workload> wl, List<TargetSpec> ts) {
        check(wl.size() == 1, "--workload scale runs alone (it loads, restarts and kills its own servers)");
        for (TargetSpec t : ts) {
            check(
                    t.managed(),
                    "--workload scale: target " + t + " is already running; scale starts, restarts and kills "
                            + "its own servers");
        }
        int min = ScaleKeys.minKeySize(keys);
        check(
                keySize >= min && keySize <= 1024,
                "--key-size: " + keySize + " is outside " + min + "..1024 (" + min + " digits tell " + keys
                        + " keys apart)");
        check(
                loadTimeoutS >= 1 && settleTimeoutS >= 0 && settleQuietMs >= 100,
                "--load-timeout must be >= 1, --settle-timeout >= 0 and --settle-quiet-ms >= 100");
        check(verifyKeys >= 1 && verifyKeys <= 1_000_000, "--verify-keys: " + verifyKeys + " is outside 1..1000000");
        check(repeat == 1, "--workload scale runs every cell once (--repeat " + repeat + ")");
    }

    /**
     * Warms a server's request paths (its JIT, its caches) once, before the first cell, so the
     * first cell does not pay for it: ping, set and get from this process, bounded by count and time.
     */
    private static KvClient.@Nullable Reads warmServer(BenchServer s, long warmupMs) throws IOException {
        byte[] key = "bench:warmup".getBytes(StandardCharsets.US_ASCII);
        byte[] value = KeySpace.value(100, 1);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(warmupMs);
        try (KvClient kv = s.connect()) {
            for (int i = 0; i < 200_000 && System.nanoTime() < deadline; i++) {
                switch (i % 3) {
                    case 0 -> kv.ping();
                    case 1 -> kv.set(key, value);
                    default -> kv.get(key);
                }
            }
            return kv.reads();
        }
    }

    /**
     * What timing one operation costs by itself: the median interval of a loop doing nothing but
     * what the workers' timed loop does besides the operation (read the clock, record in the
     * histogram), after an untimed first pass so it runs compiled, as the workers' loop does after
     * warm-up. The median ignores preemptions. Every recorded latency includes about this much;
     * bounded to ~200 ms.
     */
    static long timerOverheadNs() {
        Histogram h = BenchWorker.newHistogram();
        for (int pass = 0; pass < 2; pass++) {
            h.reset(); // the first pass only warms up
            long t0 = System.nanoTime();
            long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(100);
            for (int i = 0; i < 200_000 && t0 < deadline; i++) {
                long t1 = System.nanoTime();
                h.recordValue(Math.min(t1 - t0, BenchWorker.HIGHEST_TRACKABLE_NS));
                t0 = t1;
            }
        }
        return h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(50);
    }

    private static void prepare(BenchServer s, Workload workload, Load load, PrintWriter w) throws IOException {
        try (KvClient kv = s.connect()) {
            switch (workload) {
                case SEED -> kv.set(KeySpace.seedKey(), KeySpace.seedValue());
                case UNIFORM, ZIPF -> {
                    long t0 = System.nanoTime();
                    kv.preload(KeySpace.keys(load.keys()), KeySpace.value(load.valueSize(), load.seed()));
                    w.printf(
                            "preloaded %,d keys of %d bytes into %s in %.2f s%n",
                            load.keys(), load.valueSize(), s.label(), (System.nanoTime() - t0) / 1e9);
                }
                case PING -> kv.ping();
                case SCALE -> throw new IllegalStateException("the scale workload loads its own keys (ScaleRun)");
            }
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
