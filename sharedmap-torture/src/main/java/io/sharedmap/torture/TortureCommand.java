package io.sharedmap.torture;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.client.SharedMapPaths;
import io.sharedmap.launcher.Subcommand;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code sharedmap torture}: the SMP torture test; see {@link TortureRun} and docs/RELIABILITY.md. */
@Command(
        name = "torture",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Torture a daemon from P processes x T threads and check five things: (a) no value read is torn, mixed"
                    + " or never written; (b) no acknowledged compare-and-set increment is lost; (c) the history of"
                    + " GET/SET/CAS/DELETE on a few keys is linearizable; (d) operations never stall; (e) the threads"
                    + " meant to read directly from the daemon's mapped store did, their answers agree with the"
                    + " socket's, and they map the new daemon's store after restarts. With --crash the daemon is killed"
                    + " with SIGKILL"
                    + " at random moments and restarted, and each restart is verified.",
            "Starts its own daemon on a fresh directory unless --socket names a running one. Prints a summary;"
                    + " exit 0 only when every check passed.",
            "With --url (or $SHAREDMAP_URL) it tortures any backend through the portable API instead"
                    + " (etcd://..., redis-cluster://..., redis://..., unix:///socket): checks (a) to (d) as"
                    + " above, with plain clients (no backend behind a URL resends exactly once, so a call that"
                    + " throws has an unknown outcome); (e) is not judged (no mapped store) and --crash is refused"
                    + " (kill the engine's members from outside; docs/SCALE-OUT.md)."
        },
        footer = {
            "",
            "Examples:",
            "  sharedmap torture --duration 60s --crash",
            "  sharedmap torture --duration 60s --crash --cpus 1",
            "  sharedmap torture --socket /run/sharedmap/sharedmap.sock --duration 10m --processes 8",
            "  sharedmap torture --url etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379 --duration 60s",
            "",
            "Exit codes: 0 clean, 1 a check failed (or the linearizability search was inconclusive), 2 usage,"
                    + " 6 the daemon could not be started (or the --url's backend does not answer)."
        })
public final class TortureCommand implements Subcommand {
    /** Exit code: the daemon could not be started (as {@code sharedmap start}'s). */
    static final int LIFECYCLE = 6;

    /**
     * The system properties that start the daemon in its deliberately broken modes (the server's
     * {@code EngineHooks.STALE_READS_PROPERTY} and {@code LATE_APPLY_PROPERTY}; this module knows no
     * server code): GET sometimes answers a key's previous value; changes reach the mapped store only
     * after they are acknowledged.
     */
    static final String UNSAFE_STALE_READS_PROPERTY = "sharedmap.unsafe.staleReads";

    static final String UNSAFE_LATE_APPLY_PROPERTY = "sharedmap.unsafe.lateApply";

    @Spec
    CommandSpec spec;

    @Option(
            names = "--duration",
            paramLabel = "TIME",
            converter = DurationConverter.class,
            description = "How long the workers run: 500ms, 30s, 10m, 1h (default: 60s).")
    Duration duration = Duration.ofSeconds(60);

    @Option(names = "--processes", paramLabel = "P", description = "Worker processes (default: ${DEFAULT-VALUE}).")
    int processes = 4;

    @Option(names = "--threads", paramLabel = "T", description = "Threads per worker (default: ${DEFAULT-VALUE}).")
    int threads = 4;

    @Option(
            names = "--keys",
            paramLabel = "N",
            description = "Shared keys the corruption check writes and reads (default: ${DEFAULT-VALUE}).")
    int keys = 64;

    @Option(
            names = "--counters",
            paramLabel = "N",
            description = "Shared counters the lost-update check increments (default: ${DEFAULT-VALUE}).")
    int counters = 4;

    @Option(
            names = "--lin-keys",
            paramLabel = "N",
            description = "Keys whose GET/SET/CAS history is checked for linearizability (default: ${DEFAULT-VALUE}).")
    int linKeys = 4;

    @Option(
            names = "--lin-ops",
            paramLabel = "N",
            description = "History operations per key, spread over the run; the check costs grow with it"
                    + " (default: ${DEFAULT-VALUE}).")
    int linOps = 3000;

    @Option(
            names = "--lin-max-steps",
            paramLabel = "N",
            description = "Search bound of the linearizability checker per key; past it the key is 'unknown'"
                    + " (default: ${DEFAULT-VALUE}).")
    long linMaxSteps = 50_000_000L;

    @Option(
            names = "--crash",
            description = "Kill the daemon with SIGKILL at random moments, restart it on the same"
                    + " directory, and verify that nothing a client saw went back (needs the tool's own daemon).")
    boolean crash;

    @Option(
            names = "--crash-mean",
            paramLabel = "TIME",
            converter = DurationConverter.class,
            description = "Mean time between kills; each is uniform in 0.25..1.75 times it (default: 2s).")
    Duration crashMean = Duration.ofSeconds(2);

    @Option(
            names = "--socket",
            paramLabel = "PATH",
            description = "Torture the daemon already running on this socket instead of starting one (no --crash).")
    Path socket;

    @Option(
            names = "--url",
            paramLabel = "URL",
            description = "Torture the map this URL names, on any backend, through the portable API"
                    + " (SharedMap.connect(URI)): etcd://host:port,..., redis-cluster://host:port,...,"
                    + " redis://host:port or unix:///path/to/socket; $SHAREDMAP_URL sets it when neither --url nor"
                    + " --socket is given. No daemon of the tool's own, no --crash, no direct readers, plain clients.")
    @Nullable
    String url;

    @Option(
            names = "--dir",
            paramLabel = "PATH",
            description = "Data directory of the tool's own daemon, kept afterwards (default: a fresh directory under"
                    + " /tmp, deleted after a clean run).")
    Path dir;

    @Option(
            names = "--durability",
            paramLabel = "MODE",
            description = "Durability of the tool's own daemon: always, interval, never (default: ${DEFAULT-VALUE}).")
    String durability = "interval";

    @Option(
            names = "--cpus",
            paramLabel = "N",
            description = "Run the daemon and the workers on CPUs 0..N-1 only (taskset -c and"
                    + " -XX:ActiveProcessorCount=N); 0 = all CPUs (default: ${DEFAULT-VALUE}).")
    int cpus;

    @Option(
            names = "--stall-seconds",
            paramLabel = "S",
            description =
                    "Fail, saving thread dumps, when no operation completes for this long (default: ${DEFAULT-VALUE}).")
    double stallSeconds = 10;

    @Option(
            names = "--client",
            paramLabel = "KIND",
            description = "recovering (survive daemon restarts; client errors fail the run) or plain (errors are"
                    + " expected under --crash and make outcomes unknown) (default: ${DEFAULT-VALUE}).")
    String client = "recovering";

    @Option(
            names = "--reconnect-window",
            paramLabel = "TIME",
            converter = DurationConverter.class,
            description = "The recovering clients' reconnect window (default: 30s).")
    Duration reconnectWindow = Duration.ofSeconds(30);

    @Option(names = "--seed", paramLabel = "N", description = "Seed of every random choice (default: random).")
    Long seed;

    @Option(names = "--keep", description = "Keep the data directory and the results even after a clean run.")
    boolean keep;

    @Option(
            names = "--direct-readers",
            paramLabel = "SHARE",
            description = "Share of the worker threads that read directly from the daemon's mapped store (the rest read"
                    + " through the socket only), 0 to 1; a share between gets at least one thread of each kind. Fails the"
                    + " run if the store answered none of their GETs (default: 0.5; 0 when the daemon offers no direct"
                    + " reads).")
    Double directReaders;

    @Option(
            names = {"--direct-reads", "--view"},
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "Whether the tool's own daemon offers direct reads of its mapped store (default: on; never with"
                            + " --durability never; --[no-]view is the old name).")
    boolean directReads = true;

    @Option(
            names = {"--unsafe-late-apply", "--unsafe-late-view"},
            hidden = true,
            description = "Start the daemon in its deliberately broken mode where writes reach the mapped store only"
                    + " after they are acknowledged, so a direct read may miss one (proves the checks catch a stale"
                    + " direct read; --unsafe-late-view is the old name).")
    boolean unsafeLateApply;

    @Option(
            names = "--unsafe-stale-reads",
            hidden = true,
            description =
                    "Start the daemon in its deliberately broken mode where GET sometimes returns a key's previous"
                            + " value (proves the linearizability check catches it).")
    boolean unsafeStaleReads;

    @Option(
            names = "--restart-daemon-option",
            hidden = true,
            paramLabel = "OPT",
            description =
                    "An extra server option of the tool's own daemon when it is restarted (not at its first start),"
                            + " e.g. --no-direct-reads: a daemon restarted with other settings on the same directory.")
    List<String> restartDaemonOptions = new ArrayList<>();

    @Option(
            names = "--daemon-jvm-option",
            hidden = true,
            paramLabel = "OPT",
            description = "An extra JVM option of the tool's own daemon, e.g. -Dsharedmap.faults=delay-write-us=1000.")
    List<String> daemonJvmOptions = new ArrayList<>();

    /** The options that configure, pin, crash or read from the tool's own daemon: none applies to a URL. */
    private static final List<String> OWN_DAEMON_OPTIONS = List.of(
            "--crash",
            "--crash-mean",
            "--dir",
            "--durability",
            "--cpus",
            "--direct-reads",
            "--direct-readers",
            "--reconnect-window",
            "--unsafe-late-apply",
            "--unsafe-stale-reads",
            "--restart-daemon-option",
            "--daemon-jvm-option");

    @Override
    public Integer call() throws Exception {
        URI target = target(System.getenv());
        if (target != null) {
            checkForUrl(target);
        }
        check(duration.toMillis() >= 100, "--duration: " + duration + " is shorter than 100 ms");
        check(processes >= 1 && processes <= 256, "--processes: " + processes + " is outside 1..256");
        check(threads >= 1 && threads <= 256, "--threads: " + threads + " is outside 1..256");
        check(keys >= 1 && keys <= 1_000_000, "--keys: " + keys + " is outside 1..1000000");
        check(counters >= 1 && counters <= 10_000, "--counters: " + counters + " is outside 1..10000");
        check(linKeys >= 0 && linKeys <= 1000, "--lin-keys: " + linKeys + " is outside 0..1000");
        check(linOps >= 1 && linOps <= 1_000_000, "--lin-ops: " + linOps + " is outside 1..1000000");
        check(linMaxSteps >= 1, "--lin-max-steps: " + linMaxSteps + " is not positive");
        check(crashMean.toMillis() >= 100, "--crash-mean: " + crashMean + " is shorter than 100 ms");
        check(stallSeconds > 0, "--stall-seconds: " + stallSeconds + " is not positive");
        int available = Runtime.getRuntime().availableProcessors();
        check(
                cpus >= 0 && cpus <= available,
                "--cpus: " + cpus + " is outside 0.." + available + " (this machine's CPUs)");
        check(
                client.equals("recovering") || client.equals("plain"),
                "--client: '" + client + "' is neither recovering nor plain");
        check(
                directReaders == null || (directReaders >= 0 && directReaders <= 1),
                "--direct-readers: " + directReaders + " is outside 0..1");
        check(
                socket == null
                        || (!crash
                                && dir == null
                                && cpus == 0
                                && !unsafeStaleReads
                                && !unsafeLateApply
                                && daemonJvmOptions.isEmpty()
                                && restartDaemonOptions.isEmpty()),
                "--socket: an existing daemon cannot be crashed, moved, pinned or reconfigured; drop --crash, --dir, --cpus"
                        + " and the daemon options, or let the tool start its own daemon");
        check(
                durability.equals("always") || durability.equals("interval") || durability.equals("never"),
                "--durability: '" + durability + "' is none of always, interval, never");
        check(
                !(crash && durability.equals("never")),
                "--crash with --durability never: that mode may lose"
                        + " acknowledged changes on kill -9, which the checks would report; use interval or always");
        List<String> jvm = new ArrayList<>(daemonJvmOptions);
        if (unsafeStaleReads) {
            jvm.add("-D" + UNSAFE_STALE_READS_PROPERTY + "=true");
        }
        if (unsafeLateApply) {
            jvm.add("-D" + UNSAFE_LATE_APPLY_PROPERTY + "=true");
        }
        if (target != null) { // the options are fine: does the URL's backend answer?
            try (PortableMap map = SharedMap.connect(target)) {
                map.ping();
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--url: " + e.getMessage(), e);
            } catch (SharedMapException e) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
                spec.commandLine().getErr().flush();
                return LIFECYCLE;
            }
        }
        boolean daemonReadsDirect = target == null && (socket != null || (directReads && !durability.equals("never")));
        TortureConfig config = new TortureConfig(
                duration.toMillis(),
                processes,
                threads,
                keys,
                counters,
                linKeys,
                linOps,
                linMaxSteps,
                crash,
                crashMean.toMillis(),
                socket == null ? null : socket.toAbsolutePath(),
                target,
                dir == null ? null : dir.toAbsolutePath(),
                durability.toString(),
                cpus,
                (long) (stallSeconds * 1000),
                target == null && client.equals("recovering"),
                reconnectWindow.toMillis(),
                seed != null ? seed : new SecureRandom().nextLong(),
                List.copyOf(jvm),
                keep,
                directReaders != null ? directReaders : daemonReadsDirect ? 0.5 : 0,
                directReads,
                List.copyOf(restartDaemonOptions));
        try {
            return new TortureRun(config, spec.commandLine().getOut()).run();
        } catch (IOException e) {
            spec.commandLine().getOut().flush();
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
            spec.commandLine().getErr().flush();
            return LIFECYCLE;
        }
    }

    /**
     * The URL to torture through the portable API: {@code --url}, else {@code $SHAREDMAP_URL} when
     * {@code --socket} is not given either; null for a daemon.
     */
    @Nullable
    URI target(Map<String, String> env) {
        check(url == null || socket == null, "give --url or --socket, not both");
        String chosen = url != null ? url : socket != null ? null : env.get(SharedMapPaths.URL_ENV);
        if (chosen == null || chosen.isEmpty()) {
            return null;
        }
        String from = url != null ? "--url" : "$" + SharedMapPaths.URL_ENV;
        try {
            URI uri = new URI(chosen);
            check(
                    uri.getScheme() != null,
                    from + ": '" + chosen + "' has no scheme; use etcd://host:port,..., redis-cluster://host:port,...,"
                            + " redis://host:port or unix:///path/to/socket");
            return uri;
        } catch (URISyntaxException e) {
            throw new ParameterException(
                    spec.commandLine(), from + ": '" + chosen + "' is not a URL (" + e.getMessage() + ")", e);
        }
    }

    /** What a run through a URL cannot do is refused, naming the option, never done differently. */
    private void checkForUrl(URI target) {
        String from = url != null ? "--url" : "$" + SharedMapPaths.URL_ENV + " (" + target.getScheme() + ":)";
        for (String option : OWN_DAEMON_OPTIONS) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new ParameterException(
                        spec.commandLine(),
                        option + " applies to the tool's own daemon, and with " + from + " there is none"
                                + (option.equals("--crash")
                                        ? ": against a remote engine, kill its members from outside during the run"
                                                + " (docs/SCALE-OUT.md shows how the tests do it)"
                                        : option.startsWith("--direct")
                                                ? ": a backend behind a URL has no mapped store to read directly"
                                                : ""));
            }
        }
        check(
                !(spec.commandLine().getParseResult().hasMatchedOption("--client") && client.equals("recovering")),
                "--client recovering: no backend behind a URL resends a change exactly once (docs/SCALE-OUT.md), so"
                        + " its clients are plain: a call that throws has an unknown outcome; drop --client or say plain");
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, or a number of seconds. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

        @Override
        public Duration convert(String value) {
            Matcher m = FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a duration such as 500ms, 30s, 10m or 1h");
            }
            double n = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            double ms = switch (unit) {
                case "ms" -> n;
                case "s" -> n * 1e3;
                case "m" -> n * 60e3;
                default -> n * 3600e3;
            };
            return Duration.ofMillis((long) ms);
        }
    }
}
