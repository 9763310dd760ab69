package io.sharedmap.server;

import io.sharedmap.os.transport.SpinLimiter;
import io.sharedmap.protocol.FrameDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The daemon's parameters (the module parameters of the original). Every field is typed, ranged
 * and defaulted; {@link #validate()} checks them all before anything is touched.
 *
 * @param dataDir directory holding the lock file, journal segments and snapshots
 * @param socket the Unix domain socket path clients connect to
 * @param durability what an acknowledgement promises, see {@link Durability}
 * @param fsyncIntervalMs in {@code interval} mode, the longest time between fsyncs, 1..60000
 * @param maxValueBytes largest value accepted, 0..{@value FrameDescriptor#ABSOLUTE_MAX_VALUE_LENGTH}
 * @param maxConnections most client connections served at once, 1..65536
 * @param snapshotMinJournalBytes a snapshot is taken once the journal written since the last one
 *     reaches this size and also the size of the live data; 1 MiB..1 TiB
 * @param drainTimeoutMs on stop, how long requests in flight may take to finish, 0..600000
 * @param maxPendingPayloadBytes request values of more than 64 KiB being received, across all
 *     connections, may hold at most this many bytes; further large requests wait (backpressure),
 *     16 MiB..16 GiB and at least {@code maxValueBytes}
 * @param stallTimeoutMs a connection that stays in the middle of a request, or blocked writing
 *     replies its client does not read, for this long is closed, 1000..3600000
 * @param spinUs how long an I/O thread that found work waits for more by spinning (polls its
 *     selector without blocking, yielding the CPU between tries) before it blocks, in microseconds,
 *     0..10000; 0 blocks at once. Spinning trades CPU for latency: see docs/OPERATIONS.md
 * @param maxSpinners most I/O threads spinning at once, 0..1024; the others block at once
 * @param ioThreads the I/O threads ({@code --io-threads}) that serve every connection between them,
 *     each an event loop over its own selector, 1..256; 0 for the default of the durability mode
 *     ({@link #ioThreadsToRun()})
 * @param gatherUs in {@code always} mode, the longest an I/O thread about to fsync a batch with fewer
 *     writers than its recent fsyncs covered waits for more, in microseconds, 0..10000; 0 never waits
 *     (see {@link CommitGather})
 */
public record ServerConfig(
        Path dataDir,
        Path socket,
        Durability durability,
        int fsyncIntervalMs,
        int maxValueBytes,
        int maxConnections,
        long snapshotMinJournalBytes,
        int drainTimeoutMs,
        long maxPendingPayloadBytes,
        int stallTimeoutMs,
        int spinUs,
        int maxSpinners,
        int ioThreads,
        int gatherUs) {

    /** A configuration with the default payload budget, stall timeout and spinning. */
    public ServerConfig(
            Path dataDir,
            Path socket,
            Durability durability,
            int fsyncIntervalMs,
            int maxValueBytes,
            int maxConnections,
            long snapshotMinJournalBytes,
            int drainTimeoutMs) {
        this(
                dataDir,
                socket,
                durability,
                fsyncIntervalMs,
                maxValueBytes,
                maxConnections,
                snapshotMinJournalBytes,
                drainTimeoutMs,
                DEFAULT_MAX_PENDING_PAYLOAD_BYTES,
                DEFAULT_STALL_TIMEOUT_MS,
                DEFAULT_SPIN_US,
                DEFAULT_MAX_SPINNERS,
                DEFAULT_IO_THREADS,
                DEFAULT_GATHER_US);
    }

    public static final Durability DEFAULT_DURABILITY = Durability.INTERVAL;
    public static final int DEFAULT_FSYNC_INTERVAL_MS = 1000;
    public static final int DEFAULT_MAX_VALUE_BYTES = FrameDescriptor.DEFAULT_MAX_VALUE_LENGTH;
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    public static final long DEFAULT_SNAPSHOT_MIN_JOURNAL_BYTES = 64L * 1024 * 1024;
    public static final int DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
    public static final long DEFAULT_MAX_PENDING_PAYLOAD_BYTES = 512L * 1024 * 1024;
    public static final int DEFAULT_STALL_TIMEOUT_MS = 30_000;
    /** About two local round trips: a client that sends its next request at once finds its thread awake. */
    public static final int DEFAULT_SPIN_US = 50;
    /** One fewer than the CPUs (0 on one CPU), so that spinners never take every CPU from the work. */
    public static final int DEFAULT_MAX_SPINNERS = SpinLimiter.defaultMax();
    /** {@code --io-threads} not given: the durability mode's default, {@link #ioThreadsToRun()}. */
    public static final int DEFAULT_IO_THREADS = 0;
    /**
     * Long enough for writers answered by one fsync to send again on a busy 2-CPU machine, short
     * beside an fsync (docs/BENCHMARKS.md, "Where the I/O threads wait, and a gather before each fsync").
     */
    public static final int DEFAULT_GATHER_US = 200;

    /** One per CPU this JVM may use: the default number of I/O threads but in {@code always} mode. */
    public static final int IO_THREADS_PER_CPU = Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 256);

    /** Longest socket path the kernel accepts (sun_path is 108 bytes including the terminating NUL). */
    public static final int MAX_SOCKET_PATH_BYTES = 107;

    /** A configuration with every default, for the given paths. */
    public static ServerConfig defaults(Path dataDir, Path socket) {
        return new ServerConfig(
                dataDir,
                socket,
                DEFAULT_DURABILITY,
                DEFAULT_FSYNC_INTERVAL_MS,
                DEFAULT_MAX_VALUE_BYTES,
                DEFAULT_MAX_CONNECTIONS,
                DEFAULT_SNAPSHOT_MIN_JOURNAL_BYTES,
                DEFAULT_DRAIN_TIMEOUT_MS);
    }

    public ServerConfig withDurability(Durability d) {
        return new ServerConfig(
                dataDir,
                socket,
                d,
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
    }

    public ServerConfig withSnapshotMinJournalBytes(long bytes) {
        return new ServerConfig(
                dataDir,
                socket,
                durability,
                fsyncIntervalMs,
                maxValueBytes,
                maxConnections,
                bytes,
                drainTimeoutMs,
                maxPendingPayloadBytes,
                stallTimeoutMs,
                spinUs,
                maxSpinners,
                ioThreads,
                gatherUs);
    }

    public ServerConfig withMaxValueBytes(int bytes) {
        return new ServerConfig(
                dataDir,
                socket,
                durability,
                fsyncIntervalMs,
                bytes,
                maxConnections,
                snapshotMinJournalBytes,
                drainTimeoutMs,
                maxPendingPayloadBytes,
                stallTimeoutMs,
                spinUs,
                maxSpinners,
                ioThreads,
                gatherUs);
    }

    public ServerConfig withMaxPendingPayloadBytes(long bytes) {
        return new ServerConfig(
                dataDir,
                socket,
                durability,
                fsyncIntervalMs,
                maxValueBytes,
                maxConnections,
                snapshotMinJournalBytes,
                drainTimeoutMs,
                bytes,
                stallTimeoutMs,
                spinUs,
                maxSpinners,
                ioThreads,
                gatherUs);
    }

    public ServerConfig withStallTimeoutMs(int ms) {
        return new ServerConfig(
                dataDir,
                socket,
                durability,
                fsyncIntervalMs,
                maxValueBytes,
                maxConnections,
                snapshotMinJournalBytes,
                drainTimeoutMs,
                maxPendingPayloadBytes,
                ms,
                spinUs,
                maxSpinners,
                ioThreads,
                gatherUs);
    }

    /** The same configuration with a spin time of {@code us} microseconds (0: block at once). */
    public ServerConfig withSpinUs(int us) {
        return new ServerConfig(
                dataDir,
                socket,
                durability,
                fsyncIntervalMs,
                maxValueBytes,
                maxConnections,
                snapshotMinJournalBytes,
                drainTimeoutMs,
                maxPendingPayloadBytes,
                stallTimeoutMs,
                us,
                maxSpinners,
                ioThreads,
                gatherUs);
    }

    /** The same configuration with at most {@code n} connection threads spinning at once. */
    public ServerConfig withMaxSpinners(int n) {
        return new ServerConfig(
                dataDir,
                socket,
                durability,
                fsyncIntervalMs,
                maxValueBytes,
                maxConnections,
                snapshotMinJournalBytes,
                drainTimeoutMs,
                maxPendingPayloadBytes,
                stallTimeoutMs,
                spinUs,
                n,
                ioThreads,
                gatherUs);
    }

    /** The same configuration with {@code n} I/O threads. */
    public ServerConfig withIoThreads(int n) {
        return new ServerConfig(
                dataDir,
                socket,
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
                n,
                gatherUs);
    }

    /** The same configuration with absolute paths. */
    ServerConfig withPaths(Path dir, Path sock) {
        return new ServerConfig(
                dir,
                sock,
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
    }

    /**
     * Checks every parameter against its range.
     *
     * @throws IllegalArgumentException naming the parameter, its value and the allowed range
     */
    public ServerConfig validate() {
        if (dataDir == null) {
            throw new IllegalArgumentException("--dir: a data directory is required");
        }
        if (socket == null) {
            throw new IllegalArgumentException("--socket: a socket path is required");
        }
        if (durability == null) {
            throw new IllegalArgumentException("--durability: must be one of always, interval, never");
        }
        int socketBytes = socket.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketBytes > MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("--socket: path " + socket.toAbsolutePath() + " is " + socketBytes
                    + " bytes; Unix socket paths are limited to " + MAX_SOCKET_PATH_BYTES + " bytes");
        }
        range("--fsync-interval-ms", fsyncIntervalMs, 1, 60_000);
        range("--max-value-bytes", maxValueBytes, 0, FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH);
        range("--max-connections", maxConnections, 1, 65_536);
        range("--snapshot-min-journal-bytes", snapshotMinJournalBytes, 1L << 20, 1L << 40);
        range("--drain-timeout-ms", drainTimeoutMs, 0, 600_000);
        range("--max-pending-payload-bytes", maxPendingPayloadBytes, Math.max(16L << 20, maxValueBytes), 16L << 30);
        range("--stall-timeout-ms", stallTimeoutMs, 1000, 3_600_000);
        range("--spin-us", spinUs, 0, 10_000);
        range("--max-spinners", maxSpinners, 0, 1024);
        range("--io-threads", ioThreads, 0, 256);
        range("--gather-us", gatherUs, 0, 10_000);
        return this;
    }

    /**
     * The I/O threads to start: {@link #ioThreads} when given, else one in {@code always} mode and one
     * per CPU otherwise. A loop makes the writes of one round durable with one fsync, so in {@code
     * always} mode one loop puts every ready writer into each fsync, where several loops would split
     * them and queue their fsyncs behind each other; measured on 2 CPUs (2026-12-07), one loop did
     * 1.22-1.32× Redis at 1 to 10 writers, two 0.92-1.19×. In the other modes nothing waits for the
     * disk and two loops on 2 CPUs served 5-60% more than one from 2 client processes up
     * (docs/BENCHMARKS.md, "The write path").
     */
    public int ioThreadsToRun() {
        if (ioThreads != 0) {
            return ioThreads;
        }
        return durability == Durability.ALWAYS ? 1 : IO_THREADS_PER_CPU;
    }

    private static void range(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    name + ": " + value + " is outside the allowed range " + min + ".." + max);
        }
    }
}
