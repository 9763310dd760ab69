package io.sharedmap.cli;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.ReplyTimeoutException;
import io.sharedmap.client.SharedMap;
import io.sharedmap.server.ServerConfig;
import io.sharedmap.os.files.FileModes;
import java.io.File;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap start}: starts a daemon in the background unless one already answers. */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = {"Start the daemon in the background (detached, its output appended to <dir>/daemon.log)"
        + " and wait until it answers; do nothing if a daemon already answers on the socket.",
        "Takes the same options as 'sharedmap server'."})
final class StartCommand implements Callable<Integer> {
  private static final Path SETSID = Path.of("/usr/bin/setsid");
  private static final int LOG_LINES_SHOWN = 20;

  @ParentCommand SharedMapCommand root;
  @Mixin ServerOptions options;

  @Option(names = "--supervise",
      description = "Run the daemon under a supervising process that restarts it when it dies abnormally"
          + " (not after 'sharedmap stop'), with backoff, at most --max-restarts times a minute; its events go to"
          + " <dir>/daemon.log.")
  boolean supervise;

  @Option(names = "--max-restarts", paramLabel = "N",
      description = "With --supervise: most restarts within one minute before the supervisor gives up, 1..1000"
          + " (default: ${DEFAULT-VALUE}).")
  int maxRestarts = 10;

  @Option(names = "--timeout-ms", paramLabel = "MS",
      description = "How long to wait for the daemon to answer; also how long (at least 1 s) a daemon already on"
          + " the socket may take to answer before it counts as stuck (default: ${DEFAULT-VALUE}).")
  long timeoutMs = 30_000;

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig config = options.toConfig();
    if (maxRestarts < 1 || maxRestarts > 1000) {
      throw new CliException(ExitCodes.USAGE, "--max-restarts: " + maxRestarts + " is outside 1..1000");
    }
    if (timeoutMs < 0) {
      throw new CliException(ExitCodes.USAGE, "--timeout-ms: " + timeoutMs + " is negative");
    }
    Map<String, String> running;
    try {
      running = statsIfRunning(config.socket(), replyTimeout());
    } catch (ReplyTimeoutException e) {
      throw new CliException(ExitCodes.LIFECYCLE, e.getMessage() + "; not starting another daemon: it would find"
          + " the socket in use (kill -CONT or kill -9 the stuck one)");
    }
    if (running != null) {
      root.out().printf("already running: pid %s, socket %s, data %s%n", running.get("pid"),
          running.getOrDefault("socket", config.socket().toString()),
          running.getOrDefault("data_dir", "?"));
      return ExitCodes.OK;
    }
    createDataDirectory(config.dataDir());
    Path log = DaemonLog.in(config.dataDir());
    Process process = spawn(config, log);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    long backoffMs = 5;
    while (true) {
      Map<String, String> stats;
      try {
        stats = statsIfRunning(config.socket(), replyTimeout());
      } catch (ReplyTimeoutException e) {
        throw new CliException(ExitCodes.LIFECYCLE, "the daemon (pid " + process.pid() + ") started but does not"
            + " answer: " + e.getMessage() + "; see " + log);
      }
      if (stats != null) {
        root.out().printf("started: pid %s, socket %s, data %s%s%n", stats.get("pid"), config.socket(),
            config.dataDir(), supervise ? " (supervised by pid " + process.pid() + ")" : "");
        return ExitCodes.OK;
      }
      if (!process.isAlive()) {
        List<String> tail = DaemonLog.tail(log, LOG_LINES_SHOWN);
        tail.forEach(root.err()::println);
        throw new CliException(ExitCodes.LIFECYCLE, (supervise ? "the supervisor" : "the daemon")
            + " exited with status " + process.exitValue() + " before the daemon answered on " + config.socket()
            + "; the last lines of " + log + " are above");
      }
      long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (leftMs <= 0) {
        throw new CliException(ExitCodes.LIFECYCLE, "the daemon (pid " + process.pid() + ") did not answer on "
            + config.socket() + " within " + timeoutMs + " ms; it is still running; see " + log);
      }
      process.waitFor(Math.min(backoffMs, leftMs), TimeUnit.MILLISECONDS); // returns early if it exits
      backoffMs = Math.min(backoffMs * 2, 100);
    }
  }

  /** How long a daemon on the socket may take to answer a request: {@code --timeout-ms}, at least 1 s. */
  private Duration replyTimeout() {
    return Duration.ofMillis(Math.clamp(timeoutMs, 1_000, SharedMap.Options.MAX_REPLY_TIMEOUT.toMillis()));
  }

  /**
   * The daemon's stats when one answers on {@code socket}, else null.
   *
   * @throws ReplyTimeoutException when a daemon holds the socket but does not answer in time
   */
  private static Map<String, String> statsIfRunning(Path socket, Duration replyTimeout) {
    try (SharedMap map = SharedMap.connect(socket, SharedMap.Options.defaults().replyTimeout(replyTimeout))) {
      return map.stats();
    } catch (ReplyTimeoutException e) {
      throw e; // a daemon is there: not the same as none
    } catch (DaemonUnavailableException e) {
      return null;
    }
  }

  /** Creates {@code dir} (the daemon's log goes there) or fails saying why and what to do instead. */
  private static void createDataDirectory(Path dir) {
    try {
      FileModes.createPrivateDirectories(dir);
    } catch (IOException e) {
      String why = reason(e);
      String self = dir + ": ";
      throw new CliException(ExitCodes.LIFECYCLE, "cannot create data directory " + dir + ": "
          + (why.startsWith(self) ? why.substring(self.length()) : why) + "; use --dir or SHAREDMAP_DIR");
    }
  }

  /** Why a file operation failed, in words: an AccessDeniedException's message is only the path. */
  static String reason(IOException e) {
    if (e instanceof FileSystemException f && f.getReason() == null && f.getFile() != null) {
      String why = switch (f) {
        case AccessDeniedException x -> "permission denied";
        case FileAlreadyExistsException x -> "exists and is not a directory";
        case NoSuchFileException x -> "no such file or directory";
        default -> f.getClass().getSimpleName();
      };
      return f.getFile() + ": " + why;
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private Process spawn(ServerConfig config, Path log) {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(SETSID)) {
      command.add(SETSID.toString()); // own session: no terminal signals, survives the shell
    }
    command.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add(supervise ? "supervise" : "server");
    command.addAll(ServerOptions.toArgs(config));
    command.addAll(ServerOptions.toArgs(options.toSecurity()));
    command.addAll(ServerOptions.toArgs(options.toView()));
    if (supervise) {
      command.add("--max-restarts");
      command.add(Integer.toString(maxRestarts));
    }
    try {
      try {
        Files.createFile(log, FileModes.PRIVATE_FILE); // private, like everything in the data directory
      } catch (FileAlreadyExistsException e) {
        // appended to
      }
      return new ProcessBuilder(command)
          .directory(config.dataDir().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectErrorStream(true)
          .start();
    } catch (IOException e) { // the java executable, or the log file; the class path would bury the reason
      throw new CliException(ExitCodes.LIFECYCLE, "cannot start the daemon (" + command.get(command.indexOf("-cp") - 1)
          + ", output to " + log + "): " + reason(e));
    }
  }
}
