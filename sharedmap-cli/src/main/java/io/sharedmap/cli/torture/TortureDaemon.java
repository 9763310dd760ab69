package io.sharedmap.cli.torture;

import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.os.files.FileModes;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The daemon a torture run starts, kills and restarts: {@code sharedmap server} in its own JVM,
 * optionally pinned ({@code taskset -c 0..N-1} and {@code -XX:ActiveProcessorCount=N}), its output
 * appended to {@code <dir>/daemon.log}.
 */
final class TortureDaemon {
  static final Path TASKSET = Path.of("/usr/bin/taskset");
  private static final long START_TIMEOUT_MS = 120_000;

  private final Path dir;
  private final Path socket;
  private final String durability;
  private final List<String> launch;
  private Process process;

  private final List<String> serverOptions;
  private final List<String> restartOptions;
  private int starts;

  /**
   * @param serverOptions options of {@code sharedmap server} at every start
   * @param restartOptions further options at every start but the first (a test hook: a daemon
   *     restarted differently on the same directory)
   */
  TortureDaemon(Path dir, Path socket, String durability, int cpus, List<String> jvmOptions,
      List<String> serverOptions, List<String> restartOptions) {
    this.dir = dir;
    this.socket = socket;
    this.durability = durability;
    this.serverOptions = List.copyOf(serverOptions);
    this.restartOptions = List.copyOf(restartOptions);
    this.launch = new ArrayList<>(pinned(cpus));
    launch.add(javaBinary());
    if (cpus > 0) {
      launch.add("-XX:ActiveProcessorCount=" + cpus);
    }
    launch.addAll(jvmOptions);
  }

  /** {@code taskset -c 0-(cpus-1)}, or nothing for all CPUs. */
  static List<String> pinned(int cpus) {
    if (cpus <= 0) {
      return List.of();
    }
    if (!Files.isExecutable(TASKSET)) {
      throw new IllegalStateException("--cpus needs " + TASKSET + " (util-linux), which is missing");
    }
    return List.of(TASKSET.toString(), "-c", cpus == 1 ? "0" : "0-" + (cpus - 1));
  }

  static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  Path socket() {
    return socket;
  }

  Path log() {
    return dir.resolve("daemon.log");
  }

  /**
   * Starts the daemon and waits until it answers; returns how long that took, in ms. Not
   * interruptible (an interrupt is kept for the caller): a half-started daemon is no use.
   */
  long start() throws IOException {
    interruptedDuringStart = Thread.interrupted();
    try {
      return startAndWait();
    } finally {
      if (interruptedDuringStart) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * An interrupt that arrived while starting, kept for the caller: a pending interrupt makes every
   * socket the probe opens fail at once (ClosedByInterruptException), so the probe would never see
   * the daemon answer. Seen when the run ended (and interrupted the keeper) during a restart.
   */
  private boolean interruptedDuringStart;

  private long startAndWait() throws IOException {
    long t0 = System.nanoTime();
    List<String> command = new ArrayList<>(launch);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sharedmap.cli.Main", "server",
        "--dir", dir.toString(), "--socket", socket.toString(), "--durability", durability));
    command.addAll(serverOptions);
    if (starts++ > 0) {
      command.addAll(restartOptions);
    }
    FileModes.createPrivateDirectories(dir); // as `sharedmap start` makes it: no warning at every restart
    process = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
        .redirectErrorStream(true)
        .start();
    long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
    while (true) {
      interruptedDuringStart |= Thread.interrupted();
      String lastFailure = whyNot(socket);
      if (lastFailure == null) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      }
      if (!process.isAlive()) {
        throw new IOException("the daemon exited with status " + process.exitValue() + " before answering on "
            + socket + "; see " + log());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IOException("the daemon did not answer on " + socket + " within " + START_TIMEOUT_MS + " ms (last"
            + " attempt: " + lastFailure + "); see " + log());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // polling for the socket, with a deadline
    }
  }

  static boolean answers(Path socket) {
    return whyNot(socket) == null;
  }

  /** Null if the daemon on {@code socket} answers a PING, else why not. */
  static String whyNot(Path socket) {
    try (SharedMap map = SharedMap.connect(socket, SharedMap.Options.defaults().recovering(false)
        .directReads(false))) {
      map.ping();
      return null;
    } catch (SharedMapException e) {
      return e.getMessage();
    }
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The exit status of a daemon that died (not by our hand), or -1 while it runs. */
  int exitStatus() {
    return process == null || process.isAlive() ? -1 : process.exitValue();
  }

  /** Waits up to {@code ns} for the daemon to exit; true if it has. */
  boolean awaitExit(long ns) throws InterruptedException {
    return process.waitFor(ns, TimeUnit.NANOSECONDS);
  }

  long pid() {
    return process.pid();
  }

  /** kill -9, and waits for the process to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM (drain, exit 0), waiting up to 60 s, else kill -9. Returns the exit status. */
  int stop() throws InterruptedException {
    if (process == null) {
      return 0;
    }
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
    return process.exitValue();
  }

  /** {@code jcmd <pid> Thread.print} into {@code file}; a note in the file when that failed. */
  static void threadDump(long pid, Path file) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print", "-l")
          .redirectOutput(file.toFile())
          .redirectErrorStream(true)
          .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        Files.writeString(file, "\njcmd did not finish within 30 s\n", java.nio.file.StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      try {
        Files.writeString(file, "cannot run " + jcmd + ": " + e + "\n");
      } catch (IOException ignored) {
        // nowhere to report it
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The daemon's STATS, or an empty map when it does not answer. */
  static Map<String, String> stats(Path socket) {
    try (SharedMap map = SharedMap.connect(socket, SharedMap.Options.defaults().recovering(false)
        .directReads(false))) {
      return map.stats();
    } catch (SharedMapException e) {
      return Map.of();
    }
  }

  /** kill -9 if still running (cleanup on Ctrl-C). */
  void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor();
    }
  }
}
