package io.sharedmap.cli;

import io.sharedmap.client.SharedMapPaths;
import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.launcher.DaemonSpec;
import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.server.Durability;
import io.sharedmap.server.MetricsConfig;
import io.sharedmap.server.RespConfig;
import io.sharedmap.server.SecurityConfig;
import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.StoreConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The daemon's parameters, one option per {@link ServerConfig} field: for {@code server} and {@code start}. */
final class ServerOptions {
    @Option(
            names = "--dir",
            paramLabel = "PATH",
            description = "Data directory: lock file, journal, snapshots, daemon.log"
                    + " (default: ${DEFAULT-VALUE}; $SHAREDMAP_DIR sets it).")
    Path dir = SharedMapPaths.defaultDataDir();

    @Option(
            names = "--socket",
            paramLabel = "PATH",
            description = "Unix domain socket to serve on, at most 107 bytes"
                    + " (default: ${DEFAULT-VALUE}; $SHAREDMAP_SOCKET sets it).")
    Path socket = SharedMapPaths.defaultSocket();

    @Option(
            names = "--durability",
            paramLabel = "MODE",
            converter = DurabilityConverter.class,
            description = "What an acknowledgement promises: always (fsynced first; survives power loss),"
                    + " interval (written to the OS first, fsynced every --fsync-interval-ms; survives kill -9),"
                    + " never (acknowledged before the journal write). One of always, interval, never"
                    + " (default: ${DEFAULT-VALUE}).")
    Durability durability = ServerConfig.DEFAULT_DURABILITY;

    @Option(
            names = "--fsync-interval-ms",
            paramLabel = "MS",
            description = "In interval mode, the longest time between fsyncs, 1..60000 (default: ${DEFAULT-VALUE}).")
    int fsyncIntervalMs = ServerConfig.DEFAULT_FSYNC_INTERVAL_MS;

    @Option(
            names = "--max-value-bytes",
            paramLabel = "BYTES",
            description = "Largest value accepted, 0..268435456 (default: ${DEFAULT-VALUE}).")
    int maxValueBytes = ServerConfig.DEFAULT_MAX_VALUE_BYTES;

    @Option(
            names = "--max-connections",
            paramLabel = "N",
            description = "Most client connections served at once, 1..65536 (default: ${DEFAULT-VALUE}).")
    int maxConnections = ServerConfig.DEFAULT_MAX_CONNECTIONS;

    @Option(
            names = "--snapshot-min-journal-bytes",
            paramLabel = "BYTES",
            description = "Take a snapshot once the journal written since the last one reaches this size and the"
                    + " size of the live data, 1048576..1099511627776 (default: ${DEFAULT-VALUE}).")
    long snapshotMinJournalBytes = ServerConfig.DEFAULT_SNAPSHOT_MIN_JOURNAL_BYTES;

    @Option(
            names = "--drain-timeout-ms",
            paramLabel = "MS",
            description = "On stop, how long requests in flight may take to finish, 0..600000"
                    + " (default: ${DEFAULT-VALUE}).")
    int drainTimeoutMs = ServerConfig.DEFAULT_DRAIN_TIMEOUT_MS;

    @Option(
            names = "--max-pending-payload-bytes",
            paramLabel = "BYTES",
            description = "Memory for request values over 64 KiB being received, across all connections; beyond it"
                    + " such requests wait (backpressure), small ones never do. 16777216..17179869184 and at least"
                    + " --max-value-bytes (default: ${DEFAULT-VALUE}).")
    long maxPendingPayloadBytes = ServerConfig.DEFAULT_MAX_PENDING_PAYLOAD_BYTES;

    @Option(
            names = "--stall-timeout-ms",
            paramLabel = "MS",
            description = "Close a connection whose client leaves it in the middle of a request (or before its hello),"
                    + " or does not read its replies, for this long; idle connections between requests are kept."
                    + " 1000..3600000 (default: ${DEFAULT-VALUE}).")
    int stallTimeoutMs = ServerConfig.DEFAULT_STALL_TIMEOUT_MS;

    @Option(
            names = "--spin-us",
            paramLabel = "US",
            description =
                    "How long an I/O thread that just served requests keeps polling for more (yielding"
                            + " the CPU between tries) before it blocks: spends CPU to answer sooner, since waking a blocked thread"
                            + " is slow, above all in a virtual machine. 0 blocks at once. 0..10000 (default: ${DEFAULT-VALUE}).")
    int spinUs = ServerConfig.DEFAULT_SPIN_US;

    @Option(
            names = "--max-spinners",
            paramLabel = "N",
            description = "Most I/O threads spinning at once (the others block at once); 0 never spins."
                    + " 0..1024 (default: the CPUs minus one, so 0 on one CPU; here ${DEFAULT-VALUE}).")
    int maxSpinners = ServerConfig.DEFAULT_MAX_SPINNERS;

    @Option(
            names = "--io-threads",
            paramLabel = "N",
            description = "I/O threads serving every connection between them (each an event loop that reads every"
                    + " ready connection, commits the round's writes with one journal write and answers them)."
                    + " 1..256, or 0 (the default): 1 with --durability always (one loop puts every ready writer into"
                    + " each fsync), else one per CPU.")
    int ioThreads = ServerConfig.DEFAULT_IO_THREADS;

    @Option(
            names = "--gather-us",
            paramLabel = "US",
            description = "With --durability always: the longest an I/O thread about to fsync waits for more writers,"
                    + " when its batch has fewer than its recent fsyncs covered (so that one fsync covers the writers"
                    + " the last one answered, rather than every other one). A lone writer never waits. 0 never waits."
                    + " 0..10000 (default: ${DEFAULT-VALUE}).")
    int gatherUs = ServerConfig.DEFAULT_GATHER_US;

    @Option(
            names = "--socket-mode",
            paramLabel = "OCTAL",
            converter = OctalConverter.class,
            description = "Mode of the socket file: who may connect at all (connecting needs its write bit)."
                    + " 0660 lets the daemon's user and group in; 0666 every local user (default: 0660).")
    int socketMode = SecurityConfig.DEFAULT_SOCKET_MODE;

    @Option(
            names = "--socket-owner",
            paramLabel = "USER",
            description = "Owner of the socket file, a name or uid (default: the daemon's user).")
    String socketOwner;

    @Option(
            names = "--socket-group",
            paramLabel = "GROUP",
            description = "Group of the socket file, a name or gid (default: the daemon's group).")
    String socketGroup;

    @Option(
            names = "--key-umask",
            paramLabel = "OCTAL",
            converter = OctalConverter.class,
            description = "Bits taken from 0666 for the mode of each key a client creates, like a shell's umask:"
                    + " 022 gives rw-r--r--, 077 rw------- (default: 022).")
    int keyUmask = SecurityConfig.DEFAULT_KEY_UMASK;

    @Option(
            names = "--admin-group",
            paramLabel = "GROUP",
            description = "Members of this group may change limits and key owners, as root may (default: only root).")
    String adminGroup;

    @Option(
            names = {"--direct-reads", "--view"},
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "Let clients that may open the mapped store's public files read them without a system call"
                            + " (--no-direct-reads: every GET goes through the socket; --[no-]view is the old name). Never in"
                            + " --durability never. The files may be read by whoever may connect (see --socket-mode, --socket-group).")
    boolean directReads = true;

    @Option(
            names = "--store-dir",
            paramLabel = "DIR",
            description =
                    "Where the mapped store keeps its files: every key and value, as memory. Best on a memory file"
                            + " system; it is rebuilt from the journal when missing (default: /dev/shm/sharedmap-UID/NAME, NAME"
                            + " derived from the socket path; beside the socket as SOCKET.store without /dev/shm).")
    Path storeDir;

    @Option(
            names = "--resp",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "Serve the Redis protocol (RESP2/RESP3) on a Unix socket of its own, with the same owner, group"
                            + " and mode as --socket and the same identity rules (--no-resp: only the binary socket).")
    boolean resp = true;

    @Option(
            names = "--resp-socket",
            paramLabel = "PATH",
            description = "The RESP socket, at most 107 bytes (default: the --socket path with .resp appended).")
    Path respSocket;

    @Option(
            names = "--resp-port",
            paramLabel = "PORT",
            description = "Also serve RESP on 127.0.0.1:PORT (0: a port the kernel chooses; INFO's tcp_port tells"
                    + " which). Off by default. TCP has no peer credentials: see --resp-tcp-user and"
                    + " docs/SECURITY.md.")
    Integer respPort;

    @Option(
            names = "--resp-tcp-user",
            paramLabel = "USER",
            description = "The account every RESP TCP connection acts as (whoever reaches the port gets its rights)."
                    + " Without it a TCP connection may only PING, HELLO, AUTH, CLIENT, COMMAND and QUIT.")
    String respTcpUser;

    /**
     * The Redis protocol front door's settings.
     *
     * @throws CliException exit code 2 naming the option
     */
    RespConfig toResp() {
        try {
            return new RespConfig(
                    resp,
                    respSocket == null ? null : respSocket.toAbsolutePath(),
                    respPort == null ? RespConfig.NO_TCP : respPort,
                    respTcpUser);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }

    /** The same RESP settings as arguments of {@code sharedmap server}. */
    static List<String> toArgs(RespConfig r) {
        List<String> args = new ArrayList<>(List.of(r.enabled() ? "--resp" : "--no-resp"));
        if (r.socket() != null) {
            args.add("--resp-socket");
            args.add(r.socket().toAbsolutePath().toString());
        }
        if (r.tcpPort() != RespConfig.NO_TCP) {
            args.add("--resp-port");
            args.add(Integer.toString(r.tcpPort()));
        }
        if (r.tcpUser() != null) {
            args.add("--resp-tcp-user");
            args.add(r.tcpUser());
        }
        return args;
    }

    @Option(
            names = "--metrics-port",
            paramLabel = "PORT",
            description = "Serve the daemon's metrics in Prometheus's text format on http://127.0.0.1:PORT/metrics"
                    + " (0: a free port, named in the log). Off by default.")
    Integer metricsPort;

    @Option(
            names = "--metrics-textfile",
            paramLabel = "FILE",
            description = "Write the metrics to FILE (a name ending in .prom) every 10 s, replaced atomically, for"
                    + " node_exporter's textfile collector. Off by default.")
    Path metricsTextfile;

    /**
     * Where the metrics are published.
     *
     * @throws CliException exit code 2 naming the option
     */
    MetricsConfig toMetrics() {
        try {
            return new MetricsConfig(
                    metricsPort == null ? -1 : metricsPort,
                    metricsTextfile == null ? null : metricsTextfile.toAbsolutePath());
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }

    /** The same metrics settings as arguments of {@code sharedmap server}. */
    static List<String> toArgs(MetricsConfig m) {
        List<String> args = new ArrayList<>();
        if (m.port() != -1) {
            args.addAll(List.of("--metrics-port", Integer.toString(m.port())));
        }
        if (m.textfile() != null) {
            args.addAll(
                    List.of("--metrics-textfile", m.textfile().toAbsolutePath().toString()));
        }
        return args;
    }

    /** The mapped store's settings. */
    StoreConfig toStore() {
        return new StoreConfig(directReads, storeDir);
    }

    /** The same store settings as arguments of {@code sharedmap server}. */
    static List<String> toArgs(StoreConfig s) {
        List<String> args = new ArrayList<>(List.of(s.directReads() ? "--direct-reads" : "--no-direct-reads"));
        if (s.dir() != null) {
            args.add("--store-dir");
            args.add(s.dir().toAbsolutePath().toString());
        }
        return args;
    }

    /**
     * Who may connect, and what created keys start as.
     *
     * @throws CliException exit code 2 naming the option
     */
    SecurityConfig toSecurity() {
        try {
            return new SecurityConfig(keyUmask, adminGroup, socketMode, socketOwner, socketGroup)
                    .validate(UnixAccounts.system());
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }

    /** The same security settings as arguments of {@code sharedmap server}. */
    static List<String> toArgs(SecurityConfig s) {
        List<String> args = new ArrayList<>(List.of(
                "--socket-mode", Integer.toOctalString(s.socketMode()),
                "--key-umask", Integer.toOctalString(s.keyUmask())));
        if (s.socketOwner() != null) {
            args.addAll(List.of("--socket-owner", s.socketOwner()));
        }
        if (s.socketGroup() != null) {
            args.addAll(List.of("--socket-group", s.socketGroup()));
        }
        if (s.adminGroup() != null) {
            args.addAll(List.of("--admin-group", s.adminGroup()));
        }
        return args;
    }

    /** Parses an octal mode such as {@code 0660} or {@code 660}. */
    static final class OctalConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                int v = Integer.parseInt(value, 8);
                if (v < 0 || v > 0777) {
                    throw new TypeConversionException("'" + value + "' is outside 0..0777");
                }
                return v;
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not an octal mode such as 0660");
            }
        }
    }

    /**
     * The validated configuration.
     *
     * @throws CliException exit code 2, with the parameter, its value and its range
     */
    ServerConfig toConfig() {
        ServerConfig config = new ServerConfig(
                dir.toAbsolutePath(),
                socket.toAbsolutePath(),
                durability,
                fsyncIntervalMs,
                maxValueBytes,
                maxConnections,
                snapshotMinJournalBytes,
                drainTimeoutMs,
                maxPendingPayloadBytes,
                stallTimeoutMs,
                spinUs,
                maxSpinners,
                ioThreads,
                gatherUs);
        try {
            return config.validate();
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }

    /**
     * The daemon these options describe, for {@link DaemonLauncher}: the data directory, the socket,
     * and every other setting as arguments of {@code sharedmap server}.
     *
     * @throws CliException exit code 2 naming a bad option
     */
    DaemonSpec toDaemonSpec() {
        ServerConfig c = toConfig();
        List<String> args = new ArrayList<>(toArgs(c));
        args.addAll(toArgs(toSecurity()));
        args.addAll(toArgs(toStore()));
        args.addAll(toArgs(toResp()));
        args.addAll(toArgs(toMetrics()));
        return DaemonSpec.of(c.dataDir(), c.socket()).withServerArgs(args);
    }

    /** The same configuration as arguments of {@code sharedmap server}, but for --dir and --socket. */
    static List<String> toArgs(ServerConfig c) {
        return List.of(
                "--durability", c.durability().toString(),
                "--fsync-interval-ms", Integer.toString(c.fsyncIntervalMs()),
                "--max-value-bytes", Integer.toString(c.maxValueBytes()),
                "--max-connections", Integer.toString(c.maxConnections()),
                "--snapshot-min-journal-bytes", Long.toString(c.snapshotMinJournalBytes()),
                "--drain-timeout-ms", Integer.toString(c.drainTimeoutMs()),
                "--max-pending-payload-bytes", Long.toString(c.maxPendingPayloadBytes()),
                "--stall-timeout-ms", Integer.toString(c.stallTimeoutMs()),
                "--spin-us", Integer.toString(c.spinUs()),
                "--max-spinners", Integer.toString(c.maxSpinners()),
                "--io-threads", Integer.toString(c.ioThreads()),
                "--gather-us", Integer.toString(c.gatherUs()));
    }

    /** Parses {@code always}, {@code interval}, {@code never} in any case. */
    static final class DurabilityConverter implements ITypeConverter<Durability> {
        @Override
        public Durability convert(String value) {
            try {
                return Durability.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
