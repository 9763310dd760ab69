package io.sharedmap.bench;

import io.sharedmap.launcher.Daemon;
import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.launcher.DaemonSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * One target server for the whole run: either a process the harness started (a sharedmap daemon
 * or a redis-server, on a fresh data directory, stopped with SIGTERM at the end) or one already
 * running that it only connects to.
 */
final class BenchServer implements AutoCloseable {
    /** Long enough for a daemon (or Redis) recovering tens of millions of keys on a busy 2-CPU machine. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(300);

    private static final long START_TIMEOUT_MS = START_TIMEOUT.toMillis();
    private static final long STOP_TIMEOUT_MS = 30_000;

    private final TargetSpec spec;
    /** The server's Unix socket (the chronicle map's file); null for a target named by a URL. */
    private final @Nullable Path socket;

    private final @Nullable Process process;
    private final long pid;
    private final String label;
    private final String version;
    private @Nullable Path jfrFile;
    private @Nullable String jcmd;

    /** The name of the flight recording started in the daemon with {@code --jfr}. */
    static final String JFR_RECORDING = "sharedmap-bench";

    private BenchServer(
            TargetSpec spec, @Nullable Path socket, @Nullable Process process, long pid, String label, String version) {
        this.spec = spec;
        this.socket = socket;
        this.process = process;
        this.pid = pid;
        this.label = label;
        this.version = version;
    }

    /** Settings for starting servers. */
    record Launch(
            Fsync fsync,
            Path workDir,
            Path logDir,
            String javaCommand,
            String classPath,
            List<String> daemonJvmOptions,
            List<String> daemonArgs,
            String redisServer,
            @Nullable Path jfrFile,
            BenchCommand.Load load) {}

    static BenchServer start(TargetSpec spec, Launch launch) throws IOException, InterruptedException {
        if (spec.remote()) {
            try (KvClient kv = KvClient.connect(spec, null, -1)) {
                kv.ping();
            } catch (RuntimeException e) {
                throw new IOException("target " + spec + " does not answer: " + e.getMessage(), e);
            }
            String version = spec.kind() == TargetSpec.Kind.BARE
                    ? "the engine's own client (" + (spec.urlLabel().startsWith("etcd") ? "jetcd" : "Lettuce") + ")"
                    : "sharedmap's portable API";
            return new BenchServer(spec, null, null, -1, spec.urlLabel(), version);
        }
        if (!spec.managed()) {
            Path given = Objects.requireNonNull(spec.socket(), "a target not managed has a socket");
            try (KvClient kv = KvClient.connect(spec.kind(), given)) {
                long pid = kv.serverPid();
                String version = kv instanceof RedisKv r ? "redis " + r.serverVersion() : "sharedmap";
                return new BenchServer(spec, given, null, pid, spec.kind().label() + "@" + spec.socket(), version);
            }
        }
        return switch (spec.kind()) {
            case SHAREDMAP, DIRECT -> startSharedMap(spec, launch);
            case REDIS -> startRedis(spec, launch);
            case CHRONICLE -> startChronicle(spec, launch);
            case PORTABLE, BARE -> throw new IllegalStateException("a target named by a URL is never started");
        };
    }

    private static BenchServer startSharedMap(TargetSpec spec, Launch launch) throws IOException, InterruptedException {
        // sharedmap and direct each get their own daemon (same flags), so both can run in one invocation.
        boolean direct = spec.kind() == TargetSpec.Kind.DIRECT;
        Path dir = launch.workDir().resolve(direct ? "direct-data" : "sharedmap-data");
        Path socket = launch.workDir().resolve(direct ? "direct.sock" : "sm.sock");
        Path jfr = launch.jfrFile() == null || !direct
                ? launch.jfrFile()
                : launch.jfrFile().resolveSibling("daemon-direct.jfr");
        List<String> jvm = new ArrayList<>(launch.daemonJvmOptions());
        if (jfr != null) {
            jvm.add("-XX:StartFlightRecording=name=" + JFR_RECORDING + ",settings=profile");
        }
        DaemonSpec daemon = DaemonSpec.of(dir, socket)
                .withClassPath(launch.classPath())
                .withJvmOptions(jvm)
                .withServerArgs(
                        "--durability",
                        launch.fsync().sharedMapMode(),
                        "--store-dir",
                        storeDir(launch, direct).toString())
                .withServerArgs(launch.daemonArgs());
        Path log = launch.logDir().resolve("daemon-" + spec.kind().label() + ".log");
        Daemon d = DaemonLauncher.start(daemon, log);
        try {
            d.awaitServing(START_TIMEOUT);
        } catch (IOException e) {
            stopProcess(d.process());
            throw new IOException(e.getMessage() + "\ncommand: " + String.join(" ", DaemonLauncher.command(daemon)), e);
        }
        String label = spec.kind().label() + "(" + launch.fsync().sharedMapMode() + ")";
        BenchServer server = new BenchServer(
                spec,
                socket,
                d.process(),
                d.pid(),
                label,
                direct ? "sharedmap, GET from its mapped store" : "sharedmap");
        server.jfrFile = jfr;
        server.jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        return server;
    }

    /**
     * The daemon's mapped store: in memory (/dev/shm), as a daemon keeps it by default, under a name
     * of this run's, so that {@link #deleteStores} finds it; beside the data directory without /dev/shm.
     */
    static Path storeDir(Launch launch, boolean direct) {
        Path shm = Path.of("/dev/shm");
        String name = "sharedmap-bench-" + ProcessHandle.current().pid() + (direct ? "-direct" : "-socket");
        return Files.isDirectory(shm) ? shm.resolve(name) : launch.workDir().resolve(name);
    }

    /** Deletes the stores this run's daemons kept in /dev/shm (they hold memory until removed). */
    static void deleteStores(Launch launch) {
        for (boolean direct : new boolean[] {true, false}) {
            Path d = storeDir(launch, direct);
            if (!Files.exists(d)) {
                continue;
            }
            try (Stream<Path> all = Files.walk(d)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                System.err.println("bench: could not delete " + d + ": " + e);
            }
        }
    }

    private static BenchServer startRedis(TargetSpec spec, Launch launch) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(launch.workDir().resolve("redis-data"));
        Path socket = launch.workDir().resolve("redis.sock");
        List<String> cmd = List.of(
                launch.redisServer(),
                "--port",
                "0",
                "--unixsocket",
                socket.toString(),
                "--unixsocketperm",
                "700",
                "--dir",
                dir.toString(),
                "--appendonly",
                "yes",
                "--appendfsync",
                launch.fsync().redisAppendFsync(),
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                "");
        Path log = launch.logDir().resolve("daemon-redis.log");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(
                    "cannot start " + launch.redisServer() + " (" + e.getMessage()
                            + "); install it (apt-get install redis-server), pass --redis-server PATH, or use --target redis:SOCKET",
                    e);
        }
        p.getOutputStream().close();
        pump(p, log, null, null);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("redis-server exited with code " + p.exitValue() + " at start; see " + log);
            }
            if (Files.exists(socket)) {
                try (RedisKv kv = RedisKv.connect(socket)) {
                    String version = "redis " + kv.serverVersion();
                    String label = "redis(appendfsync " + launch.fsync().redisAppendFsync() + ")";
                    return new BenchServer(spec, socket, p, p.pid(), label, version);
                } catch (IOException e) {
                    // not accepting yet
                }
            }
            if (System.nanoTime() > deadline) {
                stopProcess(p);
                throw new IOException("redis-server did not accept connections on " + socket + " within "
                        + START_TIMEOUT_MS / 1000 + " s; see " + log);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Why {@code --target chronicle} cannot run in this JVM, with the command that runs {@code bench}
     * with {@code args} (the command line, with or without the words before {@code bench}) from the
     * source tree with Chronicle Map on the class path.
     */
    static String chronicleMissing(List<String> args) {
        List<String> words = new ArrayList<>(List.of("bench"));
        words.addAll(args.subList(args.indexOf("bench") + 1, args.size())); // indexOf -1: all of them
        String command = " " + RunInfo.shellWords(words);
        return "--target chronicle needs net.openhft:chronicle-map on the class path, and bin/sharedmap does not put"
                + " it there. From the source tree (after bin/sharedmap has built it), run:\n"
                + "  t=sharedmap-cli/target; b=sharedmap-bench/target; cp=$(cat $b/jmh.classpath)\n"
                + "  bin/with-jdk java -cp \"$t/sharedmap-cli.jar:$t/lib/*:$b/sharedmap-bench.jar:$cp\" io.sharedmap.cli.Main"
                + command;
    }

    /**
     * The {@code chronicle} target: a {@link ChronicleHost} JVM creates and preloads the map file and
     * holds it; the workers map the same file. Needs Chronicle Map on the class path.
     */
    private static BenchServer startChronicle(TargetSpec spec, Launch launch) throws IOException, InterruptedException {
        if (!ChronicleKv.onClassPath()) {
            throw new IOException(
                    chronicleMissing(List.of("--target", "chronicle", "..."))); // BenchCommand checks first
        }
        Path file = Files.createDirectories(launch.workDir().resolve("chronicle-data"))
                .resolve("bench.cm");
        List<String> cmd = new ArrayList<>();
        cmd.add(launch.javaCommand());
        cmd.addAll(ChronicleKv.JVM_OPTIONS);
        cmd.add("-cp");
        cmd.add(launch.classPath());
        cmd.add(ChronicleHost.class.getName());
        cmd.addAll(List.of(
                file.toString(),
                Integer.toString(launch.load().keys()),
                Integer.toString(launch.load().valueSize()),
                Long.toString(launch.load().seed()),
                Integer.toString(launch.load().keySize())));
        Path log = launch.logDir().resolve("daemon-chronicle.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        CountDownLatch ready = new CountDownLatch(1);
        String[] readyLine = new String[1];
        pump(p, log, ready, ChronicleHost.READY, readyLine);
        if (!ready.await(START_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            stopProcess(p);
            throw new IOException("the chronicle host did not print '" + ChronicleHost.READY + "' within "
                    + START_TIMEOUT_MS / 1000 + " s (exit code " + (p.isAlive() ? "none, killed" : p.exitValue())
                    + "); see " + log + "\ncommand: " + String.join(" ", cmd));
        }
        String line = readyLine[0];
        String version = line.substring(line.indexOf(':') + 1).trim();
        int comma = version.indexOf(',');
        return new BenchServer(
                spec, file, p, p.pid(), "chronicle(mmap file)", comma > 0 ? version.substring(0, comma) : version);
    }

    private static void pump(Process p, Path log, @Nullable CountDownLatch ready, @Nullable String readyText)
            throws IOException {
        pump(p, log, ready, readyText, new String[1]);
    }

    /**
     * Copies the process's output to {@code log}; at the first line containing {@code readyText}
     * stores it in {@code readyLine[0]} and counts {@code ready} down.
     */
    private static void pump(
            Process p,
            Path log,
            @Nullable CountDownLatch ready,
            @Nullable String readyText,
            @Nullable String[] readyLine)
            throws IOException {
        PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        Thread.ofPlatform().daemon().name("bench-server-log").start(() -> {
            try (w;
                    BufferedReader r =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    w.println(line);
                    if (ready != null && ready.getCount() > 0 && line.contains(readyText)) {
                        readyLine[0] = line;
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                w.println("[bench] log pump: " + e);
            }
        });
    }

    /**
     * Dumps the daemon's flight recording with jcmd before it is stopped (the daemon's own shutdown
     * may end the JVM before a dump-on-exit could run).
     */
    private void dumpFlightRecording() throws InterruptedException {
        Process process = this.process;
        if (jfrFile == null || process == null || !process.isAlive()) {
            return;
        }
        try {
            Process j = new ProcessBuilder(
                            jcmd,
                            Long.toString(pid),
                            "JFR.dump",
                            "name=" + JFR_RECORDING,
                            "filename=" + jfrFile.toAbsolutePath())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!j.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                j.destroyForcibly();
            }
        } catch (IOException e) {
            System.err.println("bench: could not dump the flight recording with " + jcmd + ": " + e.getMessage());
        }
    }

    private static void stopProcess(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * This sharedmap daemon read the other way, {@code direct} or {@code sharedmap}, under that
     * target's label: for a run that loads one daemon and measures both read paths on it (the scale
     * workload). It does not own the daemon: closing it leaves the daemon running.
     */
    BenchServer readAs(TargetSpec.Kind kind) {
        if (!spec.kind().sharedMap() || !kind.sharedMap()) {
            throw new IllegalArgumentException(label + " cannot be read as " + kind.label());
        }
        int paren = label.indexOf('(');
        return new BenchServer(
                new TargetSpec(kind, socket),
                socket,
                null,
                pid,
                kind.label() + (paren < 0 ? "" : label.substring(paren)),
                kind == TargetSpec.Kind.DIRECT ? "sharedmap, GET from its mapped store" : "sharedmap");
    }

    TargetSpec spec() {
        return spec;
    }

    Path socket() {
        return Objects.requireNonNull(socket, "a target named by a URL has no socket");
    }

    /** Where the target is: its socket or file, or its URL (without a password). */
    String where() {
        return spec.remote() ? spec.toString() : String.valueOf(socket);
    }

    /** A client of this target, as the workers connect. */
    KvClient connect() throws IOException {
        return KvClient.connect(spec, socket, -1);
    }

    /** A short name for tables and charts, with the durability setting, e.g. {@code sharedmap(interval)}. */
    String label() {
        return label;
    }

    String version() {
        return version;
    }

    long pid() {
        return pid;
    }

    /** The server process's total CPU time so far (all threads), or -1 if it cannot be read. */
    long cpuNs() {
        return ProcessHandle.of(pid)
                .flatMap(h -> h.info().totalCpuDuration())
                .map(Duration::toNanos)
                .orElse(-1L);
    }

    /** Whether this run started the server (so its data is in the run's work directory). */
    boolean started() {
        return process != null;
    }

    /** Whether the server we started is still running (always true for one we did not start). */
    boolean alive() {
        return process == null || process.isAlive();
    }

    /** Stops a server we started (SIGTERM, then SIGKILL after a bound); leaves others alone. */
    @Override
    public void close() {
        if (process != null) {
            try {
                dumpFlightRecording();
                stopProcess(process);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
