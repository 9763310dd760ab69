package io.sharedmap.torture;

import io.sharedmap.client.Options;
import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.torture.LinearizabilityChecker.Outcome;
import io.sharedmap.torture.LinearizabilityChecker.Verdict;
import io.sharedmap.client.Entry;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.protocol.view.ViewDescriptor;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
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
 * ({@code --crash}), then merges the workers' results and runs the four checks.
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
 *       daemon's shared-memory view) in which the view answered no GET, or no history GET (the
 *       checks above would then pass without ever judging a direct read); a socket-only client
 *       that read the view; at the end, a key whose value or version read from the view differs
 *       from the socket's; and with {@code --crash}, after a restart, a probe client mapped to the
 *       first daemon's view that does not read the write it just had acknowledged from the new
 *       daemon's view, or a worker whose direct clients made many GETs and the view answered none
 *       (both must map the new daemon's view).
 * </ol>
 *
 * The direct and the socket GETs of the history keys go into the same histories, so check (c)
 * judges them together: a direct read that misses an acknowledged write makes a key's history
 * non-linearizable.
 *
 * Also failing: a daemon that dies by itself, a value or counter that went back after a restart,
 * client errors of recovering clients (they should hide restarts), a worker that breaks.
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
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private final List<String> clientErrors = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong lastProgressNs = new AtomicLong();
  private final List<Worker> workers = new ArrayList<>();
  private final List<Long> restartMs = new ArrayList<>();
  /** The daemon this run starts, kills and restarts; null when it tortures one already running. */
  private final @Nullable TortureDaemon daemon;
  private final Path socket;
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
   * With --crash and direct readers: a direct-reading client of the coordinator's, mapped to the
   * first daemon's view and kept across every restart (see {@link #checkRemap}).
   */
  private @Nullable SharedMap remapProbe;
  private int probeRemaps;
  /**
   * Direct threads' GETs after a restart of which the view must have answered at least one: fewer
   * than half of them fall back to the socket (most values fit a slot, and counters always do), so
   * this many fallbacks in a row mean the client never mapped the new daemon's view.
   */
  private static final long REMAP_WITHIN_GETS = 64;

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
    if (given != null) {
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
      List<String> serverOptions = c.view()
          ? List.of("--view-slot-size", Integer.toString(c.viewSlotSize()))
          : List.of("--no-view");
      daemon = new TortureDaemon(work.resolve("data"), socket, c.durability(), c.cpus(), c.daemonJvmOptions(),
          serverOptions, c.restartDaemonOptions());
    }
  }

  /** Runs, prints the summary, and returns {@link #CLEAN} or {@link #FAILED}. */
  public int run() throws IOException, InterruptedException {
    Files.createDirectories(results);
    printHeader();
    Thread cleanup = new Thread(() -> {
      destroyAll();
      if (daemon != null) {
        try {
          daemon.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }, "torture-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    boolean clean = false;
    try {
      if (daemon != null) {
        long ms = daemon.start();
        out.printf("daemon: pid %d on %s, answered after %d ms%n", daemon.pid(), socket, ms);
      } else if (!TortureDaemon.answers(socket)) {
        throw new IOException("no daemon answers on " + socket);
      }
      out.flush();
      openRemapProbe();
      try {
        runWorkers();
      } finally {
        if (remapProbe != null) {
          remapProbe.close();
        }
      }
      clean = verifyAndReport();
    } finally {
      destroyAll();
      if (daemon != null) {
        int status = daemon.stop();
        if (status != 0 && clean) {
          out.println("the daemon exited with status " + status + " on SIGTERM (expected 0); see " + daemon.log());
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
    out.printf("sharedmap torture: %.1f s, %d processes x %d threads, %d keys, %d counters, %d history keys"
            + " (%d ops each), %s clients%n",
        c.durationMs() / 1e3, c.processes(), c.threads(), c.keys(), c.counters(), c.linKeys(), c.linOps(),
        c.recovering() ? "recovering" : "plain");
    out.printf("daemon: %s, durability %s, cpus %s, crash %s, stall limit %.0f s, run %s, seed %d%n",
        c.socket() != null ? "existing on " + c.socket() : "own",
        c.socket() != null ? "(the daemon's)" : c.durability(), c.cpus() == 0 ? "all" : Integer.toString(c.cpus()),
        c.crash() ? "kill -9 every ~" + c.crashMeanMs() + " ms" : "no", c.stallMs() / 1e3,
        Integer.toUnsignedString(runId, 16), c.seed());
    int total = c.processes() * c.threads();
    out.printf("reads: %d of %d threads read directly from the daemon's view, %d through the socket only;"
            + " view %s; values straddle the %d bytes of key and value a view slot holds%n",
        directThreadCount(total), total, total - directThreadCount(total),
        c.socket() != null ? "(the daemon's)" : c.view() ? "on, " + c.viewSlotSize() + "-byte slots" : "off",
        viewCapacity());
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
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.equals("READY")) {
            wasReady = true;
            ready.countDown();
          } else if (line.startsWith("H ")) {
            long n = Long.parseLong(line.split(" ")[1]);
            if (n > ops.getAndSet(n)) {
              long now = System.nanoTime();
              longestGapNs.accumulateAndGet(now - lastProgressNs.getAndSet(now), Math::max);
            }
          } else if (line.startsWith("F ")) {
            failures.add("worker " + index + ": " + line.substring(2));
          } else if (line.startsWith("E ")) {
            clientErrors.add("worker " + index + ": " + line.substring(2));
          } else if (line.equals("DONE")) {
            done = true;
          }
        }
      } catch (IOException | RuntimeException e) {
        failures.add("worker " + index + ": cannot read its output: " + e);
      }
      try {
        int status = process.waitFor();
        if (!done) {
          failures.add("worker " + index + " (pid " + process.pid() + ") exited with status " + status
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
    int linOpsPerThread = (int) Math.max(1,
        (long) c.linOps() * c.linKeys() / ((long) c.processes() * c.threads()));
    int total = c.processes() * c.threads();
    directThreads = directThreadCount(total);
    for (int p = 0; p < c.processes(); p++) {
      StringBuilder kinds = new StringBuilder();
      for (int t = 0; t < c.threads(); t++) { // spread the direct threads evenly over the processes
        long g = (long) p * c.threads() + t;
        kinds.append((g + 1) * directThreads / total > g * directThreads / total ? 'D' : 'S');
      }
      WorkerSpec spec = new WorkerSpec(socket, runId, p, c.threads(), c.keys(), c.counters(), c.linKeys(),
          linOpsPerThread, c.durationMs(), random.nextLong(), c.recovering(), c.reconnectWindowMs(),
          results.resolve("worker-" + p + ".result"), kinds.toString(), viewCapacity());
      List<String> command = new ArrayList<>(DaemonLauncher.pinned(c.cpus()));
      command.add(DaemonLauncher.javaBinary());
      if (c.cpus() > 0) {
        command.add("-XX:ActiveProcessorCount=" + c.cpus());
      }
      command.addAll(List.of("-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
          TortureWorker.class.getName()));
      command.addAll(spec.toArgs());
      Process process = new ProcessBuilder(command)
          .redirectError(ProcessBuilder.Redirect.appendTo(results.resolve("worker-" + p + ".log").toFile()))
          .start();
      Worker w = new Worker(p, spec, process);
      workers.add(w);
      Thread.ofPlatform().daemon().name("torture-worker-" + p).start(() -> w.read(ready, finished));
    }
    if (!ready.await(HEARTBEAT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      failures.add("the workers did not connect within " + HEARTBEAT_TIMEOUT_MS + " ms");
      workers.forEach(w -> w.send("STOP"));
      return;
    }
    long goNs = System.nanoTime();
    lastProgressNs.set(goNs);
    workers.forEach(w -> w.send("GO"));
    long endNs = goNs + TimeUnit.MILLISECONDS.toNanos(c.durationMs());
    long graceNs = TimeUnit.MILLISECONDS.toNanos(c.reconnectWindowMs() + HEARTBEAT_TIMEOUT_MS);
    Thread keeper = daemon == null ? null
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
          out.printf("  %3.0f s: %,d operations, %d kills, %d failures%n", (now - goNs) / 1e9,
              workers.stream().mapToLong(w -> w.ops.get()).sum(), kills, failures.size());
          out.flush();
        }
        if (now - endNs > graceNs) {
          failures.add("the workers did not finish within " + TimeUnit.NANOSECONDS.toSeconds(graceNs)
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
          failures.add("the daemon (pid " + daemon.pid() + ") died by itself with status " + daemon.exitStatus()
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

  /** Bytes of key plus value a slot of the daemon's view holds. */
  private int viewCapacity() {
    return ViewDescriptor.payloadCapacity(c.viewSlotSize());
  }

  /** Tells the workers that a new daemon answers: direct GETs from now on must come from its view. */
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
    long daemonPid = daemon != null ? daemon.pid() : pidOf(socket);
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
    failures.add(String.format("stall: no operation completed for %.1f s (limit %.1f s); thread dumps: %s",
        gapNs / 1e9, c.stallMs() / 1e3, dumps.isEmpty() ? "none (daemon pid unknown)" : String.join(", ", dumps)));
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
    checkRemap();
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
      failures.add("the daemon did not restart " + why + ": " + e.getMessage());
      throw e;
    }
  }

  /** A plain client of the daemon; {@code direct}: with direct reads (else through the socket only). */
  private SharedMap client(boolean direct) {
    return SharedMap.connect(socket, Options.defaults().recovering(false).directReads(direct));
  }

  private String probeKey() {
    return WorkerSpec.prefix(runId) + "probe";
  }

  /** With --crash and direct readers: the probe client maps the first daemon's view. */
  private void openRemapProbe() {
    if (!c.crash() || daemon == null || directThreadCount(c.processes() * c.threads()) == 0) {
      return;
    }
    try {
      SharedMap probe = SharedMap.connect(socket, Options.defaults().directReads(true));
      remapProbe = probe;
      probe.set(probeKey(), "start");
      probe.get(probeKey()); // maps the view (it was asked for at connect) and reads from it
    } catch (SharedMapException e) {
      failures.add("direct reads: the re-map probe cannot start: " + e.getMessage());
    }
  }

  /**
   * After a restart: the probe client, whose view is the killed daemon's (retired by the new one),
   * writes a new value through the socket and reads it back twice. The first GET finds its view
   * retired and may go through the socket; both must return the new value, and the second must
   * come from a view. So the client re-mapped the new daemon's view, and the view shows an
   * acknowledged write.
   */
  private void checkRemap() {
    SharedMap remapProbe = this.remapProbe;
    if (remapProbe == null) {
      return;
    }
    String value = "restart " + restarts;
    try {
      remapProbe.set(probeKey(), value);
      Optional<Entry> first = remapProbe.get(probeKey()); // finds its old view retired
      if (first.isEmpty() || !first.get().valueAsString().equals(value)) {
        failures.add("direct reads: after restart " + restarts + " the probe client's first GET read "
            + first.map(x -> "'" + x.valueAsString() + "'").orElse("nothing") + ", not '" + value
            + "' (just acknowledged)");
        return;
      }
      long before = remapProbe.readStats().direct();
      Optional<Entry> e = remapProbe.get(probeKey());
      boolean fromView = remapProbe.readStats().direct() > before;
      if (fromView && e.isPresent() && e.get().valueAsString().equals(value)) {
        probeRemaps++;
      } else {
        failures.add("direct reads: after restart " + restarts + " the probe client read "
            + e.map(x -> "'" + x.valueAsString() + "'").orElse("nothing") + (fromView ? " from the view" : " through"
            + " the socket") + ", not '" + value + "' (just acknowledged) from the new daemon's view");
      }
    } catch (SharedMapException e) {
      failures.add("direct reads: the re-map probe failed after restart " + restarts + ": " + e.getMessage());
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
    try (SharedMap map = client(false); SharedMap direct = client(c.directReaders() > 0)) {
      before.forEach((key, was) -> {
        Optional<Entry> now = map.get(key);
        if (now.isEmpty() && key.contains("/l/")) {
          return; // history keys are deleted too: the linearizability check judges their absence
        }
        if (now.isEmpty() || now.get().version() < was.version()) {
          failures.add("lost after kill -9 number " + kills + ": " + key + " was at v" + was.version()
              + " before, and is " + now.map(e -> "at v" + e.version()).orElse("gone") + " after the restart");
        } else if (key.contains("/n/") && Long.parseLong(now.get().valueAsString())
            < Long.parseLong(was.valueAsString())) {
          failures.add("lost update after kill -9 number " + kills + ": counter " + key + " went from "
              + was.valueAsString() + " back to " + now.get().valueAsString());
        }
      });
      verifyValues(map, "after kill -9 number " + kills);
      // and as the new daemon's view shows them (it publishes the recovered entries before serving)
      verifyValues(direct, "after kill -9 number " + kills + (c.directReaders() > 0 ? " (direct reads)" : ""));
    } catch (SharedMapException e) {
      failures.add("cannot verify after kill -9 number " + kills + ": " + e.getMessage());
    }
  }

  /** Reads and verifies every corruption-check value; returns their stamps. */
  private Map<Long, Long> verifyValues(SharedMap map, String when) {
    Map<Long, Long> stamps = new HashMap<>();
    WorkerSpec s = workers.getFirst().spec;
    for (int k = 0; k < c.keys(); k++) {
      Optional<Entry> e = map.get(s.valueKey(k));
      if (e.isPresent()) {
        try {
          TortureValue.Stamp st = TortureValue.verify(e.get().value(), runId, k);
          stamps.merge(st.writer(), st.write(), Math::max);
        } catch (IllegalArgumentException bad) {
          failures.add("corruption " + when + ": " + s.valueKey(k) + ": " + bad.getMessage());
        }
      }
    }
    return stamps;
  }

  // ---- the checks ----

  private boolean verifyAndReport() throws IOException {
    long ops = 0;
    long errors = 0;
    long verifiedReads = 0;
    Map<Long, Long> attempted = new HashMap<>();
    Map<Long, Long> seen = new HashMap<>();
    long[] acked = new long[c.counters()];
    long[] unknown = new long[c.counters()];
    Map<Integer, List<LinOp>> histories = new TreeMap<>();
    ReadTotals reads = new ReadTotals();
    long deletes = 0;
    List<String> directFailures = new ArrayList<>();
    for (Worker w : workers) {
      Path f = w.spec.result();
      if (!Files.exists(f)) {
        continue; // its failure was recorded
      }
      // restart -> {heard at ns, direct threads' GETs begun after, of which from the view}
      TreeMap<Integer, long[]> epochs = new TreeMap<>();
      long endNs = 0;
      long workerDirectThreads = 0;
      try (Stream<String> lines = Files.lines(f)) {
        for (String line : (Iterable<String>) lines::iterator) {
          String[] t = line.split(" ");
          switch (t[0]) {
            case "client" -> reads.add(t[1].equals("D"), Long.parseLong(t[2]), Long.parseLong(t[3]),
                Boolean.parseBoolean(t[4]));
            case "epoch" -> epochs.put(Integer.parseInt(t[1]), new long[] {Long.parseLong(t[2]), Long.parseLong(t[3]),
                Long.parseLong(t[4])});
            case "end" -> {
              endNs = Long.parseLong(t[1]);
              workerDirectThreads = Long.parseLong(t[2]);
            }
            case "deletes" -> deletes += Long.parseLong(t[1]);
            case "ops" -> {
              ops += Long.parseLong(t[1]);
              errors += Long.parseLong(t[2]);
              verifiedReads += Long.parseLong(t[4]);
            }
            case "writer" -> attempted.merge(Long.parseLong(t[1]), Long.parseLong(t[2]), Math::max);
            case "seen" -> seen.merge(Long.parseLong(t[1]), Long.parseLong(t[2]), Math::max);
            case "counter" -> {
              acked[Integer.parseInt(t[1])] += Long.parseLong(t[2]);
              unknown[Integer.parseInt(t[1])] += Long.parseLong(t[3]);
            }
            case "L" -> {
              LinOp op = LinOp.parse(line.substring(2));
              histories.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            }
            default -> failures.add("worker result " + f + ": unknown line " + line);
          }
        }
      }
      if (workerDirectThreads > 0) {
        reads.remaps(w.index, epochs, endNs, directFailures);
      }
    }

    // final state, read by a fresh client
    long[] finalCounter = new long[c.counters()];
    Map<Long, Long> finalStamps = Map.of();
    long keysFound = 0;
    ViewAgreement agreement = new ViewAgreement();
    try (SharedMap map = client(false)) {
      finalStamps = verifyValues(map, "at the end");
      WorkerSpec s = workers.getFirst().spec;
      for (int i = 0; i < c.counters(); i++) {
        Optional<Entry> e = map.get(s.counterKey(i));
        finalCounter[i] = e.map(x -> Long.parseLong(x.valueAsString())).orElse(0L);
      }
      keysFound = map.keys(WorkerSpec.prefix(runId).getBytes(StandardCharsets.UTF_8)).map(KeyInfo::key).count();
      if (directThreads > 0) {
        try (SharedMap direct = client(true)) {
          agreement.compare(map, direct, directFailures);
        }
      }
    } catch (SharedMapException | NumberFormatException e) {
      failures.add("cannot read the final state: " + e.getMessage());
    }

    out.println();
    out.printf("operations: %,d in %.1f s (%,.0f/s), client errors %d%n", ops, c.durationMs() / 1e3,
        ops / (c.durationMs() / 1e3), errors);
    out.printf("writes: corruption keys %,d SET and %,d DELETE; history keys %s%n", attempted.values().stream()
        .mapToLong(Long::longValue).sum(), deletes, historyMix(histories));
    if (c.crash()) {
      List<Long> sorted = restartMs.stream().sorted().toList();
      out.printf("crashes: %d kill -9, each restarted and verified (%d checks); restart to first answer: median"
              + " %d ms, max %d ms%n", kills, crashChecks, sorted.isEmpty() ? 0 : sorted.get((sorted.size() - 1) / 2),
          sorted.isEmpty() ? 0 : sorted.getLast());
    }

    // (a) corruption
    List<String> corruption = new ArrayList<>();
    synchronized (failures) {
      failures.stream().filter(f -> f.contains("corruption")).forEach(corruption::add);
    }
    Map<Long, Long> allSeen = new HashMap<>(seen);
    finalStamps.forEach((k, v) -> allSeen.merge(k, v, Math::max));
    allSeen.forEach((writer, write) -> {
      Long reached = attempted.get(writer);
      if (reached == null || write > reached) {
        String f = "corruption: never written: a value stamped writer " + TortureValue.writerName(writer) + ", write "
            + write + ", but that writer " + (reached == null ? "does not exist" : "wrote only " + reached);
        corruption.add(f);
        failures.add(f);
      }
    });
    long totalWrites = attempted.values().stream().mapToLong(Long::longValue).sum();
    line("(a) corruption", corruption.isEmpty(), String.format("%,d writes by %d writers over %d keys, %,d reads"
        + " verified; none torn, mixed, crossed or never written", totalWrites, attempted.size(), c.keys(),
        verifiedReads),
        corruption.size() + " bad values");

    // (b) lost updates
    List<String> lost = new ArrayList<>();
    long sumAcked = 0;
    long sumUnknown = 0;
    for (int i = 0; i < c.counters(); i++) {
      sumAcked += acked[i];
      sumUnknown += unknown[i];
      if (finalCounter[i] < acked[i] || finalCounter[i] > acked[i] + unknown[i]) {
        String f = "lost update: counter " + i + " is " + finalCounter[i] + " but " + acked[i]
            + " increments were acknowledged" + (unknown[i] > 0 ? " (and " + unknown[i] + " have unknown outcomes)" : "");
        lost.add(f);
        failures.add(f);
      }
    }
    line("(b) lost updates", lost.isEmpty(), String.format("%d counters, %,d acknowledged increments%s, final sum %,d",
        c.counters(), sumAcked, sumUnknown > 0 ? " (+" + sumUnknown + " unknown)" : "",
        java.util.Arrays.stream(finalCounter).sum()), lost.size() + " counters wrong");

    // (c) linearizability
    int bad = 0;
    int inconclusive = 0;
    long linOps = 0;
    long steps = 0;
    List<String> linDetails = new ArrayList<>();
    for (Map.Entry<Integer, List<LinOp>> h : histories.entrySet()) {
      Outcome o = LinearizabilityChecker.check(h.getValue(), c.linMaxSteps(), LinearizabilityChecker.DEFAULT_MAX_MEMO);
      linOps += o.operations();
      steps += o.steps();
      if (o.verdict() == Verdict.NOT_LINEARIZABLE) {
        bad++;
        linDetails.add("key " + h.getKey() + " is not linearizable: " + o.detail());
        failures.add("linearizability: key " + h.getKey() + " is not linearizable");
      } else if (o.verdict() == Verdict.UNKNOWN) {
        inconclusive++;
        linDetails.add("key " + h.getKey() + ": unknown: " + o.detail());
      }
    }
    String linSummary = String.format("%d keys, %,d operations, %,d search steps", histories.size(), linOps, steps);
    if (bad > 0) {
      line("(c) linearizability", false, "", bad + " of " + histories.size() + " keys NOT linearizable; " + linSummary);
    } else if (inconclusive > 0) {
      out.printf("%-22s UNKNOWN  %d of %d keys hit the search bound (--lin-max-steps); %s%n", "(c) linearizability",
          inconclusive, histories.size(), linSummary);
    } else {
      line("(c) linearizability", true, linSummary + "; every key linearizable", "");
    }
    linDetails.forEach(d -> out.println("    " + d.replace("\n", "\n    ")));

    // (d) stalls
    line("(d) stalls", !stalled, String.format("longest time without a completed operation %.1f s (limit %.1f s)",
        longestGapNs.get() / 1e9, c.stallMs() / 1e3), "stalled; thread dumps saved (below)");

    // (e) direct reads
    long linDirect = histories.values().stream().flatMap(List::stream)
        .filter(o -> o.kind() == LinOp.Kind.GET && o.direct()).count();
    long linSocket = histories.values().stream().flatMap(List::stream)
        .filter(o -> o.kind() == LinOp.Kind.GET && !o.direct()).count();
    if (reads.socketClientDirect > 0) {
      directFailures.add("socket-only clients (direct reads off) answered " + reads.socketClientDirect
          + " GETs from the view");
    }
    if (directThreads > 0) {
      if (reads.direct == 0) {
        directFailures.add("no GET was answered from the daemon's view although " + directThreads + " threads read"
            + " directly (their " + String.format("%,d", reads.directClientSocket) + " GETs all went through the"
            + " socket): the daemon has no view (--no-view, --durability never) or these processes may not open it;"
            + " --direct-readers 0 tortures the socket only");
      } else if (c.linKeys() > 0 && linDirect == 0) {
        directFailures.add("no history GET was answered from the view: the linearizability check judged no direct"
            + " read");
      }
    }
    directFailures.forEach(f -> failures.add("direct reads: " + f));
    synchronized (failures) { // and those found during the run (the re-map probe)
      failures.stream().filter(f -> f.startsWith("direct reads: ")).map(f -> f.substring("direct reads: ".length()))
          .filter(f -> !directFailures.contains(f)).toList().forEach(directFailures::add);
    }
    String readSummary = String.format("%,d GETs from the view, %,d through the socket (%d direct threads: %,d"
            + " from the view + %,d fell back to the socket; %d socket-only threads: %,d); history GETs %,d direct,"
            + " %,d socket", reads.direct, reads.directClientSocket + reads.socketClientSocket, directThreads,
        reads.direct, reads.directClientSocket, c.processes() * c.threads() - directThreads,
        reads.socketClientSocket, linDirect, linSocket);
    line("(e) direct reads", directFailures.isEmpty(), readSummary, readSummary);
    if (directThreads > 0) {
      out.printf("    at the end: the view and the socket agree on %d of %d keys (%d answered from the view);"
          + " %d of %d direct clients had the view mapped%n", agreement.compared - agreement.disagreed,
          agreement.compared, agreement.fromView, reads.directClientsMapped, reads.directClients);
    }
    if (c.crash() && directThreads > 0) {
      out.printf("    re-mapped: the probe client (mapped before the first kill) read its acknowledged write from the"
          + " new daemon's view after %d of %d kills; the workers' direct clients answered GETs from a view after %d"
          + " of %d restarts (%s)%n", probeRemaps, crashChecks, reads.remapped.size(), restarts,
          reads.remapSummary(restarts));
    }
    directFailures.stream().limit(10).forEach(f -> out.println("    " + f));

    boolean errorsFail = c.recovering() && errors > 0;
    if (errors > 0) {
      out.printf("%-22s %s  %d client errors%s%n", "client errors", errorsFail ? "FAIL" : "note", errors,
          errorsFail ? " (recovering clients should have hidden every restart)" : " (plain clients: expected)");
      synchronized (clientErrors) {
        clientErrors.stream().limit(10).forEach(e -> out.println("    " + e));
      }
    }
    List<String> other;
    synchronized (failures) {
      other = failures.stream().filter(f -> !f.contains("corruption") && !f.startsWith("lost update:")
          && !f.startsWith("linearizability:") && !f.startsWith("direct reads:")).toList();
    }
    if (!other.isEmpty()) {
      out.println("other failures:");
      other.forEach(f -> out.println("    " + f));
    }
    if (!corruption.isEmpty() || !lost.isEmpty()) {
      out.println("details:");
      Stream.concat(corruption.stream(), lost.stream()).limit(20).forEach(f -> out.println("    " + f));
    }
    out.printf("keys of this run in the daemon: %d (prefix %s)%n", keysFound, WorkerSpec.prefix(runId));
    return failures.isEmpty() && inconclusive == 0 && !errorsFail;
  }

  private void line(String check, boolean pass, String ok, String bad) {
    out.printf("%-22s %s  %s%n", check, pass ? "PASS" : "FAIL", pass ? ok : bad);
  }

  /** "1,234 GET (567 direct), 890 SET, 456 CAS, 123 DELETE" over all history keys. */
  private static String historyMix(Map<Integer, List<LinOp>> histories) {
    Map<LinOp.Kind, Long> n = new java.util.EnumMap<>(LinOp.Kind.class);
    long direct = 0;
    for (List<LinOp> h : histories.values()) {
      for (LinOp o : h) {
        n.merge(o.kind(), 1L, Long::sum);
        direct += o.direct() ? 1 : 0;
      }
    }
    return String.format("%,d GET (%,d direct), %,d SET, %,d CAS, %,d DELETE", n.getOrDefault(LinOp.Kind.GET, 0L),
        direct, n.getOrDefault(LinOp.Kind.SET, 0L), n.getOrDefault(LinOp.Kind.CAS, 0L),
        n.getOrDefault(LinOp.Kind.DELETE, 0L));
  }

  /** The workers' clients' read counts ({@link SharedMap#readStats()}) and the re-maps after restarts. */
  private final class ReadTotals {
    long direct;
    long directClientSocket;
    long socketClientSocket;
    long socketClientDirect;
    int directClients;
    int directClientsMapped;
    /** Restart number -> workers that read from the new daemon's view after it. */
    final TreeMap<Integer, Integer> remapped = new TreeMap<>();

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
     * that, and how many of them a view answered). A new daemon that opens its view at the old
     * one's file retires the old one before it answers anyone, so then a GET begun after the worker
     * heard of restart n and answered from a view was answered by the new daemon's: the client
     * re-mapped. (A daemon restarted with its view elsewhere, or none, leaves the old view live;
     * then only the probe client's check, which reads a fresh write, tells.) {@link
     * #REMAP_WITHIN_GETS} GETs after a restart with none from a view is a failure; fewer (a restart
     * near the end) are not judged.
     */
    void remaps(int worker, TreeMap<Integer, long[]> epochs, long endNs, List<String> problems) {
      for (Map.Entry<Integer, long[]> e : epochs.entrySet()) {
        int n = e.getKey();
        if (n == 0) {
          continue;
        }
        Map.Entry<Integer, long[]> next = epochs.higherEntry(n);
        long lengthNs = (next != null ? next.getValue()[0] : endNs) - e.getValue()[0];
        long gets = e.getValue()[1];
        long fromView = e.getValue()[2];
        if (fromView > 0) {
          remapped.merge(n, 1, Integer::sum);
        } else if (gets >= REMAP_WITHIN_GETS) {
          problems.add(String.format("worker %d: after restart %d its direct clients made %d GETs in %.1f s and"
              + " the view answered none: they did not map the new daemon's view", worker, n, gets, lengthNs / 1e9));
        }
      }
    }

    String remapSummary(int restarts) {
      StringBuilder b = new StringBuilder();
      for (int n = 1; n <= restarts; n++) {
        b.append(n > 1 ? ", " : "").append("#").append(n).append(": ").append(remapped.getOrDefault(n, 0))
            .append(" workers");
      }
      return restarts == 0 ? "no restarts" : b.toString();
    }
  }

  /**
   * At the end, with every worker done: every key of the run read through the socket and then from
   * the view must be the same (value and version), or absent from both. The socket read comes
   * first: it answers only once its version is durable, and so in the view.
   */
  private final class ViewAgreement {
    int compared;
    int disagreed;
    int fromView;

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
      if (remapProbe != null) {
        keys.add(probeKey());
      }
      for (String key : keys) {
        Optional<Entry> viaSocket = socketOnly.get(key);
        long before = direct.readStats().direct();
        Optional<Entry> viaView = direct.get(key);
        boolean answeredByView = direct.readStats().direct() > before;
        compared++;
        fromView += answeredByView ? 1 : 0;
        boolean same = viaSocket.isPresent() == viaView.isPresent() && (viaSocket.isEmpty()
            || (viaSocket.get().version() == viaView.get().version()
                && java.util.Arrays.equals(viaSocket.get().value(), viaView.get().value())));
        if (!same) {
          disagreed++;
          problems.add("at the end " + key + " is " + describe(viaSocket) + " through the socket but "
              + describe(viaView) + (answeredByView ? " in the view" : " through the direct client's fallback"));
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
