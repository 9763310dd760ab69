package io.sharedmap.torture;

import io.sharedmap.client.BackendUrl;
import io.sharedmap.client.Entry;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.Options;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.launcher.WorkerReport;
import io.sharedmap.torture.LinearizabilityChecker.Outcome;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The coordinator of {@code sharedmap torture}: starts (or finds) the daemon, spawns the worker
 * processes, releases them together, watches for stalls, kills and restarts the daemon when asked
 * ({@code --crash}), then merges the workers' results and runs the five checks.
 *
 * <p>Checks, and what fails them:
 *
 * <ol type="a">
 *   <li>corruption: a value read (by a worker during the run, by the coordinator after each restart
 *       and at the end) that is torn, mixed, crossed between keys, of another run, or stamped with
 *       a (writer, write number) that writer never reached;
 *   <li>lost updates: a counter whose final value is not the number of acknowledged increments
 *       (increments whose outcome is unknown, when a call threw, widen the allowed range);
 *   <li>linearizability: a history key whose merged history has no legal order ({@link
 *       LinearizabilityChecker}); a key whose search hit the bound is reported as unknown, which
 *       makes the run inconclusive;
 *   <li>stalls: no operation completing for {@code --stall-seconds}: the daemon's and workers'
 *       thread dumps are saved and the run fails;
 *   <li>direct reads: a run meant to have direct readers (threads whose clients read GET from the
 *       daemon's mapped store) in which the store answered no GET, or no history GET (the checks
 *       above would then pass without ever judging a direct read); a socket-only client that read
 *       the store; at the end, a key whose value or version read from the store differs from the
 *       socket's; and with {@code --crash}, after a restart, a probe client that mapped the first
 *       daemon's store and does not read the write it just had acknowledged from the new daemon's
 *       store, or a worker whose direct clients made many GETs and the store answered none (both
 *       must read the new daemon's store: the same files when it continued the store, new ones
 *       when it rebuilt it).
 * </ol>
 *
 * The direct and the socket GETs of the history keys go into the same histories, so check (c)
 * judges them together: a direct read that misses an acknowledged write makes a key's history
 * non-linearizable.
 *
 * Also failing: a daemon that dies by itself, a value or counter that went back after a restart,
 * client errors of recovering clients (they should hide restarts), a worker that breaks.
 *
 * <p>Through a URL ({@code --url}: any backend, the portable API) there is no daemon of the tool's
 * own: checks (a) to (d) run the same, with plain clients (no backend behind a URL resends a change
 * exactly once: a call that threw is an operation of unknown outcome in the history, and an
 * increment of unknown outcome widens the counter's range), (e) is a note saying it was not judged,
 * and failures of the engine (members killed, failovers) come from outside. The histories' times are
 * {@link System#nanoTime()} of the worker processes, all on this machine, whatever machines the
 * engine runs on.
 */
public final class TortureRun {
    /** Exit status of a clean run. */
    public static final int CLEAN = 0;
    /** Exit status when a check failed or was inconclusive. */
    public static final int FAILED = 1;

    private static final long HEARTBEAT_TIMEOUT_MS = 60_000;

    private final TortureConfig c;
    private final PrintWriter out;
    private final int runId;
    private final SplittableRandom random;
    /** What the run found wrong, filed under the check it breaks where it is found. */
    private final Findings findings = new Findings();

    private final List<String> clientErrors = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong lastProgressNs = new AtomicLong();
    private final List<Worker> workers = new ArrayList<>();
    private final List<Long> restartMs = new ArrayList<>();
    /** The daemon this run starts, kills and restarts; null when it tortures one already running. */
    private final @Nullable TortureDaemon daemon;

    /** The daemon's socket; null when the run goes through {@link #url}. */
    private final @Nullable Path socket;

    /** The map to torture through the portable API, or null for a daemon. */
    private final @Nullable URI url;

    private final Path results;
    /** Where the run keeps its files: the daemon's data, the results; deleted after a clean run if temporary. */
    private final Path work;

    private final boolean temporary;
    private final AtomicLong longestGapNs = new AtomicLong();
    private volatile boolean stalled;
    private volatile int kills;
    private int crashChecks;
    /** Daemon restarts announced to the workers ({@code R <n>}): kills and deaths. */
    private int restarts;

    private int directThreads;
    /**
     * With --crash and direct readers: a direct-reading client of the coordinator's, which maps the
     * first daemon's store and is kept across every restart (see {@link #checkAfterRestart}).
     */
    private @Nullable SharedMap restartProbe;

    private int probeReadsAfterKills;
    /**
     * Direct threads' GETs after a restart of which the store must have answered at least one: with
     * the daemon's default key mode every key of the run is in the store's public side, so a GET
     * falls back to the socket only while the client has no store mapped, when an entry kept
     * changing under it, or for an absent key while the private side holds keys; this many
     * fallbacks in a row mean the client never read the new daemon's store.
     */
    private static final long STORE_READ_WITHIN_GETS = 64;

    /** @throws IOException when the run's temporary directory cannot be created */
    public TortureRun(TortureConfig config, PrintWriter out) throws IOException {
        this.c = config;
        this.out = out;
        this.random = new SplittableRandom(config.seed());
        int id;
        do {
            id = random.nextInt();
        } while (id == 0);
        this.runId = id;
        Path given = c.socket();
        Path dir = c.dir();
        this.url = c.url();
        if (url != null) {
            socket = null;
            work = Files.createTempDirectory(Path.of("/tmp"), "sharedmap-torture-");
            temporary = true;
            results = work;
            daemon = null;
        } else if (given != null) {
            socket = given;
            work = Files.createTempDirectory(Path.of("/tmp"), "sharedmap-torture-");
            temporary = true;
            results = work;
            daemon = null;
        } else {
            temporary = dir == null;
            work = dir != null ? dir : Files.createTempDirectory(Path.of("/tmp"), "sharedmap-torture-");
            socket = work.resolve("torture.sock");
            results = work.resolve("torture-" + Integer.toUnsignedString(runId, 16));
            List<String> serverOptions = new ArrayList<>();
            if (!c.directReads()) {
                serverOptions.add("--no-direct-reads");
            }
            if (c.daemonJvmOptions().contains("-D" + TortureCommand.UNSAFE_LATE_APPLY_PROPERTY + "=true")) {
                // The broken mode acknowledges a batch before applying it only to the threads that wait
                // for its leader; an I/O thread that leads the commit itself answers after the late apply.
                // Two I/O threads wait for each other's commits, so the stale window reaches clients.
                serverOptions.addAll(List.of("--io-threads", "2"));
            }
            daemon = new TortureDaemon(
                    work.resolve("data"),
                    socket,
                    c.durability(),
                    c.cpus(),
                    c.daemonJvmOptions(),
                    serverOptions,
                    c.restartDaemonOptions());
        }
    }

    /** Runs, prints the summary, and returns {@link #CLEAN} or {@link #FAILED}. */
    public int run() throws IOException, InterruptedException {
        Files.createDirectories(results);
        printHeader();
        Thread cleanup = new Thread(
                () -> {
                    destroyAll();
                    if (daemon != null) {
                        try {
                            daemon.close();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                },
                "torture-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        boolean clean = false;
        try {
            if (daemon != null) {
                long ms = daemon.start();
                out.printf("daemon: pid %d on %s, answered after %d ms%n", daemon.pid(), socket, ms);
            } else if (socket != null && !TortureDaemon.answers(socket)) {
                throw new IOException("no daemon answers on " + socket);
            }
            out.flush();
            openRestartProbe();
            try {
                runWorkers();
            } finally {
                if (restartProbe != null) {
                    restartProbe.close();
                }
            }
            clean = verifyAndReport();
        } finally {
            destroyAll();
            if (daemon != null) {
                int status = daemon.stop();
                if (status != 0 && clean) {
                    out.println("the daemon exited with status " + status + " on SIGTERM (expected 0); see "
                            + daemon.log());
                    clean = false;
                }
            }
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
        if (clean && temporary && !c.keep()) {
            deleteTree(work);
        } else {
            out.println("kept: " + (daemon != null ? work : results) + " (daemon.log, worker logs, results"
                    + (stalled ? ", thread dumps" : "") + ")");
        }
        out.println("result: " + (clean ? "PASS" : "FAIL"));
        out.flush();
        return clean ? CLEAN : FAILED;
    }

    private void printHeader() {
        out.printf(
                "sharedmap torture: %.1f s, %d processes x %d threads, %d keys, %d counters, %d history keys"
                        + " (%d ops each), %s clients%n",
                c.durationMs() / 1e3,
                c.processes(),
                c.threads(),
                c.keys(),
                c.counters(),
                c.linKeys(),
                c.linOps(),
                c.recovering() ? "recovering" : "plain");
        URI url = this.url;
        if (url != null) {
            out.printf(
                    "map: %s through the portable API (SharedMap.connect(URI)), run %s, seed %d; no daemon of the"
                            + " tool's own, no crashes (fail the engine from outside), plain clients (no exactly-once"
                            + " resends), stall limit %.0f s%n",
                    BackendUrl.redacted(url.toString()),
                    Integer.toUnsignedString(runId, 16),
                    c.seed(),
                    c.stallMs() / 1e3);
            out.printf(
                    "reads: every GET through the %s backend's client; (e) direct reads not judged%n", url.getScheme());
            out.printf("value lengths: %s%n", ValueLengths.SUMMARY);
            out.flush();
            return;
        }
        out.printf(
                "daemon: %s, durability %s, cpus %s, crash %s, stall limit %.0f s, run %s, seed %d%n",
                c.socket() != null ? "existing on " + c.socket() : "own",
                c.socket() != null ? "(the daemon's)" : c.durability(),
                c.cpus() == 0 ? "all" : Integer.toString(c.cpus()),
                c.crash() ? "kill -9 every ~" + c.crashMeanMs() + " ms" : "no",
                c.stallMs() / 1e3,
                Integer.toUnsignedString(runId, 16),
                c.seed());
        int total = c.processes() * c.threads();
        out.printf(
                "reads: %d of %d threads read directly from the daemon's mapped store, %d through the socket only;"
                        + " direct reads %s%n",
                directThreadCount(total),
                total,
                total - directThreadCount(total),
                c.socket() != null ? "(the daemon's)" : c.directReads() ? "on" : "off");
        out.printf("value lengths: %s%n", ValueLengths.SUMMARY);
        out.flush();
    }

    // ---- workers ----

    /** One worker process and what its output said. */
    private final class Worker {
        final int index;
        final Process process;
        final BufferedWriter stdin;
        final WorkerSpec spec;
        final AtomicLong ops = new AtomicLong();
        volatile boolean done;

        Worker(int index, WorkerSpec spec, Process process) {
            this.index = index;
            this.spec = spec;
            this.process = process;
            this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        }

        synchronized void send(String line) {
            try {
                stdin.write(line);
                stdin.newLine();
                stdin.flush();
            } catch (IOException e) {
                // the worker is gone; its reader reports it
            }
        }

        void read(CountDownLatch ready, CountDownLatch finished) {
            boolean wasReady = false;
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    WorkerReport report = WorkerReport.parse(line);
                    switch (report.kind()) {
                        case TortureWorker.READY -> {
                            wasReady = true;
                            ready.countDown();
                        }
                        case TortureWorker.PROGRESS -> {
                            long n = report.number("ops");
                            if (n > ops.getAndSet(n)) {
                                long now = System.nanoTime();
                                longestGapNs.accumulateAndGet(now - lastProgressNs.getAndSet(now), Math::max);
                            }
                        }
                        case TortureWorker.FAILURE ->
                            findings.add(
                                    Check.fromReportName(report.text("check")),
                                    "worker " + index + ": " + report.text("message"));
                        case TortureWorker.ERROR -> clientErrors.add("worker " + index + ": " + report.text("message"));
                        case TortureWorker.DONE -> done = true;
                        default -> findings.add(Check.RUN, "worker " + index + ": unknown report " + line);
                    }
                }
            } catch (IOException | RuntimeException e) {
                findings.add(Check.RUN, "worker " + index + ": cannot read its output: " + e);
            }
            try {
                int status = process.waitFor();
                if (!done) {
                    findings.add(
                            Check.RUN,
                            "worker " + index + " (pid " + process.pid() + ") exited with status " + status
                                    + " before finishing; see " + results.resolve("worker-" + index + ".log"));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!wasReady) {
                ready.countDown();
            }
            finished.countDown();
        }
    }

    private void runWorkers() throws IOException, InterruptedException {
        CountDownLatch ready = new CountDownLatch(c.processes());
        CountDownLatch finished = new CountDownLatch(c.processes());
        int linOpsPerThread = (int) Math.max(1, (long) c.linOps() * c.linKeys() / ((long) c.processes() * c.threads()));
        int total = c.processes() * c.threads();
        directThreads = directThreadCount(total);
        for (int p = 0; p < c.processes(); p++) {
            StringBuilder kinds = new StringBuilder();
            for (int t = 0; t < c.threads(); t++) { // spread the direct threads evenly over the processes
                long g = (long) p * c.threads() + t;
                kinds.append((g + 1) * directThreads / total > g * directThreads / total ? 'D' : 'S');
            }
            WorkerSpec spec = new WorkerSpec(
                    socket,
                    url == null ? null : url.toString(),
                    runId,
                    p,
                    c.threads(),
                    c.keys(),
                    c.counters(),
                    c.linKeys(),
                    linOpsPerThread,
                    c.durationMs(),
                    random.nextLong(),
                    c.recovering(),
                    c.reconnectWindowMs(),
                    results.resolve("worker-" + p + ".result"),
                    kinds.toString());
            List<String> command = new ArrayList<>(DaemonLauncher.pinned(c.cpus()));
            command.add(DaemonLauncher.javaBinary());
            if (c.cpus() > 0) {
                command.add("-XX:ActiveProcessorCount=" + c.cpus());
            }
            if (url != null) {
                // Netty, under the remote backends' clients, allocates through sun.misc.Unsafe; JDK 25 warns otherwise
                command.add("--sun-misc-unsafe-memory-access=allow");
            }
            command.addAll(List.of(
                    "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), TortureWorker.class.getName()));
            command.addAll(spec.toArgs());
            Process process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(
                            results.resolve("worker-" + p + ".log").toFile()))
                    .start();
            Worker w = new Worker(p, spec, process);
            workers.add(w);
            Thread.ofPlatform().daemon().name("torture-worker-" + p).start(() -> w.read(ready, finished));
        }
        if (!ready.await(HEARTBEAT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            findings.add(Check.RUN, "the workers did not connect within " + HEARTBEAT_TIMEOUT_MS + " ms");
            workers.forEach(w -> w.send("STOP"));
            return;
        }
        long goNs = System.nanoTime();
        lastProgressNs.set(goNs);
        workers.forEach(w -> w.send("GO"));
        long endNs = goNs + TimeUnit.MILLISECONDS.toNanos(c.durationMs());
        long graceNs = TimeUnit.MILLISECONDS.toNanos(c.reconnectWindowMs() + HEARTBEAT_TIMEOUT_MS);
        Thread keeper = daemon == null
                ? null
                : Thread.ofPlatform().name("torture-daemon-keeper").start(() -> keepDaemon(goNs, endNs, finished));
        long lastStatusNs = goNs;
        try {
            while (!finished.await(20, TimeUnit.MILLISECONDS)) {
                long now = System.nanoTime();
                long gap = now - lastProgressNs.get();
                longestGapNs.accumulateAndGet(gap, Math::max);
                if (!stalled && gap > TimeUnit.MILLISECONDS.toNanos(c.stallMs())) {
                    stall(gap);
                }
                if (now - lastStatusNs > TimeUnit.SECONDS.toNanos(10)) {
                    lastStatusNs = now;
                    out.printf(
                            "  %3.0f s: %,d operations, %d kills, %d failures%n",
                            (now - goNs) / 1e9,
                            workers.stream().mapToLong(w -> w.ops.get()).sum(),
                            kills,
                            findings.count());
                    out.flush();
                }
                if (now - endNs > graceNs) {
                    findings.add(
                            Check.RUN,
                            "the workers did not finish within " + TimeUnit.NANOSECONDS.toSeconds(graceNs)
                                    + " s after the duration");
                    workers.forEach(w -> w.send("STOP"));
                    if (!finished.await(10, TimeUnit.SECONDS)) {
                        workers.forEach(w -> w.process.destroyForcibly());
                        finished.await();
                    }
                    break;
                }
            }
        } finally {
            if (keeper != null) {
                // Not interrupted: it sees the workers finished within 50 ms, after finishing a restart and
                // its verification. An interrupt there made the probe's and the check's sockets fail at once
                // (ClosedByInterruptException), reported as a daemon that did not restart.
                keeper.join();
            }
        }
    }

    /**
     * The daemon keeper thread: kills the daemon at random moments until the duration ends ({@code
     * --crash}), restarts it and verifies; and restarts it, as a failure, when it dies by itself.
     */
    private void keepDaemon(long goNs, long endNs, CountDownLatch finished) {
        long nextCrashNs = c.crash() ? goNs + crashDelayNs() : Long.MAX_VALUE;
        TortureDaemon daemon = ownDaemon();
        try {
            while (finished.getCount() > 0) {
                long waitNs = Math.min(nextCrashNs - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(50));
                if (daemon.awaitExit(Math.max(0, waitNs))) {
                    findings.add(
                            Check.RUN,
                            "the daemon (pid " + daemon.pid() + ") died by itself with status " + daemon.exitStatus()
                                    + "; see " + daemon.log());
                    restart("after it died");
                    announceRestart();
                    continue;
                }
                long now = System.nanoTime();
                if (!stalled && now - nextCrashNs >= 0 && now < endNs) {
                    crash();
                    nextCrashNs = System.nanoTime() + crashDelayNs();
                }
            }
        } catch (InterruptedException e) {
            // the run is over
        } catch (IOException e) {
            // recorded by restart(); the workers will stall or finish
        }
    }

    /** Threads (of {@code total}) that read directly: the --direct-readers share, at least one of each kind. */
    private int directThreadCount(int total) {
        double f = c.directReaders();
        if (f <= 0) {
            return 0;
        }
        if (f >= 1) {
            return total;
        }
        long n = Math.round(f * total);
        return (int) Math.max(1, Math.min(n, Math.max(1, total - 1)));
    }

    /** Tells the workers that a new daemon answers: direct GETs from now on must come from its store. */
    private void announceRestart() {
        restarts++;
        String line = "R " + restarts;
        workers.forEach(w -> w.send(line));
    }

    private long crashDelayNs() {
        long mean = TimeUnit.MILLISECONDS.toNanos(c.crashMeanMs());
        return mean / 4 + (long) (random.nextDouble() * mean * 3 / 2);
    }

    /** The watchdog fired: thread dumps of the daemon and the workers, then stop the workers. */
    private void stall(long gapNs) {
        stalled = true;
        List<String> dumps = new ArrayList<>();
        long daemonPid = daemon != null ? daemon.pid() : socket != null ? pidOf(socket) : -1;
        if (daemonPid > 0) {
            Path f = results.resolve("stall-daemon-threads.txt");
            TortureDaemon.threadDump(daemonPid, f);
            dumps.add(f.toString());
        }
        for (Worker w : workers) {
            if (w.process.isAlive()) {
                Path f = results.resolve("stall-worker-" + w.index + "-threads.txt");
                TortureDaemon.threadDump(w.process.pid(), f);
                dumps.add(f.toString());
            }
        }
        findings.add(
                Check.STALLS,
                String.format(
                        "stall: no operation completed for %.1f s (limit %.1f s); thread dumps: %s",
                        gapNs / 1e9,
                        c.stallMs() / 1e3,
                        dumps.isEmpty() ? "none (daemon pid unknown)" : String.join(", ", dumps)));
        workers.forEach(w -> w.send("STOP"));
    }

    private static long pidOf(Path socket) {
        String pid = TortureDaemon.stats(socket).get("pid");
        return pid == null ? -1 : Long.parseLong(pid);
    }

    // ---- crashes ----

    /** kill -9 at a random moment, restart, and check that nothing anyone saw went back. */
    private void crash() throws IOException, InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException();
        }
        Map<String, Entry> before = sample();
        ownDaemon().kill();
        kills++;
        restart("after kill -9 number " + kills);
        announceRestart();
        crashChecks++;
        checkAfterRestart();
        verifyAfterRestart(before);
    }

    /** The run's own daemon: the keeper and the crashes run only with one (not with --socket). */
    private TortureDaemon ownDaemon() {
        return Objects.requireNonNull(daemon, "the run's own daemon (not --socket)");
    }

    private void restart(String why) throws IOException {
        try {
            restartMs.add(ownDaemon().start());
        } catch (IOException e) {
            findings.add(Check.RUN, "the daemon did not restart " + why + ": " + e.getMessage());
            throw e;
        }
    }

    /** A plain client of the daemon; {@code direct}: with direct reads (else through the socket only). */
    private SharedMap client(boolean direct) {
        return SharedMap.connect(
                Objects.requireNonNull(socket, "a daemon's socket"),
                Options.defaults().recovering(false).directReads(direct));
    }

    /** A client of the map under test: the URL's backend, or a plain socket-only client of the daemon. */
    private PortableMap plainClient() {
        URI url = this.url;
        return url != null ? SharedMap.connect(url) : client(false);
    }

    private String probeKey() {
        return WorkerSpec.prefix(runId) + "probe";
    }

    /** With --crash and direct readers: the probe client maps the first daemon's store. */
    private void openRestartProbe() {
        if (!c.crash() || daemon == null || directThreadCount(c.processes() * c.threads()) == 0) {
            return;
        }
        try {
            SharedMap probe = SharedMap.connect(
                    Objects.requireNonNull(socket, "a daemon's socket"),
                    Options.defaults().directReads(true));
            restartProbe = probe;
            probe.set(probeKey(), "start");
            probe.get(probeKey()); // maps the store (it was asked for at connect) and reads from it
        } catch (SharedMapException e) {
            findings.add(Check.DIRECT_READS, "the restart probe cannot start: " + e.getMessage());
        }
    }

    /**
     * After a restart: the probe client, which mapped the killed daemon's store, writes a new value
     * through the socket and reads it back twice. The new daemon either continued that store (the
     * same files, brought up to date before it answered anyone) or retired it and made another:
     * then the first GET finds its store retired and may go through the socket. Both must return
     * the new value, and the second must come from the store. So the client reads the new daemon's
     * store, and the store shows an acknowledged write.
     */
    private void checkAfterRestart() {
        SharedMap restartProbe = this.restartProbe;
        if (restartProbe == null) {
            return;
        }
        String value = "restart " + restarts;
        try {
            restartProbe.set(probeKey(), value);
            Optional<Entry> first = restartProbe.get(probeKey()); // may find its old store retired
            if (first.isEmpty() || !first.get().valueAsString().equals(value)) {
                findings.add(
                        Check.DIRECT_READS,
                        "after restart " + restarts + " the probe client's first GET read "
                                + first.map(x -> "'" + x.valueAsString() + "'").orElse("nothing") + ", not '" + value
                                + "' (just acknowledged)");
                return;
            }
            long before = restartProbe.readStats().direct();
            Optional<Entry> e = restartProbe.get(probeKey());
            boolean fromStore = restartProbe.readStats().direct() > before;
            if (fromStore && e.isPresent() && e.get().valueAsString().equals(value)) {
                probeReadsAfterKills++;
            } else {
                findings.add(
                        Check.DIRECT_READS,
                        "after restart " + restarts + " the probe client read "
                                + e.map(x -> "'" + x.valueAsString() + "'").orElse("nothing")
                                + (fromStore ? " from the mapped store" : " through the socket") + ", not '" + value
                                + "' (just acknowledged) from the new daemon's store");
            }
        } catch (SharedMapException e) {
            findings.add(
                    Check.DIRECT_READS, "the restart probe failed after restart " + restarts + ": " + e.getMessage());
        }
    }

    /** The counters and history keys as a client sees them now (before a kill). */
    private Map<String, Entry> sample() {
        Map<String, Entry> seen = new HashMap<>();
        try (SharedMap map = client(false)) {
            WorkerSpec s = workers.getFirst().spec;
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < c.counters(); i++) {
                keys.add(s.counterKey(i));
            }
            for (int i = 0; i < c.linKeys(); i++) {
                keys.add(s.linKey(i));
            }
            for (String key : keys) {
                map.get(key).ifPresent(e -> seen.put(key, e));
            }
        } catch (SharedMapException e) {
            // the daemon is busy restarting already: nothing sampled this time
        }
        return seen;
    }

    private void verifyAfterRestart(Map<String, Entry> before) {
        try (SharedMap map = client(false);
                SharedMap direct = client(c.directReaders() > 0)) {
            before.forEach((key, was) -> {
                Optional<Entry> now = map.get(key);
                if (now.isEmpty() && key.contains("/l/")) {
                    return; // history keys are deleted too: the linearizability check judges their absence
                }
                if (now.isEmpty() || now.get().version() < was.version()) {
                    findings.add(
                            Check.LOST_UPDATES,
                            "lost after kill -9 number " + kills + ": " + key + " was at v" + was.version()
                                    + " before, and is "
                                    + now.map(e -> "at v" + e.version()).orElse("gone") + " after the restart");
                } else if (key.contains("/n/")
                        && Long.parseLong(now.get().valueAsString()) < Long.parseLong(was.valueAsString())) {
                    findings.add(
                            Check.LOST_UPDATES,
                            "lost update after kill -9 number " + kills + ": counter " + key + " went from "
                                    + was.valueAsString() + " back to "
                                    + now.get().valueAsString());
                }
            });
            verifyValues(map, "after kill -9 number " + kills);
            // and as the new daemon's store shows them (it has recovered every entry into it before serving)
            verifyValues(direct, "after kill -9 number " + kills + (c.directReaders() > 0 ? " (direct reads)" : ""));
        } catch (SharedMapException e) {
            findings.add(Check.RUN, "cannot verify after kill -9 number " + kills + ": " + e.getMessage());
        }
    }

    /** Reads and verifies every corruption-check value; returns their stamps. */
    private Map<Long, Long> verifyValues(PortableMap map, String when) {
        Map<Long, Long> stamps = new HashMap<>();
        WorkerSpec s = workers.getFirst().spec;
        for (int k = 0; k < c.keys(); k++) {
            Optional<Entry> e = map.get(s.valueKey(k));
            if (e.isPresent()) {
                try {
                    TortureValue.Stamp st = TortureValue.verify(e.get().value(), runId, k);
                    stamps.merge(st.writer(), st.write(), Math::max);
                } catch (IllegalArgumentException bad) {
                    findings.add(Check.CORRUPTION, when + ": " + s.valueKey(k) + ": " + bad.getMessage());
                }
            }
        }
        return stamps;
    }

    // ---- the checks ----

    /** What the workers' result files add up to (their {@link WorkerReport} lines, parsed here alone). */
    private final class Results {
        long ops;
        long errors;
        long verifiedReads;
        long deletes;
        /** Values written (SET and CAS) by how their length was chosen ({@link ValueLengths.Choice}). */
        final long[] lengths = new long[ValueLengths.Choice.values().length];
        /** Writer -> the most writes it attempted. */
        final Map<Long, Long> attempted = new HashMap<>();
        /** Writer -> the highest write of it that any reader saw. */
        final Map<Long, Long> seen = new HashMap<>();

        final long[] acked = new long[c.counters()];
        final long[] unknown = new long[c.counters()];
        final Map<Integer, List<LinOp>> histories = new TreeMap<>();
        final ReadTotals reads = new ReadTotals();
        /** Direct-read problems in the results: clients that did not read the new daemon's store after a restart. */
        final List<String> restartProblems = new ArrayList<>();

        void read(Worker w) throws IOException {
            Path f = w.spec.result();
            if (!Files.exists(f)) {
                return; // its failure was recorded
            }
            // restart -> {heard at ns, direct threads' GETs begun after, of which from the store}
            TreeMap<Integer, long[]> epochs = new TreeMap<>();
            long endNs = 0;
            long workerDirectThreads = 0;
            for (String line : Files.readAllLines(f)) {
                WorkerReport r = WorkerReport.parse(line);
                switch (r.kind()) {
                    case "ops" -> {
                        ops += r.number("count");
                        errors += r.number("errors");
                        verifiedReads += r.number("verified");
                    }
                    case "client" ->
                        reads.add(r.text("path").equals("D"), r.number("direct"), r.number("socket"), r.flag("mapped"));
                    case "epoch" ->
                        epochs.put(
                                r.integer("epoch"),
                                new long[] {r.number("heard"), r.number("gets"), r.number("fromStore")});
                    case "end" -> {
                        endNs = r.number("at");
                        workerDirectThreads = r.number("directThreads");
                    }
                    case "deletes" -> deletes += r.number("count");
                    case "lengths" -> {
                        for (ValueLengths.Choice choice : ValueLengths.Choice.values()) {
                            lengths[choice.ordinal()] += r.number(choice.name().toLowerCase(Locale.ROOT));
                        }
                    }
                    case "writer" -> attempted.merge(r.number("writer"), r.number("writes"), Math::max);
                    case "seen" -> seen.merge(r.number("writer"), r.number("write"), Math::max);
                    case "counter" -> {
                        acked[r.integer("counter")] += r.number("acked");
                        unknown[r.integer("counter")] += r.number("unknown");
                    }
                    case LinOp.REPORT -> {
                        LinOp op = LinOp.from(r);
                        histories
                                .computeIfAbsent(op.key(), k -> new ArrayList<>())
                                .add(op);
                    }
                    default -> findings.add(Check.RUN, "worker result " + f + ": unknown report " + line);
                }
            }
            if (workerDirectThreads > 0) {
                reads.afterRestarts(w.index, epochs, endNs, restartProblems);
            }
        }
    }

    /** The daemon's state at the end, read by fresh clients once every worker is done. */
    private final class FinalState {
        final long[] counters = new long[c.counters()];
        Map<Long, Long> stamps = Map.of();
        long keysFound;
        final StoreAgreement agreement = new StoreAgreement();
        final List<String> storeProblems = new ArrayList<>();

        void read() {
            try (PortableMap map = plainClient()) {
                stamps = verifyValues(map, "at the end");
                WorkerSpec s = workers.getFirst().spec;
                for (int i = 0; i < c.counters(); i++) {
                    Optional<Entry> e = map.get(s.counterKey(i));
                    counters[i] = e.map(x -> Long.parseLong(x.valueAsString())).orElse(0L);
                }
                keysFound = map.keys(WorkerSpec.prefix(runId).getBytes(StandardCharsets.UTF_8))
                        .map(KeyInfo::key)
                        .count();
                if (directThreads > 0 && map instanceof SharedMap socketOnly) {
                    try (SharedMap direct = client(true)) {
                        agreement.compare(socketOnly, direct, storeProblems);
                    }
                }
            } catch (SharedMapException | NumberFormatException e) {
                findings.add(Check.RUN, "cannot read the final state: " + e.getMessage());
            }
        }
    }

    /** A check's outcome: its line (PASS, FAIL, UNKNOWN, or a note), and the details printed under it. */
    private record Verdict(String title, Status status, String summary, List<String> details) {
        enum Status {
            PASS,
            FAIL,
            UNKNOWN,
            NOTE
        }

        static Verdict of(Check check, boolean pass, String summary, List<String> details) {
            return new Verdict(check.title(), pass ? Status.PASS : Status.FAIL, summary, details);
        }

        /** Whether the run may still pass: PASS, or a note. */
        boolean passes() {
            return status == Status.PASS || status == Status.NOTE;
        }

        void print(PrintWriter out, int maxDetails) {
            out.printf("%-22s %s  %s%n", title, status == Status.NOTE ? "note" : status, summary);
            details.stream().limit(maxDetails).forEach(d -> out.println("    " + d.replace("\n", "\n    ")));
        }
    }

    /** Reads the results and the final state, prints one verdict per check; true when all pass. */
    private boolean verifyAndReport() throws IOException {
        Results r = new Results();
        for (Worker w : workers) {
            r.read(w);
        }
        FinalState end = new FinalState();
        end.read();

        out.println();
        out.printf(
                "operations: %,d in %.1f s (%,.0f/s), client errors %d%n",
                r.ops, c.durationMs() / 1e3, r.ops / (c.durationMs() / 1e3), r.errors);
        out.printf(
                "writes: corruption keys %,d SET and %,d DELETE; history keys %s%n",
                r.attempted.values().stream().mapToLong(Long::longValue).sum(), r.deletes, historyMix(r.histories));
        out.printf(
                "value lengths written: %,d the key's own, %,d another of the same entry, %,d drawn afresh%n",
                r.lengths[ValueLengths.Choice.OWN.ordinal()],
                r.lengths[ValueLengths.Choice.SAME_ENTRY.ordinal()],
                r.lengths[ValueLengths.Choice.FRESH.ordinal()]);
        if (c.crash()) {
            List<Long> sorted = restartMs.stream().sorted().toList();
            out.printf(
                    "crashes: %d kill -9, each restarted and verified (%d checks); restart to first answer: median"
                            + " %d ms, max %d ms%n",
                    kills,
                    crashChecks,
                    sorted.isEmpty() ? 0 : sorted.get((sorted.size() - 1) / 2),
                    sorted.isEmpty() ? 0 : sorted.getLast());
        }
        List<Verdict> verdicts = new ArrayList<>(
                List.of(corruption(r, end), lostUpdates(r, end), linearizability(r), stalls(), directReads(r, end)));
        clientErrors(r).ifPresent(verdicts::add);
        runFailures().ifPresent(verdicts::add);
        verdicts.forEach(v -> v.print(out, 20));
        out.printf(
                "keys of this run in the %s: %d (prefix %s)%n",
                url != null ? "map" : "daemon", end.keysFound, WorkerSpec.prefix(runId));
        return verdicts.stream().allMatch(Verdict::passes);
    }

    /** (a) Every value read or left at the end was written whole by the writer it names, and no more often. */
    private Verdict corruption(Results r, FinalState end) {
        List<String> bad = new ArrayList<>(findings.of(Check.CORRUPTION));
        Map<Long, Long> allSeen = new HashMap<>(r.seen);
        end.stamps.forEach((k, v) -> allSeen.merge(k, v, Math::max));
        allSeen.forEach((writer, write) -> {
            Long reached = r.attempted.get(writer);
            if (reached == null || write > reached) {
                bad.add("never written: a value stamped writer " + TortureValue.writerName(writer) + ", write " + write
                        + ", but that writer " + (reached == null ? "does not exist" : "wrote only " + reached));
            }
        });
        long totalWrites =
                r.attempted.values().stream().mapToLong(Long::longValue).sum();
        return Verdict.of(
                Check.CORRUPTION,
                bad.isEmpty(),
                bad.isEmpty()
                        ? String.format(
                                "%,d writes by %d writers over %d keys, %,d reads verified; none torn, mixed, crossed or"
                                        + " never written",
                                totalWrites, r.attempted.size(), c.keys(), r.verifiedReads)
                        : bad.size() + " bad values",
                bad);
    }

    /** (b) Each counter holds at least its acknowledged increments and at most those plus the unknown ones. */
    private Verdict lostUpdates(Results r, FinalState end) {
        List<String> lost = new ArrayList<>(findings.of(Check.LOST_UPDATES));
        long sumAcked = 0;
        long sumUnknown = 0;
        for (int i = 0; i < c.counters(); i++) {
            sumAcked += r.acked[i];
            sumUnknown += r.unknown[i];
            if (end.counters[i] < r.acked[i] || end.counters[i] > r.acked[i] + r.unknown[i]) {
                lost.add("counter " + i + " is " + end.counters[i] + " but " + r.acked[i]
                        + " increments were acknowledged"
                        + (r.unknown[i] > 0 ? " (and " + r.unknown[i] + " have unknown outcomes)" : ""));
            }
        }
        return Verdict.of(
                Check.LOST_UPDATES,
                lost.isEmpty(),
                lost.isEmpty()
                        ? String.format(
                                "%d counters, %,d acknowledged increments%s, final sum %,d",
                                c.counters(),
                                sumAcked,
                                sumUnknown > 0 ? " (+" + sumUnknown + " unknown)" : "",
                                Arrays.stream(end.counters).sum())
                        : lost.size() + " counters or keys wrong",
                lost);
    }

    /** (c) Every history key's GET/SET/CAS/DELETE history is linearizable (UNKNOWN past the search bound). */
    private Verdict linearizability(Results r) {
        int bad = 0;
        int inconclusive = 0;
        long linOps = 0;
        long steps = 0;
        List<String> details = new ArrayList<>(findings.of(Check.LINEARIZABILITY));
        for (Map.Entry<Integer, List<LinOp>> h : r.histories.entrySet()) {
            Outcome o = LinearizabilityChecker.check(
                    h.getValue(), c.linMaxSteps(), LinearizabilityChecker.DEFAULT_MAX_MEMO);
            linOps += o.operations();
            steps += o.steps();
            if (o.verdict() == LinearizabilityChecker.Verdict.NOT_LINEARIZABLE) {
                bad++;
                details.add("key " + h.getKey() + " is not linearizable: " + o.detail());
            } else if (o.verdict() == LinearizabilityChecker.Verdict.UNKNOWN) {
                inconclusive++;
                details.add("key " + h.getKey() + ": unknown: " + o.detail());
            }
        }
        String summary = String.format("%d keys, %,d operations, %,d search steps", r.histories.size(), linOps, steps);
        String title = Check.LINEARIZABILITY.title();
        if (bad > 0 || !findings.of(Check.LINEARIZABILITY).isEmpty()) {
            return new Verdict(
                    title,
                    Verdict.Status.FAIL,
                    bad + " of " + r.histories.size() + " keys NOT linearizable; " + summary,
                    details);
        }
        if (inconclusive > 0) {
            return new Verdict(
                    title,
                    Verdict.Status.UNKNOWN,
                    inconclusive + " of " + r.histories.size() + " keys hit the" + " search bound (--lin-max-steps); "
                            + summary,
                    details);
        }
        return new Verdict(title, Verdict.Status.PASS, summary + "; every key linearizable", details);
    }

    /** (d) No stretch of the stall limit passed without a completed operation. */
    private Verdict stalls() {
        List<String> stalls = findings.of(Check.STALLS);
        return Verdict.of(
                Check.STALLS,
                !stalled && stalls.isEmpty(),
                stalled || !stalls.isEmpty()
                        ? "stalled; thread dumps saved (below)"
                        : String.format(
                                "longest time without a completed operation %.1f s (limit %.1f s)",
                                longestGapNs.get() / 1e9, c.stallMs() / 1e3),
                stalls);
    }

    /**
     * (e) The direct readers read from the mapped store, agree with the socket, read the new
     * daemon's store after restarts; the socket-only clients never read from it.
     */
    private Verdict directReads(Results r, FinalState end) {
        URI url = this.url;
        if (url != null) {
            return new Verdict(
                    Check.DIRECT_READS.title(),
                    Verdict.Status.NOTE,
                    "not judged through a URL (" + url.getScheme()
                            + ":): the workers read through the portable API only",
                    List.of());
        }
        ReadTotals reads = r.reads;
        List<String> problems = new ArrayList<>(r.restartProblems);
        problems.addAll(end.storeProblems);
        long linDirect = r.histories.values().stream()
                .flatMap(List::stream)
                .filter(o -> o.kind() == LinOp.Kind.GET && o.direct())
                .count();
        long linSocket = r.histories.values().stream()
                .flatMap(List::stream)
                .filter(o -> o.kind() == LinOp.Kind.GET && !o.direct())
                .count();
        if (reads.socketClientDirect > 0) {
            problems.add("socket-only clients (direct reads off) answered " + reads.socketClientDirect
                    + " GETs from the mapped store");
        }
        if (directThreads > 0) {
            if (reads.direct == 0) {
                problems.add("no GET was answered from the daemon's mapped store although " + directThreads
                        + " threads read directly (their " + String.format("%,d", reads.directClientSocket)
                        + " GETs all went through the socket): the daemon offers no direct reads"
                        + " (--no-direct-reads, --durability never) or these processes may not open its store;"
                        + " --direct-readers 0 tortures the socket only");
            } else if (c.linKeys() > 0 && linDirect == 0) {
                problems.add("no history GET was answered from the mapped store: the linearizability check judged no"
                        + " direct read");
            }
        }
        problems.addAll(findings.of(Check.DIRECT_READS)); // found during the run (the restart probe)
        List<String> details = new ArrayList<>();
        if (directThreads > 0) {
            details.add(String.format(
                    "at the end: the mapped store and the socket agree on %d of %d keys (%d answered from the"
                            + " store); %d of %d direct clients had the store mapped",
                    end.agreement.compared - end.agreement.disagreed,
                    end.agreement.compared,
                    end.agreement.fromStore,
                    reads.directClientsMapped,
                    reads.directClients));
        }
        if (c.crash() && directThreads > 0) {
            details.add(String.format(
                    "after restarts: the probe client (mapped before the first kill) read its acknowledged"
                            + " write from the new daemon's store after %d of %d kills; the workers' direct clients answered"
                            + " GETs from the store after %d of %d restarts (%s)",
                    probeReadsAfterKills,
                    crashChecks,
                    reads.readNewStore.size(),
                    restarts,
                    reads.afterRestartSummary(restarts)));
        }
        problems.stream().limit(10).forEach(details::add);
        String summary = String.format(
                "%,d GETs from the mapped store, %,d through the socket (%d direct threads: %,d"
                        + " from the store + %,d fell back to the socket; %d socket-only threads: %,d); history GETs %,d"
                        + " direct,"
                        + " %,d socket",
                reads.direct,
                reads.directClientSocket + reads.socketClientSocket,
                directThreads,
                reads.direct,
                reads.directClientSocket,
                c.processes() * c.threads() - directThreads,
                reads.socketClientSocket,
                linDirect,
                linSocket);
        return Verdict.of(Check.DIRECT_READS, problems.isEmpty(), summary, details);
    }

    /** Client errors: a note for plain clients (expected across restarts), a failure for recovering ones. */
    private Optional<Verdict> clientErrors(Results r) {
        if (r.errors == 0) {
            return Optional.empty();
        }
        boolean fail = c.recovering();
        List<String> shown;
        synchronized (clientErrors) {
            shown = List.copyOf(clientErrors);
        }
        return Optional.of(new Verdict(
                "client errors",
                fail ? Verdict.Status.FAIL : Verdict.Status.NOTE,
                r.errors
                        + " client errors"
                        + (fail
                                ? " (recovering clients should have hidden every restart)"
                                : " (plain clients: expected)"),
                shown));
    }

    /** The run itself: workers or the daemon that died, restarts that failed, results that could not be read. */
    private Optional<Verdict> runFailures() {
        List<String> run = findings.of(Check.RUN);
        return run.isEmpty()
                ? Optional.empty()
                : Optional.of(new Verdict("other failures", Verdict.Status.FAIL, run.size() + " (below)", run));
    }

    /** What the run found wrong, by the check it breaks; filled by any thread. */
    private static final class Findings {
        private final Map<Check, List<String>> byCheck = new EnumMap<>(Check.class);

        synchronized void add(Check check, String finding) {
            byCheck.computeIfAbsent(check, k -> new ArrayList<>()).add(finding);
        }

        synchronized List<String> of(Check check) {
            return List.copyOf(byCheck.getOrDefault(check, List.of()));
        }

        synchronized int count() {
            return byCheck.values().stream().mapToInt(List::size).sum();
        }
    }

    /** "1,234 GET (567 direct), 890 SET, 456 CAS, 123 DELETE" over all history keys. */
    private static String historyMix(Map<Integer, List<LinOp>> histories) {
        Map<LinOp.Kind, Long> n = new EnumMap<>(LinOp.Kind.class);
        long direct = 0;
        for (List<LinOp> h : histories.values()) {
            for (LinOp o : h) {
                n.merge(o.kind(), 1L, Long::sum);
                direct += o.direct() ? 1 : 0;
            }
        }
        return String.format(
                "%,d GET (%,d direct), %,d SET, %,d CAS, %,d DELETE",
                n.getOrDefault(LinOp.Kind.GET, 0L),
                direct,
                n.getOrDefault(LinOp.Kind.SET, 0L),
                n.getOrDefault(LinOp.Kind.CAS, 0L),
                n.getOrDefault(LinOp.Kind.DELETE, 0L));
    }

    /** The workers' clients' read counts ({@link SharedMap#readStats()}) and their reads after restarts. */
    private final class ReadTotals {
        long direct;
        long directClientSocket;
        long socketClientSocket;
        long socketClientDirect;
        int directClients;
        int directClientsMapped;
        /** Restart number -> workers that read from the new daemon's store after it. */
        final TreeMap<Integer, Integer> readNewStore = new TreeMap<>();

        void add(boolean directClient, long directGets, long socketGets, boolean mapped) {
            if (directClient) {
                direct += directGets;
                directClientSocket += socketGets;
                directClients++;
                directClientsMapped += mapped ? 1 : 0;
            } else {
                socketClientDirect += directGets;
                socketClientSocket += socketGets;
            }
        }

        /**
         * One worker's epochs (restart n: when it heard of it, the GETs its direct threads began after
         * that, and how many of them a store answered). Before a new daemon answers anyone, it has
         * either continued the old daemon's store (brought it up to date: it is now the new daemon's)
         * or retired it (every store found through the socket or the data directory), so a GET begun
         * after the worker heard of restart n and answered from a store was answered by the new
         * daemon's: the client reads it, with its old mapping or a new one. The probe client's check,
         * which reads a fresh write, tells the same from the other side. {@link #STORE_READ_WITHIN_GETS}
         * GETs after a restart with none from a store is a failure; fewer (a restart near the end) are
         * not judged.
         */
        void afterRestarts(int worker, TreeMap<Integer, long[]> epochs, long endNs, List<String> problems) {
            for (Map.Entry<Integer, long[]> e : epochs.entrySet()) {
                int n = e.getKey();
                if (n == 0) {
                    continue;
                }
                Map.Entry<Integer, long[]> next = epochs.higherEntry(n);
                long lengthNs = (next != null ? next.getValue()[0] : endNs) - e.getValue()[0];
                long gets = e.getValue()[1];
                long fromStore = e.getValue()[2];
                if (fromStore > 0) {
                    readNewStore.merge(n, 1, Integer::sum);
                } else if (gets >= STORE_READ_WITHIN_GETS) {
                    problems.add(String.format(
                            "worker %d: after restart %d its direct clients made %d GETs in %.1f s and"
                                    + " the mapped store answered none: they did not read the new daemon's store",
                            worker, n, gets, lengthNs / 1e9));
                }
            }
        }

        String afterRestartSummary(int restarts) {
            StringBuilder b = new StringBuilder();
            for (int n = 1; n <= restarts; n++) {
                b.append(n > 1 ? ", " : "")
                        .append("#")
                        .append(n)
                        .append(": ")
                        .append(readNewStore.getOrDefault(n, 0))
                        .append(" workers");
            }
            return restarts == 0 ? "no restarts" : b.toString();
        }
    }

    /**
     * At the end, with every worker done: every key of the run read through the socket and then from
     * the mapped store must be the same (value and version), or absent from both. The socket read
     * comes first: it answers only once its version is durable, and so in the store.
     */
    private final class StoreAgreement {
        int compared;
        int disagreed;
        int fromStore;

        void compare(SharedMap socketOnly, SharedMap direct, List<String> problems) {
            WorkerSpec s = workers.getFirst().spec;
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < c.keys(); i++) {
                keys.add(s.valueKey(i));
            }
            for (int i = 0; i < c.counters(); i++) {
                keys.add(s.counterKey(i));
            }
            for (int i = 0; i < c.linKeys(); i++) {
                keys.add(s.linKey(i));
            }
            if (restartProbe != null) {
                keys.add(probeKey());
            }
            for (String key : keys) {
                Optional<Entry> viaSocket = socketOnly.get(key);
                long before = direct.readStats().direct();
                Optional<Entry> viaStore = direct.get(key);
                boolean answeredByStore = direct.readStats().direct() > before;
                compared++;
                fromStore += answeredByStore ? 1 : 0;
                boolean same = viaSocket.isPresent() == viaStore.isPresent()
                        && (viaSocket.isEmpty()
                                || (viaSocket.get().version() == viaStore.get().version()
                                        && Arrays.equals(
                                                viaSocket.get().value(),
                                                viaStore.get().value())));
                if (!same) {
                    disagreed++;
                    problems.add("at the end " + key + " is " + describe(viaSocket) + " through the socket but "
                            + describe(viaStore)
                            + (answeredByStore ? " in the mapped store" : " through the direct client's fallback"));
                }
            }
        }

        private static String describe(Optional<Entry> e) {
            return e.map(x -> x.value().length + " bytes at v" + x.version()).orElse("absent");
        }
    }

    // ---- cleanup ----

    private void destroyAll() {
        for (Worker w : workers) {
            if (w.process.isAlive()) {
                w.process.destroyForcibly();
            }
        }
        for (Worker w : workers) {
            try {
                w.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
