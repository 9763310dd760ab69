package io.sharedmap.server;

import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.os.files.FileModes;
import io.sharedmap.os.transport.SpinLimiter;
import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.EngineConfig;
import io.sharedmap.server.engine.RecoveryReport;
import io.sharedmap.server.engine.StoreSettings;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.security.PeerIds;
import io.sharedmap.server.security.QuotaExceededException;
import io.sharedmap.server.store.MappedStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.jspecify.annotations.Nullable;

/**
 * The sharedmap daemon: owns one data directory and serves it on one Unix domain socket.
 *
 * <p>Lifecycle, the insmod/rmmod of the original module:
 *
 * <ol>
 *   <li>{@link #start}: validate the configuration, take the data directory's lock file (one daemon
 *       per directory), recover the engine, replace a stale socket file (never a live daemon's),
 *       bind, and accept. Returns once clients can connect.
 *   <li>{@link #stop} (also on SIGTERM through the CLI's shutdown hook), like {@code rcu_barrier}
 *       before unloading: stop accepting and remove the socket file; shut the input side of every
 *       connection, so each finishes the requests it has read and sends their replies; wait up to
 *       the drain timeout, then close what is left; close the engine (write and fsync the journal);
 *       release the lock. Nothing acknowledged is lost by a stop.
 * </ol>
 *
 * <p>Threads: one acceptor per socket, {@code --io-threads} I/O threads ({@link EventLoop}: each
 * serves many connections of both protocols over one selector and commits each round's requests
 * with one journal wait), the reaper, and the engine's background threads. An I/O thread that just
 * served requests spins up to {@code --spin-us} before it blocks; at most {@code --max-spinners}
 * spin at once (one {@link SpinLimiter} for the whole daemon). {@code connections} is a concurrent
 * set owned by nobody; the acceptor adds, each connection's loop removes it as it closes.
 */
public final class SharedMapServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SharedMapServer.class.getName());
    /** The version the daemon reports; kept in step with the Maven project version. */
    public static final String VERSION = "0.1.0";

    private final ServerConfig config;
    private final SecurityConfig security;
    private final long adminGid;
    private final Engine engine;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ServerSocketChannel listener;
    private final Thread acceptor;
    /** The RESP socket's listener and acceptor (docs/PROTOCOL.md, "RESP"); null when RESP is off. */
    private final @Nullable ServerSocketChannel respListener;

    private final @Nullable Thread respAcceptor;
    private final @Nullable Path respSocket;
    /** RESP on loopback TCP ({@code --resp-port}) and its acceptor; null when off. */
    private final @Nullable RespTcpListener respTcp;

    private final @Nullable Thread respTcpAcceptor;
    private final RespCursors respCursors = new RespCursors();
    /** Serializes RESP transactions on several keys (RespCommands.transact; docs/ARCHITECTURE.md, "Lock order"). */
    private final ReentrantLock respMultiKeyLock = new ReentrantLock();
    /** Connections of both protocols: {@code --max-connections} bounds them together. */
    private final Set<ServedConnection> connections = ConcurrentHashMap.newKeySet();

    private final ServerStats stats = new ServerStats();
    private final PayloadBudget payloadBudget;
    /** Shared by every I/O thread: at most {@code --max-spinners} of them spin at once. */
    private final SpinLimiter spinners;
    /** The I/O threads ({@code --io-threads}); a new connection goes to the one with the fewest ({@link #leastLoaded}). */
    private final EventLoop[] loops;

    private final ScheduledExecutorService reaper;
    private final long startedNanos = System.nanoTime();
    private final AtomicLong connectionIds = new AtomicLong();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object stopLock = new Object();
    private volatile boolean stopping;

    private SharedMapServer(
            ServerConfig config,
            SecurityConfig security,
            Engine engine,
            FileChannel lockChannel,
            FileLock lock,
            ServerSocketChannel listener,
            @Nullable ServerSocketChannel respListener,
            @Nullable Path respSocket,
            @Nullable RespTcpListener respTcp)
            throws IOException {
        this.config = config;
        this.security = security;
        this.adminGid = security.adminGroup() == null
                ? -1
                : UnixAccounts.system().gid(security.adminGroup()).orElse(-1);
        this.engine = engine;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.listener = listener;
        this.acceptor = Thread.ofPlatform()
                .name("sharedmap-acceptor")
                .daemon(true)
                .unstarted(() -> acceptLoop(listener, false, null));
        this.respListener = respListener;
        this.respSocket = respSocket;
        this.respAcceptor = respListener == null
                ? null
                : Thread.ofPlatform()
                        .name("sharedmap-resp-acceptor")
                        .daemon(true)
                        .unstarted(() -> acceptLoop(respListener, true, null));
        this.respTcp = respTcp;
        this.respTcpAcceptor = respTcp == null
                ? null
                : Thread.ofPlatform()
                        .name("sharedmap-resp-tcp-acceptor")
                        .daemon(true)
                        .unstarted(() -> acceptLoop(respTcp.channel(), true, respTcp));
        this.payloadBudget = new PayloadBudget(config.maxPendingPayloadBytes());
        this.spinners = new SpinLimiter(config.maxSpinners());
        this.loops = new EventLoop[config.ioThreadsToRun()];
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new EventLoop(
                    i,
                    engine,
                    config.durability(),
                    stats,
                    TimeUnit.MICROSECONDS.toNanos(config.spinUs()),
                    spinners,
                    TimeUnit.MICROSECONDS.toNanos(config.gatherUs()));
        }
        this.reaper = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sharedmap-reaper").daemon(true).factory());
    }

    /**
     * How often the reaper looks for stalled connections: a tenth of the stall timeout, at most once a
     * second, so a stalled connection is closed between 1 and 1.1 times the timeout after it stalled
     * (docs/OPERATIONS.md, {@code --stall-timeout-ms}).
     */
    static long reaperPeriodMs(long stallTimeoutMs) {
        return Math.clamp(stallTimeoutMs / 10, 1, 1000);
    }

    /** Closes connections whose clients stall them (half a request, or replies never read). */
    private void reapStalled() {
        long now = System.nanoTime();
        long limit = TimeUnit.MILLISECONDS.toNanos(config.stallTimeoutMs());
        for (ServedConnection c : connections) {
            long stalled = c.stalledNanos(now);
            if (stalled > limit) {
                stats.connectionsStalled.increment();
                c.abort("stalled by its client for " + TimeUnit.NANOSECONDS.toMillis(stalled)
                        + " ms (in the middle of a" + " request, or not reading replies); --stall-timeout-ms is "
                        + config.stallTimeoutMs());
            }
        }
    }

    /**
     * Recovers the data directory, binds the socket and starts serving. Returns once clients can
     * connect.
     *
     * @throws IllegalArgumentException if a parameter is out of range (nothing touched)
     * @throws ServerStartException with a clear message (directory locked by another daemon, socket
     *     owned by a live daemon, unknown file format, corrupt snapshot, ...)
     */
    public static SharedMapServer start(ServerConfig config) throws ServerStartException {
        return start(config, SecurityConfig.DEFAULTS);
    }

    /**
     * As {@link #start(ServerConfig)}, with who may connect and what created keys start as.
     *
     * @throws IllegalArgumentException if a parameter is out of range or names no user or group
     */
    public static SharedMapServer start(ServerConfig config, SecurityConfig security) throws ServerStartException {
        return start(config, security, StoreConfig.DEFAULTS);
    }

    /**
     * As {@link #start(ServerConfig, SecurityConfig)}, with the mapped store and direct reads
     * configured by {@code store}.
     *
     * @throws IllegalArgumentException if a parameter is out of range or names no user or group
     */
    public static SharedMapServer start(ServerConfig config, SecurityConfig security, StoreConfig store)
            throws ServerStartException {
        return start(config, security, store, RespConfig.DEFAULTS);
    }

    /**
     * As {@link #start(ServerConfig, SecurityConfig, StoreConfig)}, with the Redis protocol front
     * door configured by {@code resp} (on by default, at {@code <socket>.resp}).
     *
     * @throws IllegalArgumentException if a parameter is out of range or names no user or group
     */
    public static SharedMapServer start(
            ServerConfig config, SecurityConfig security, StoreConfig store, RespConfig resp)
            throws ServerStartException {
        config.validate();
        security.validate(UnixAccounts.system());
        Path dir = config.dataDir().toAbsolutePath();
        Path socket = config.socket().toAbsolutePath();
        Path respSocket = resp.resolve(socket);
        if (respSocket != null) {
            checkRespSocket(respSocket, socket, resp.socket() == null);
        }
        FileChannel lockChannel = null;
        FileLock lock = null;
        Engine engine = null;
        ServerSocketChannel listener = null;
        ServerSocketChannel respListener = null;
        RespTcpListener respTcp = null;
        try {
            try {
                FileModes.createPrivateDirectories(dir);
            } catch (IOException e) {
                String why = e instanceof AccessDeniedException a
                        ? a.getFile() + ": permission denied"
                        : e instanceof FileAlreadyExistsException x
                                ? x.getFile() + ": exists and is not a directory"
                                : String.valueOf(e.getMessage());
                throw new ServerStartException(
                        "cannot create data directory " + dir + ": " + why + "; use --dir or SHAREDMAP_DIR", e);
            }
            lockChannel = FileChannel.open(
                    dir.resolve("LOCK"),
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    FileModes.PRIVATE_FILE);
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = readPid(lockChannel);
                throw new ServerStartException("data directory " + dir + " is in use by another sharedmap daemon"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                        + "; stop it first or choose another --dir");
            }
            lockChannel.truncate(0);
            lockChannel.write(
                    ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            lockChannel.force(true);
            String exposed = FileModes.exposureWarning(dir);
            if (exposed != null) {
                LOG.log(System.Logger.Level.WARNING, exposed);
            }

            SocketFile.prepare(socket);
            if (respSocket != null) {
                SocketFile.prepare(respSocket);
            }
            long uid = SocketFile.processUid();
            Path storeDir = (store.dir() != null ? store.dir() : StorePlacement.defaultDirectory(socket, uid))
                    .toAbsolutePath()
                    .normalize();
            StorePlacement.prepare(storeDir, uid);
            StorePlacement.retireLeftovers(dir, socket, storeDir);
            StorePlacement.removeOrphans(storeDir, uid);
            EngineConfig engineConfig = new EngineConfig(
                    dir,
                    config.durability(),
                    config.fsyncIntervalMs(),
                    config.snapshotMinJournalBytes(),
                    storeSettings(storeDir, security, store, config.durability(), uid));
            engine = Engine.open(engineConfig);
            StorePlacement.record(dir, socket, storeDir);
            listener = SocketFile.bind(socket, security);
            if (respSocket != null) {
                try {
                    respListener = SocketFile.bind(respSocket, security);
                    if (resp.tcpPort() != RespConfig.NO_TCP) {
                        long adminGid = security.adminGroup() == null
                                ? -1
                                : UnixAccounts.system()
                                        .gid(security.adminGroup())
                                        .orElse(-1);
                        respTcp = RespTcpListener.open(resp, UnixAccounts.system(), adminGid);
                    }
                } catch (IOException | ServerStartException e) {
                    Files.deleteIfExists(socket);
                    if (respListener != null) {
                        Files.deleteIfExists(respSocket);
                    }
                    throw e;
                }
            }
            ServerConfig resolved = config.withPaths(dir, socket);
            SharedMapServer server = new SharedMapServer(
                    resolved, security, engine, lockChannel, lock, listener, respListener, respSocket, respTcp);
            for (EventLoop loop : server.loops) {
                loop.start();
            }
            server.acceptor.start();
            if (server.respAcceptor != null) {
                server.respAcceptor.start();
            }
            if (server.respTcpAcceptor != null) {
                server.respTcpAcceptor.start();
            }
            long reapEveryMs = reaperPeriodMs(config.stallTimeoutMs());
            server.reaper.scheduleWithFixedDelay(server::reapStalled, reapEveryMs, reapEveryMs, TimeUnit.MILLISECONDS);
            RecoveryReport r = engine.recovery();
            LOG.log(
                    System.Logger.Level.INFO,
                    "sharedmap " + VERSION + " serving " + socket
                            + (respSocket == null ? "" : " (RESP on " + respSocket + ")")
                            + (respTcp == null
                                    ? ""
                                    : " (RESP on TCP 127.0.0.1:" + respTcp.port()
                                            + (respTcp.anonymous()
                                                    ? ", connection commands only"
                                                    : ", as user " + resp.tcpUser())
                                            + ")")
                            + ", data " + dir
                            + ", durability " + config.durability() + "; recovered "
                            + engine.stats().keys() + " keys (snapshot "
                            + r.snapshot() + " with " + r.snapshotEntries() + " entries, " + r.recordsReplayed()
                            + " journal records in "
                            + r.segmentsReplayed() + " segments, last version " + r.lastVersion() + ") in "
                            + r.durationMs() + " ms");
            return server;
        } catch (ServerStartException e) {
            closeQuietly(respTcp == null ? null : respTcp.channel(), null, null, null);
            closeQuietly(respListener, null, null, null);
            closeQuietly(listener, engine, lock, lockChannel);
            throw e;
        } catch (IOException e) {
            closeQuietly(respTcp == null ? null : respTcp.channel(), null, null, null);
            closeQuietly(respListener, null, null, null);
            closeQuietly(listener, engine, lock, lockChannel);
            throw new ServerStartException("cannot start: " + e.getMessage(), e);
        }
    }

    /** The RESP socket's path must fit the kernel's limit and differ from the binary socket's. */
    private static void checkRespSocket(Path respSocket, Path socket, boolean derived) throws ServerStartException {
        int bytes = respSocket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > ServerConfig.MAX_SOCKET_PATH_BYTES) {
            throw new ServerStartException("--resp-socket: path " + respSocket + " is " + bytes
                    + " bytes; Unix socket paths are limited to " + ServerConfig.MAX_SOCKET_PATH_BYTES + " bytes"
                    + (derived
                            ? " (it is --socket's path with .resp appended: give --resp-socket PATH, or --no-resp)"
                            : ""));
        }
        if (respSocket.normalize().equals(socket.normalize())) {
            throw new ServerStartException("--resp-socket: " + respSocket + " is the binary socket's path (--socket)");
        }
    }

    /**
     * The store's public side may be read by whoever may connect, when direct reads are on: read bits
     * where the socket has write bits (the owner always), the socket's group. Otherwise (or in never
     * mode, which acknowledges before the store has a change) only the daemon's user may read it.
     */
    private static StoreSettings storeSettings(
            Path storeDir, SecurityConfig security, StoreConfig store, Durability durability, long daemonUid) {
        boolean direct = store.directReads() && durability != Durability.NEVER;
        int socketMode = security.socketMode();
        int fileMode =
                !direct ? 0600 : 0600 | ((socketMode & 0020) != 0 ? 0040 : 0) | ((socketMode & 0002) != 0 ? 0004 : 0);
        long gid = security.socketGroup() == null
                ? -1
                : UnixAccounts.system().gid(security.socketGroup()).orElseThrow();
        return new StoreSettings(storeDir, fileMode, gid, daemonUid, direct);
    }

    private static String readPid(FileChannel c) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            c.read(b, 0);
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(
            @Nullable ServerSocketChannel listener,
            @Nullable Engine engine,
            @Nullable FileLock lock,
            @Nullable FileChannel lockChannel) {
        try {
            if (listener != null) {
                listener.close();
            }
            if (engine != null) {
                engine.close();
            }
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cleanup after a failed start: " + e);
        }
    }

    /** The resolved configuration (absolute paths). */
    public ServerConfig config() {
        return config;
    }

    /** What the engine recovered at start (tests; the engine's type: not part of this module's API). */
    @SuppressWarnings("exports")
    public RecoveryReport recovery() {
        return engine.recovery();
    }

    /**
     * Accepts on {@code l}: binary connections, or RESP ones when {@code resp}; the same checks for
     * both. {@code tcp} is the loopback TCP listener whose caller every connection is, or null for a
     * Unix socket (SO_PEERCRED).
     */
    private void acceptLoop(ServerSocketChannel l, boolean resp, @Nullable RespTcpListener tcp) {
        while (!stopping) {
            SocketChannel c;
            try {
                c = l.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // e.g. out of file descriptors: back off instead of spinning, and try again
                LOG.log(System.Logger.Level.WARNING, "accept failed, retrying in 100 ms: " + e);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                continue;
            }
            stats.connectionsTotal.increment();
            if (stopping) {
                refuse(resp, c, ErrorCode.SHUTTING_DOWN, "the daemon is stopping");
                return;
            }
            if (connections.size() >= config.maxConnections()) {
                stats.connectionsRejected.increment();
                refuse(
                        resp,
                        c,
                        ErrorCode.TOO_MANY_CONNECTIONS,
                        "the daemon serves " + connections.size() + " connections, its limit (--max-connections "
                                + config.maxConnections() + ")");
                continue;
            }
            long id = connectionIds.incrementAndGet();
            Caller caller = tcp != null ? tcp.caller() : caller(c);
            if (caller == null) {
                stats.connectionsRejected.increment();
                refuse(
                        resp,
                        c,
                        ErrorCode.PERMISSION_DENIED,
                        "the daemon cannot tell which user is connecting" + " (no peer credentials on the socket)");
                continue;
            }
            try {
                engine.accounts().connect(caller);
            } catch (QuotaExceededException e) {
                stats.connectionsRejected.increment();
                refuse(resp, c, ErrorCode.QUOTA_EXCEEDED, "connection refused: " + e.getMessage());
                continue;
            }
            if (tcp != null) {
                try {
                    RespTcpListener.configure(c);
                } catch (IOException e) {
                    engine.accounts().disconnect(caller);
                    stats.connectionsRejected.increment();
                    refuse(resp, c, ErrorCode.TOO_MANY_CONNECTIONS, "the daemon cannot serve another connection: " + e);
                    continue;
                }
            }
            EventLoop loop = leastLoaded(loops, id);
            Owner created = caller.newOwner(security.keyUmask());
            String peer = (tcp != null ? "tcp" : "") + peerName(caller, id);
            boolean anonymous = tcp != null && tcp.anonymous();
            ServedConnection conn = new ServedConnection(
                    this,
                    loop,
                    c,
                    peer,
                    resp
                            ? sc -> new RespConnection(
                                    this,
                                    sc,
                                    engine,
                                    stats,
                                    payloadBudget,
                                    respCursors,
                                    caller,
                                    created,
                                    id,
                                    peer,
                                    anonymous)
                            : sc -> new Connection(this, sc, engine, stats, payloadBudget, caller, created, peer));
            if (resp) {
                stats.respConnectionsTotal.increment();
            }
            connections.add(conn);
            loop.assigned();
            if (stopping) { // stop() may have shut its connections' input before this one was added
                forget(conn);
                refuse(resp, c, ErrorCode.SHUTTING_DOWN, "the daemon is stopping");
                return;
            }
            loop.add(conn, () -> {
                forget(conn);
                refuse(resp, c, ErrorCode.SHUTTING_DOWN, "the daemon is stopping");
            });
        }
    }

    /** Forgets a connection that closed or was refused: its user's count and its loop's (once, whoever calls first). */
    private void forget(ServedConnection c) {
        if (connections.remove(c)) {
            engine.accounts().disconnect(c.caller());
            c.loop().released();
        }
    }

    /**
     * The loop with the fewest connections; among equals, the first from {@code id} on (so a burst of
     * connections that all see the same counts still spreads round-robin).
     */
    private static EventLoop leastLoaded(EventLoop[] loops, long id) {
        int start = (int) Math.floorMod(id, (long) loops.length);
        EventLoop best = loops[start];
        int fewest = best.connections();
        for (int i = 1; i < loops.length; i++) {
            EventLoop l = loops[(start + i) % loops.length];
            int n = l.connections();
            if (n < fewest) {
                best = l;
                fewest = n;
            }
        }
        return best;
    }

    private static void refuse(boolean resp, SocketChannel c, ErrorCode code, String message) {
        if (resp) {
            RespConnection.refuse(c, message);
        } else {
            Connection.refuse(c, code, message);
        }
    }

    /** The RESP socket's path, or an empty string when RESP is off (CLIENT INFO, INFO). */
    String respSocketName() {
        return respSocket == null ? "" : respSocket.toString();
    }

    /** The lock RESP transactions on several keys hold while they read, run and commit. */
    ReentrantLock respMultiKeyLock() {
        return respMultiKeyLock;
    }

    /** The daemon's counters (MetricsExporter). */
    ServerStats stats() {
        return stats;
    }

    /** The loopback TCP port RESP is served on, or -1 (INFO's tcp_port). */
    int respTcpPort() {
        return respTcp == null ? -1 : respTcp.port();
    }

    private static String peerName(Caller caller, long id) {
        UnixAccounts names = UnixAccounts.system();
        return "#" + id + " (" + names.userName(caller.uid()) + ":" + names.groupName(caller.gid()) + ")";
    }

    /**
     * Who is connecting, from the kernel (SO_PEERCRED: the peer's uid and gid when it connected), with
     * the groups it belongs to; null if the socket has no peer credentials.
     */
    private @Nullable Caller caller(SocketChannel c) {
        UnixDomainPrincipal p;
        try {
            p = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
        UnixAccounts names = UnixAccounts.system();
        String user = p.user().getName();
        var uid = PeerIds.uid(p.user(), names); // the kernel's numbers, never mapped back from names
        var gid = PeerIds.gid(p.group(), names);
        if (uid.isEmpty() || gid.isEmpty()) {
            return null;
        }
        // Supplementary groups list members by name: only a name that is this uid's own counts. The JDK
        // names a uid by getpwuid, or by its digits when it has no account, and digits may be another
        // account's name; only then is the name looked up (no getent on the acceptor thread otherwise).
        boolean digits = !user.isEmpty() && user.chars().allMatch(ch -> ch >= '0' && ch <= '9');
        boolean ownName = !digits || names.uid(user).orElse(-1) == uid.getAsLong();
        long[] groups = ownName ? names.groupsOf(user, gid.getAsLong()) : new long[] {gid.getAsLong()};
        boolean admin = uid.getAsLong() == 0;
        if (adminGid >= 0) {
            for (long g : groups) {
                admin |= g == adminGid;
            }
        }
        return new Caller(uid.getAsLong(), gid.getAsLong(), groups, admin);
    }

    /** Called by a connection's loop as it ends. */
    void closed(ServedConnection c) {
        try {
            c.channel().close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "close: " + e);
        }
        forget(c);
        synchronized (connections) {
            connections.notifyAll();
        }
    }

    /** Each I/O thread's connections, in thread order, comma-separated (STATS {@code io_thread_connections}). */
    private String ioThreadConnections() {
        StringBuilder b = new StringBuilder();
        for (EventLoop l : loops) {
            b.append(b.isEmpty() ? "" : ",").append(l.connections());
        }
        return b.toString();
    }

    Map<String, String> statsSnapshot() {
        Engine.Stats e = engine.stats();
        RecoveryReport r = engine.recovery();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("server", "sharedmap " + VERSION);
        m.put("pid", Long.toString(ProcessHandle.current().pid()));
        m.put("socket", config.socket().toString());
        m.put("data_dir", config.dataDir().toString());
        m.put("data_dir_warning", Objects.requireNonNullElse(FileModes.exposureWarning(config.dataDir()), ""));
        m.put("uptime_ms", Long.toString((System.nanoTime() - startedNanos) / 1_000_000));
        m.put("durability", config.durability().toString());
        m.put("fsync_interval_ms", Integer.toString(config.fsyncIntervalMs()));
        m.put("max_value_bytes", Integer.toString(config.maxValueBytes()));
        m.put("max_connections", Integer.toString(config.maxConnections()));
        m.put("spin_us", Integer.toString(config.spinUs()));
        m.put("gather_us", Integer.toString(config.gatherUs()));
        m.put("max_spinners", Integer.toString(config.maxSpinners()));
        m.put("io_threads", Integer.toString(config.ioThreadsToRun()));
        m.put("io_thread_connections", ioThreadConnections());
        m.put("io_batches", Long.toString(stats.batches.sum()));
        m.put("connections", Integer.toString(connections.size()));
        m.put("connections_total", Long.toString(stats.connectionsTotal.sum()));
        m.put("connections_rejected", Long.toString(stats.connectionsRejected.sum()));
        m.put("connections_stalled_closed", Long.toString(stats.connectionsStalled.sum()));
        m.put("resp_socket", respSocketName());
        m.put("resp_tcp_port", Integer.toString(respTcpPort()));
        m.put("resp_connections_total", Long.toString(stats.respConnectionsTotal.sum()));
        m.put("resp_commands", Long.toString(stats.respCommands.sum()));
        m.put("resp_transaction_conflicts", Long.toString(stats.respTransactionConflicts.sum()));
        m.put("pending_payload_budget_bytes", Long.toString(payloadBudget.availableBytes()));
        m.put("keys", Long.toString(e.keys()));
        m.put("live_bytes", Long.toString(e.liveBytes()));
        m.put("last_version", Long.toString(e.lastVersion()));
        m.put("written_version", Long.toString(e.writtenVersion()));
        m.put("synced_version", Long.toString(e.syncedVersion()));
        for (Opcode op : Opcode.values()) {
            m.put("ops_" + op.name().toLowerCase(Locale.ROOT), Long.toString(stats.ops[op.ordinal()].sum()));
        }
        m.put("errors_client", Long.toString(stats.clientErrors.sum()));
        m.put("errors_server", Long.toString(stats.serverErrors.sum()));
        m.put("journal_segment", Long.toString(e.segment()));
        m.put("journal_segment_bytes", Long.toString(e.segmentBytes()));
        m.put("journal_commits", Long.toString(e.commits()));
        m.put("journal_fsyncs", Long.toString(e.fsyncs()));
        m.put("journal_bytes_written", Long.toString(e.journalBytesWritten()));
        m.put("journal_failed", Boolean.toString(e.journalFailed()));
        m.put("sessions", Integer.toString(e.sessions()));
        m.put("keys_expired", Long.toString(e.keysExpired()));
        m.put("expiry_deadlines", Integer.toString(e.deadlines()));
        m.put("watches", Integer.toString(engine.watches().watches()));
        m.put("watches_fell_behind", Long.toString(engine.watches().fellBehind()));
        Engine.StoreInfo si = engine.storeInfo();
        MappedStore.Stats ss = engine.storeStats();
        m.put("store_dir", engine.storeDir().toString());
        m.put("store_direct_reads", si == null ? "" : si.dir().toString());
        m.put("store_keys_public", Long.toString(ss.publicKeys()));
        m.put("store_keys_private", Long.toString(ss.privateKeys()));
        m.put("store_chunk_bytes", Long.toString(ss.chunkBytes()));
        m.put("store_entry_bytes", Long.toString(ss.liveEntryBytes()));
        m.put("store_index_bytes", Long.toString(ss.indexBytes()));
        m.put("store_tree_bytes", Long.toString(ss.treeBytes()));
        m.put("store_owners", Integer.toString(ss.owners()));
        m.put("store_index_rebuilds", Long.toString(ss.rebuilds()));
        m.put("store_compacted_bytes", Long.toString(ss.compactedBytes()));
        m.put("store_pending", Integer.toString(engine.pendingChanges()));
        m.put("store_failed", Boolean.toString(engine.storeFailed()));
        m.put("snapshots", Long.toString(e.snapshots()));
        m.put("snapshot_failures", Long.toString(e.snapshotFailures()));
        m.put("last_snapshot_ms", Long.toString(e.lastSnapshotMs()));
        m.put("recovery_snapshot", Long.toString(r.snapshot()));
        m.put("recovery_snapshot_entries", Long.toString(r.snapshotEntries()));
        m.put("recovery_segments", Integer.toString(r.segmentsReplayed()));
        m.put("recovery_records", Long.toString(r.recordsReplayed()));
        m.put("recovery_dropped_bytes", Long.toString(r.droppedBytes()));
        m.put("recovery_drop_reason", r.dropReason() == null ? "" : r.dropReason());
        m.put("recovery_ms", Long.toString(r.durationMs()));
        m.put("recovery_store_continued", Boolean.toString(r.storeContinued()));
        m.put("recovery_store_rebuilt_because", r.storeRebuiltBecause() == null ? "" : r.storeRebuiltBecause());
        m.put("recovery_store_records", Long.toString(r.storeRecords()));
        return m;
    }

    /** Whether {@link #stop} has begun (a watch ends then, telling its client where to resume). */
    boolean stopping() {
        return stopping;
    }

    /**
     * Stops like rmmod after rcu_barrier: refuse new work, finish requests in flight, sync, release.
     * Idempotent; blocks until stopped. Safe to call from a shutdown hook.
     */
    public void stop() {
        synchronized (stopLock) {
            if (stopped.getCount() == 0) {
                return;
            }
            stopping = true;
            LOG.log(System.Logger.Level.INFO, "stopping: draining " + connections.size() + " connections");
            try {
                listener.close();
                if (respListener != null) {
                    respListener.close();
                }
                if (respTcp != null) {
                    respTcp.close();
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "closing the listener: " + e);
            }
            try {
                Files.deleteIfExists(config.socket());
                if (respSocket != null) {
                    Files.deleteIfExists(respSocket);
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "removing socket " + config.socket() + ": " + e);
            }
            for (ServedConnection c : connections) {
                try {
                    c.channel().shutdownInput(); // its loop finishes what it read, replies, sees EOF, closes it
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.DEBUG, "shutdownInput: " + e);
                }
            }
            if (!awaitConnections(config.drainTimeoutMs())) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        connections.size() + " connections still busy after the drain timeout ("
                                + config.drainTimeoutMs() + " ms); closing them");
                for (ServedConnection c : connections) {
                    c.abort("the drain timeout (" + config.drainTimeoutMs() + " ms) passed");
                }
                awaitConnections(5_000);
            }
            reaper.shutdownNow();
            for (EventLoop loop : loops) {
                loop.stop(); // closes what is left (nothing, unless the close above timed out too)
            }
            try {
                for (EventLoop loop : loops) {
                    loop.join(5_000);
                }
                reaper.awaitTermination(5, TimeUnit.SECONDS);
                acceptor.join(5_000);
                if (respAcceptor != null) {
                    respAcceptor.join(5_000);
                }
                if (respTcpAcceptor != null) {
                    respTcpAcceptor.join(5_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                engine.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "closing the journal failed: " + e, e);
            }
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "releasing the lock file: " + e);
            }
            LOG.log(System.Logger.Level.INFO, "stopped");
            stopped.countDown();
        }
    }

    private boolean awaitConnections(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (connections) {
            while (!connections.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    connections.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    /** Blocks until the server has stopped. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    public boolean isStopped() {
        return stopped.getCount() == 0;
    }

    @Override
    public void close() {
        stop();
    }
}
