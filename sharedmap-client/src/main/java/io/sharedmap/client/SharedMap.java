package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.Opcode;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jspecify.annotations.Nullable;

/**
 * A client of a sharedmap daemon: a durable map from byte-string keys to byte-string values that
 * every process on the machine shares.
 *
 * <pre>{@code
 * try (SharedMap map = SharedMap.connect(socket)) {
 *   map.set("greeting", "hello");
 *   String greeting = map.get("greeting").orElseThrow().valueAsString(); // "hello"
 *
 *   // Safe read-modify-write from any number of processes: read, compute, CAS, retry on conflict.
 *   CasResult result;
 *   do {
 *     Optional<Entry> seen = map.get("visits");
 *     long visits = seen.map(e -> Long.parseLong(e.valueAsString())).orElse(0L);
 *     long expected = seen.map(Entry::version).orElse(0L); // 0: the key must not exist yet
 *     result = map.compareAndSet("visits", expected, Long.toString(visits + 1));
 *   } while (result instanceof CasResult.Conflict);
 * }
 * }</pre>
 *
 * <h2>What a reply promises</h2>
 *
 * <ul>
 *   <li><b>Visibility.</b> Once a call that changes the map ({@link #set}, {@link #delete}, an
 *       applied {@link #compareAndSet}, or a pipelined one once {@link Pipeline#sync()} returns)
 *       has returned in process A, every request that any thread of any process sends afterwards
 *       sees that change or a later one. So the return of A's call <i>happens-before</i> the
 *       replies to every later request, in A or in a process B that learned of the return (through
 *       the map itself, a pipe, a file...). Reads are linearizable per key.
 *   <li><b>Versions.</b> Every change takes the next value of one store-wide counter: versions are
 *       unique, increase in the order changes were applied, across keys and across daemon
 *       restarts. {@link #compareAndSet} with the version a {@link #get} returned succeeds only if
 *       nobody changed the key in between.
 *   <li><b>Durability.</b> A change is acknowledged only once it is in the daemon's journal as far as
 *       its durability mode promises: {@code interval} (default) survives {@code kill -9} of the
 *       daemon, {@code always} also power loss, {@code never} may lose the last few milliseconds.
 *       No reply shows a value before it is that durable, so a value any client has seen is never
 *       lost by a crash the mode covers.
 *   <li><b>Scans.</b> {@link #keys} and {@link #scan} return, in ascending unsigned byte order and
 *       never twice, every key that matches and exists unchanged for the whole scan; a key created
 *       or deleted meanwhile may or may not appear.
 *   <li><b>Failures.</b> Results such as "not found" and "conflict" are values. Exceptions are
 *       {@link SharedMapException}s.
 *   <li><b>Daemon restarts</b> (recovering, the default; see {@link Options}). A call whose
 *       connection breaks (the daemon was stopped, killed, or restarted) reconnects with backoff and
 *       sends its request again, until the daemon answers or the reconnect window (30 s by default)
 *       is spent; then it throws a {@link DaemonUnavailableException} naming the socket and how
 *       long it tried. Every connection opens a session with this client's random id, and every
 *       change carries the next sequence number, so the daemon answers a resent change it had
 *       already applied with the original outcome instead of applying it again: a change is applied
 *       <i>exactly once</i> when the call returns normally, <i>at most once</i> when it throws.
 *       At most {@value io.sharedmap.protocol.FrameDescriptor#SESSION_WINDOW} changes are
 *       unanswered at a time; more wait. Reads are simply sent again. A plain client ({@code
 *       recovering(false)}) instead throws a {@link DaemonUnavailableException} at once; after the
 *       request was sent it may or may not have been applied (a request certainly not delivered is
 *       retried once on a fresh connection, so a restart between calls is invisible).
 *   <li><b>Daemons that stop answering</b> (stopped with {@code SIGSTOP}, wedged, waiting for a hung
 *       disk) without closing their connections. A call, recovering or not, waits at most the reply
 *       timeout ({@link Options#replyTimeout(Duration)}, 30 s by default) for its reply, or for a
 *       new connection's hello, then closes that connection and throws a {@link
 *       ReplyTimeoutException} (a {@link DaemonUnavailableException}) naming the socket and the
 *       timeout and saying whether the request may have been applied. It is not retried: the next
 *       call uses another pooled connection or opens a new one as usual, and waits its own timeout
 *       while the daemon stays stuck. A change that timed out is applied at most once, but possibly
 *       later, when the daemon resumes, even after changes that later calls made and saw
 *       acknowledged: read the key, or use {@link #compareAndSet}, when that order matters.
 * </ul>
 *
 * <h2>Direct reads</h2>
 *
 * <p>The daemon keeps every key in a memory-mapped store whose public side this process may map
 * ({@link io.sharedmap.os.store.StoreDescriptor}) when it may open its files (normally: whoever
 * may connect; see docs/SECURITY.md). {@link #get} then reads it with no system call and no round
 * trip, absent keys included, and goes to the socket only for keys that not everyone who may open
 * the files may read (the private side, which only the daemon opens: their absence cannot be told
 * either while the private side holds any key), for a read that kept racing a change, after the
 * daemon stopped or was replaced (it maps the store again), or when direct reads are off ({@link
 * Options#directReads(boolean)}). The answers are the socket's: a direct read returns a value the
 * daemon acknowledged, never a torn one, and never older than a change acknowledged before the read
 * began (the daemon applies a change to the store before acknowledging it). Pipelined GETs and
 * scans use the socket.
 *
 * <h2>Threads and connections</h2>
 *
 * <p>Thread-safe. Each call borrows a connection from a small pool (opening one when none is idle),
 * writes its request and reads the reply on the calling thread, then returns the connection; a
 * call that has to reconnect does so on the calling thread too. The only background thread is one
 * daemon thread per process, {@code sharedmap-reply-watchdog}, started with the first connection
 * that has a reply timeout: it closes the connections of calls that waited longer than it.
 * While it waits for its reply, a call spins for {@link Options#spinTime(Duration)} (10 µs by
 * default, yielding the CPU between checks of the socket) before it blocks: this costs some CPU
 * time and saves the slow wake-up of a blocked thread, above all in a virtual machine.
 * Calls from several threads run in parallel on separate connections; calls from one thread are
 * executed in the order made. Keys are 1 to {@value FrameDescriptor#MAX_KEY_LENGTH} bytes; values
 * up to {@link #maxValueLength()}; both are checked before anything is sent. String keys and values
 * are encoded as UTF-8. Byte arrays passed in or returned are not copied.
 */
public final class SharedMap implements PortableMap {
    /** Idle connections kept for reuse; callers beyond this many at once open short-lived ones. */
    static final int MAX_IDLE_CONNECTIONS = 16;

    private static final SecureRandom CLIENT_IDS = new SecureRandom();

    private final ConnectionPool pool;
    private final Options options;
    /** The session's sequence numbers; null for a plain client. */
    private final @Nullable SequenceWindow window;

    /** GET from the daemon's mapped store, and when to fall back to the socket. */
    private final DirectReads direct;
    /** The one request-exchange loop of single calls and pipelines. */
    private final Exchange exchange;

    private SharedMap(ConnectionPool pool, Options options) {
        this.pool = pool;
        this.options = options;
        this.window = options.recovering() ? new SequenceWindow() : null;
        this.exchange = new Exchange(pool, options.reconnectWindow());
        // once, without waiting for a daemon to come back: the GET that follows does the waiting
        this.direct = new DirectReads(
                options.directReads(),
                pool.socket(),
                () -> once(new Request(Opcode.VIEW, Bytes.EMPTY, Bytes.EMPTY, 0), Replies::view));
    }

    /**
     * Connects to the map {@code url} names, choosing the backend by its scheme:
     *
     * <ul>
     *   <li>{@code unix:///path/to/socket} (or {@code unix:/path}): the local daemon on that socket,
     *       recovering, as {@link #connect(Path)}; the result is a {@link SharedMap}, so the local
     *       operations are a cast away;
     *   <li>{@code etcd://host:port,host:port/}: an etcd cluster (module sharedmap-etcd);
     *   <li>{@code redis-cluster://host:port,...}: a Redis or Valkey Cluster, {@code
     *       redis://host:port}: one server (module sharedmap-redis);
     *   <li>any other scheme a {@link PortableMapProvider} on the class or module path serves.
     * </ul>
     *
     * @throws IllegalArgumentException when the URL is malformed, or no provider serves its scheme
     *     (the message names the module to add)
     * @throws DaemonUnavailableException when nothing answers there
     */
    public static PortableMap connect(URI url) {
        return Backends.connect(url);
    }

    /**
     * Connects to the daemon on {@link SharedMapPaths#defaultSocket()}, recovering.
     *
     * @throws DaemonUnavailableException when no daemon answers there
     */
    public static SharedMap connect() {
        return connect(SharedMapPaths.defaultSocket());
    }

    /**
     * Connects to the daemon on {@code socket}, recovering ({@link Options#defaults()}).
     *
     * @throws DaemonUnavailableException when no daemon answers there
     * @throws SharedMapException when the daemon refuses the connection (e.g. at its connection limit)
     */
    public static SharedMap connect(Path socket) {
        return connect(socket, Options.defaults());
    }

    /**
     * Connects to the daemon on {@code socket}, doing the hello on a first connection that then
     * stays in the pool. The first connection is not retried: when no daemon answers now, this
     * throws at once (only an established client waits for a daemon to come back).
     *
     * @throws DaemonUnavailableException when no daemon answers there
     * @throws SharedMapException when the daemon refuses the connection (e.g. at its connection limit)
     */
    public static SharedMap connect(Path socket, Options options) {
        Objects.requireNonNull(options, "options");
        ConnectionPool pool = new ConnectionPool(
                Objects.requireNonNull(socket, "socket"),
                options.recovering() ? newClientId() : 0,
                MAX_IDLE_CONNECTIONS,
                options.spinTime().toNanos(),
                options.replyTimeout().toNanos());
        pool.release(pool.open());
        SharedMap map = new SharedMap(pool, options);
        try {
            map.direct.mapNow();
        } catch (RuntimeException e) { // a reply timeout: the daemon stopped answering right after the hello
            map.close();
            throw e;
        }
        return map;
    }

    private static long newClientId() {
        long id;
        do {
            id = CLIENT_IDS.nextLong();
        } while (id == 0);
        return id;
    }

    /** How this client behaves when the daemon goes away. */
    public Options options() {
        return options;
    }

    /** The session's client id (non-zero) when recovering, else 0. */
    long clientId() {
        return pool.clientId();
    }

    /** The recovering client's sequence window (a plain client has none and never asks). */
    private SequenceWindow window() {
        return Objects.requireNonNull(window, "a plain client numbers no changes");
    }

    /** Sequence numbers handed out and not yet answered (tests). */
    long sequencesInFlight() {
        return window == null ? 0 : window.inFlightSpan();
    }

    /** Connections idle in this client's pool (tests). */
    int idleConnections() {
        return pool.idleCount();
    }

    /** The socket this client connects to. */
    public Path socket() {
        return pool.socket();
    }

    /** {@code unix://} and the socket's absolute path. */
    @Override
    public String url() {
        return Backends.unixUrl(pool.socket());
    }

    /** The largest page {@link #scan} returns, as the daemon's most recent HELLO said. */
    @Override
    public int maxScanLimit() {
        return pool.hello().maxScanLimit();
    }

    /** The largest value the daemon accepts, as its most recent HELLO said. */
    @Override
    public int maxValueLength() {
        return pool.hello().maxValueLength();
    }

    /**
     * The value and version stored under {@code key}, or empty when there is none. Read from the
     * daemon's mapped store when this client maps it and may tell the answer from it, else through
     * the socket: the same answer either way.
     */
    @Override
    public Optional<Entry> get(byte[] key) {
        checkKey(Opcode.GET, key); // before anything, as for every request; the frame only if the socket is needed
        DirectReads.Answer a = direct.lookup(key, pool.isClosed());
        return a != null ? Optional.ofNullable(a.entry()) : call(getRequest(key), Replies::get);
    }

    /**
     * GETs answered from the daemon's mapped store and through the socket by this client so far,
     * and whether the store is mapped now.
     */
    public record ReadStats(long direct, long socket, boolean viewMapped) {}

    /** See {@link ReadStats}. */
    public ReadStats readStats() {
        return direct.stats();
    }

    /** {@link #get(byte[])} with a UTF-8 key. */
    @Override
    public Optional<Entry> get(String key) {
        return get(Bytes.utf8(key));
    }

    /** Stores {@code value} under {@code key}, creating or replacing the entry. */
    @Override
    public SetResult set(byte[] key, byte[] value) {
        return call(setRequest(key, value), Replies::set);
    }

    /**
     * Watches {@code key} (with {@code prefix}: every key starting with it; an empty prefix is every
     * key) for every change after version {@code fromVersion} ({@code -1}: from now on): each SET,
     * DELETE, expiry, CHMOD/CHOWN and deadline change, once, in version order, to {@code listener} on
     * the watch's own thread; with {@code values}, a SET carries its value. Only keys this process may
     * read are shown. The watch survives daemon restarts within this client's reconnect window,
     * resuming after the last version seen; if that history was compacted away, the listener is told
     * ({@link WatchListener#onCompacted}) with the version to start again from. Close the returned
     * {@link Watcher} to stop.
     */
    public Watcher watch(byte[] key, boolean prefix, long fromVersion, boolean values, WatchListener listener) {
        Objects.requireNonNull(listener, "listener");
        Watcher.check(key, prefix, fromVersion);
        Watcher w = new Watcher(pool.socket(), key, prefix, values, fromVersion, options.reconnectWindow(), listener);
        w.start();
        return w;
    }

    /**
     * {@link #watch} as a {@link Flow.Publisher}: each subscriber gets a watch of its own, started
     * when it subscribes and stopped when it cancels, delivered through a {@link SubmissionPublisher}
     * (on the common pool) with its default buffer. A subscriber that does not keep up holds the
     * watch's thread; the daemon then cuts the watch as fallen behind and it resumes where it was,
     * so nothing is lost. Compacted history ends the stream with {@link HistoryCompactedException};
     * a watch that cannot reach the daemon within the reconnect window, with its {@link
     * SharedMapException}.
     */
    public Flow.Publisher<WatchEvent> watchPublisher(byte[] key, boolean prefix, long fromVersion, boolean values) {
        Watcher.check(key, prefix, fromVersion);
        byte[] k = key.clone();
        return subscriber -> {
            Objects.requireNonNull(subscriber, "subscriber");
            SubmissionPublisher<WatchEvent> pub = new SubmissionPublisher<>();
            AtomicReference<@Nullable Watcher> running = new AtomicReference<>();
            pub.subscribe(new Flow.Subscriber<WatchEvent>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscriber.onSubscribe(new Flow.Subscription() {
                        @Override
                        public void request(long n) {
                            s.request(n);
                        }

                        @Override
                        public void cancel() {
                            s.cancel();
                            Watcher w = running.getAndSet(null);
                            if (w != null) {
                                w.close();
                            }
                            pub.close();
                        }
                    });
                }

                @Override
                public void onNext(WatchEvent item) {
                    subscriber.onNext(item);
                }

                @Override
                public void onError(Throwable throwable) {
                    subscriber.onError(throwable);
                }

                @Override
                public void onComplete() {
                    subscriber.onComplete();
                }
            });
            Watcher started = watch(k, prefix, fromVersion, values, new WatchListener() {
                @Override
                public void onEvent(WatchEvent event) {
                    pub.submit(event); // blocks while this subscriber's buffer is full
                }

                @Override
                public void onCompacted(long currentVersion) {
                    pub.closeExceptionally(new HistoryCompactedException(currentVersion));
                }

                @Override
                public void onError(SharedMapException error) {
                    pub.closeExceptionally(error);
                }
            });
            running.set(started);
            if (pub.isClosed() && running.compareAndSet(started, null)) {
                started.close(); // cancelled while it started
            }
        };
    }

    /** {@link #set(byte[], byte[])} with a UTF-8 key and value. */
    @Override
    public SetResult set(String key, String value) {
        return set(Bytes.utf8(key), Bytes.utf8(value));
    }

    /**
     * Stores {@code value} under {@code key} for {@code ttl}: the key expires at this process's wall
     * clock now plus {@code ttl} (see {@link #setUntil}). A {@link #set(byte[], byte[])} without a
     * time to live removes a key's deadline, as Redis's SET does.
     *
     * @param ttl at least 1 ms
     */
    public SetResult set(byte[] key, byte[] value, Duration ttl) {
        return setUntil(key, value, deadlineAfter(ttl));
    }

    /** {@link #set(byte[], byte[], Duration)} with a UTF-8 key and value. */
    public SetResult set(String key, String value, Duration ttl) {
        return set(Bytes.utf8(key), Bytes.utf8(value), ttl);
    }

    /**
     * Stores {@code value} under {@code key} until {@code deadline}: from that instant of the
     * machine's wall clock (Unix epoch milliseconds) on, every read, direct or through the daemon,
     * finds the key absent, and the daemon soon deletes it (an expiry, a change with a version of its
     * own). A deadline already past stores a key that is absent at once.
     */
    public SetResult setUntil(byte[] key, byte[] value, Instant deadline) {
        return call(expiringRequest(key, FrameDescriptor.ARG_ANY_VERSION, value, deadline), Replies::set);
    }

    /** {@link #compareAndSet(byte[], long, byte[])} that also gives the key a time to live, as {@link #set(byte[], byte[], Duration)}. */
    public CasResult compareAndSet(byte[] key, long expectedVersion, byte[] value, Duration ttl) {
        if (expectedVersion < 0) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    "CAS: expected version " + expectedVersion + " is negative; use 0 for \"the key must not exist\"");
        }
        return call(expiringRequest(key, expectedVersion, value, deadlineAfter(ttl)), Replies::compareAndSet);
    }

    /**
     * Gives the key a new time to live (a lease's keep-alive: the value and version stay). Returns
     * false if the key is absent (or already expired).
     */
    public boolean expire(byte[] key, Duration ttl) {
        return expireAt(key, 0, deadlineAfter(ttl).toEpochMilli());
    }

    /**
     * As {@link #expire(byte[], Duration)}, only while the key's version is {@code expectedVersion}
     * (a lease holder renews only its own lease); false otherwise.
     */
    public boolean expire(byte[] key, long expectedVersion, Duration ttl) {
        if (expectedVersion <= 0) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    "EXPIRE: expected version " + expectedVersion + " is not a version (versions are > 0)");
        }
        return expireAt(key, expectedVersion, deadlineAfter(ttl).toEpochMilli());
    }

    /** Gives the key the deadline {@code deadline}; false if the key is absent. */
    public boolean expireAt(byte[] key, Instant deadline) {
        return expireAt(key, 0, epochMillis(deadline));
    }

    /** Removes the key's deadline: it no longer expires. False if the key is absent. */
    public boolean persist(byte[] key) {
        return expireAt(key, 0, 0);
    }

    /**
     * The key's deadline; empty if the key is absent or never expires (see {@link #get} to tell the
     * two apart).
     */
    public Optional<Instant> deadline(byte[] key) {
        checkKey(Opcode.DEADLINE, key);
        OptionalLong d = call(new Request(Opcode.DEADLINE, key, Bytes.EMPTY, 0), Replies::deadline);
        return d.isPresent() && d.getAsLong() != 0
                ? Optional.of(Instant.ofEpochMilli(d.getAsLong()))
                : Optional.empty();
    }

    private boolean expireAt(byte[] key, long expectedVersion, long deadlineMillis) {
        checkKey(Opcode.EXPIRE, key);
        byte[] v = ByteBuffer.allocate(FrameDescriptor.DEADLINE_LENGTH)
                .putLong(deadlineMillis)
                .array();
        return call(new Request(Opcode.EXPIRE, key, v, expectedVersion), Replies::expire);
    }

    private static Instant deadlineAfter(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.toMillis() < 1) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT, "time to live " + ttl + " is under 1 ms, the deadlines' resolution");
        }
        return Instant.ofEpochMilli(Math.addExact(System.currentTimeMillis(), ttl.toMillis()));
    }

    private static long epochMillis(Instant deadline) {
        long ms = deadline.toEpochMilli();
        if (ms <= 0) {
            throw Errors.forCode(ErrorCode.INVALID_ARGUMENT, "deadline " + deadline + " is not after the Unix epoch");
        }
        return ms;
    }

    Request expiringRequest(byte[] key, long expectedVersion, byte[] value, Instant deadline) {
        checkKey(Opcode.PUT_EXPIRING, key);
        checkValue(Opcode.PUT_EXPIRING, value);
        long ms = epochMillis(deadline);
        byte[] v = ByteBuffer.allocate(FrameDescriptor.DEADLINE_LENGTH + value.length)
                .putLong(ms)
                .put(value)
                .array();
        return new Request(Opcode.PUT_EXPIRING, key, v, expectedVersion);
    }

    /** Removes the entry under {@code key}, whatever its version. */
    @Override
    public DeleteResult delete(byte[] key) {
        return call(deleteRequest(key, 0), Replies::delete);
    }

    /** {@link #delete(byte[])} with a UTF-8 key. */
    @Override
    public DeleteResult delete(String key) {
        return delete(Bytes.utf8(key));
    }

    /**
     * Removes the entry under {@code key} only if its version is {@code expectedVersion}; otherwise
     * returns {@link DeleteResult.Outcome#CONFLICT} with the current version.
     *
     * @param expectedVersion a version {@code > 0}, as returned by {@link #get} or a write
     * @throws InvalidRequestException when {@code expectedVersion <= 0}
     */
    @Override
    public DeleteResult delete(byte[] key, long expectedVersion) {
        return call(conditionalDeleteRequest(key, expectedVersion), Replies::delete);
    }

    /**
     * Stores {@code value} under {@code key} only if the key's version is {@code expectedVersion}
     * ({@code 0}: only if the key does not exist).
     *
     * @return {@link CasResult.Applied} with the new version, or {@link CasResult.Conflict} with the
     *     current one (0 when absent)
     * @throws InvalidRequestException when {@code expectedVersion < 0}
     */
    @Override
    public CasResult compareAndSet(byte[] key, long expectedVersion, byte[] value) {
        return call(casRequest(key, expectedVersion, value), Replies::compareAndSet);
    }

    /** {@link #compareAndSet(byte[], long, byte[])} with a UTF-8 key and value. */
    @Override
    public CasResult compareAndSet(String key, long expectedVersion, String value) {
        return compareAndSet(Bytes.utf8(key), expectedVersion, Bytes.utf8(value));
    }

    /**
     * One page of the keys that start with {@code prefix}, in ascending unsigned byte order, starting
     * strictly after {@code cursor}.
     *
     * @param prefix 0 to 1024 bytes; empty matches every key
     * @param cursor empty to start, else the {@link ScanPage#nextCursor()} of the previous page
     * @param limit most entries on the page, 1 to 1000, or 0 for the daemon's default (100); a page
     *     also ends once it holds about 1 MiB
     */
    @Override
    public ScanPage scan(byte[] prefix, byte[] cursor, int limit) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(cursor, "cursor");
        if (prefix.length > FrameDescriptor.MAX_KEY_LENGTH) {
            throw Errors.forCode(
                    ErrorCode.KEY_TOO_LONG,
                    "SCAN: prefix of " + prefix.length + " bytes exceeds the key limit of "
                            + FrameDescriptor.MAX_KEY_LENGTH + " bytes");
        }
        if (cursor.length > FrameDescriptor.MAX_KEY_LENGTH) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    "SCAN: cursor of " + cursor.length + " bytes exceeds the key limit of "
                            + FrameDescriptor.MAX_KEY_LENGTH + " bytes");
        }
        int maxLimit = pool.hello().maxScanLimit();
        if (limit < 0 || limit > maxLimit) {
            throw Errors.forCode(ErrorCode.INVALID_ARGUMENT, "SCAN: page size " + limit + " is outside 0.." + maxLimit);
        }
        return call(new Request(Opcode.SCAN, prefix, cursor, limit), Replies::scan);
    }

    /**
     * Every key that starts with {@code prefix} (empty: every key), in ascending unsigned byte order,
     * fetched page by page as the stream is consumed. Each page is one request; see the scan
     * contract above for keys changed meanwhile.
     */
    @Override
    public Stream<KeyInfo> keys(byte[] prefix) {
        Objects.requireNonNull(prefix, "prefix");
        scanCheckPrefix(prefix);
        return pages(cursor -> scan(prefix, cursor, pool.hello().maxScanLimit()));
    }

    /**
     * As {@link #keys(byte[])}, with each key's owner, group and mode ({@link KeyInfo#owner()}), like
     * {@code ls -l}. Keys this process's user may not read are not listed.
     */
    public Stream<KeyInfo> keysWithOwners(byte[] prefix) {
        Objects.requireNonNull(prefix, "prefix");
        scanCheckPrefix(prefix);
        return pages(cursor -> call(
                new Request(
                        Opcode.SCAN,
                        prefix,
                        cursor,
                        FrameDescriptor.ARG_SCAN_OWNERS | pool.hello().maxScanLimit()),
                Replies::scanWithOwners));
    }

    /** The entries of the pages {@code page} returns for each cursor, fetched as the stream is consumed. */
    private static Stream<KeyInfo> pages(Function<byte[], ScanPage> page) {
        Iterator<KeyInfo> it = new Iterator<>() {
            private Iterator<KeyInfo> entries = Collections.emptyIterator();
            private byte[] cursor = Bytes.EMPTY;
            private boolean last;

            @Override
            public boolean hasNext() {
                while (!entries.hasNext() && !last) {
                    ScanPage p = page.apply(cursor);
                    entries = p.entries().iterator();
                    cursor = p.nextCursor();
                    last = p.done();
                }
                return entries.hasNext();
            }

            @Override
            public KeyInfo next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return entries.next();
            }
        };
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(
                        it, Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL),
                false);
    }

    /**
     * Gives {@code key} mode {@code mode} (read and write bits of {@code 0666}, e.g. {@code 0640}).
     * Only the key's owner, or root, may.
     *
     * @throws PermissionDeniedException if this process's user does not own the key
     */
    public OwnerChange chmod(byte[] key, int mode) {
        checkKey(Opcode.CHMOD, key);
        return call(
                new Request(Opcode.CHMOD, key, Bytes.EMPTY, checkMode(mode)),
                r -> Replies.ownerChange(Opcode.CHMOD, r));
    }

    /** As {@link #chmod}, for every key under {@code prefix} this user owns (root: every key); others are skipped. */
    public OwnerChange chmodPrefix(byte[] prefix, int mode) {
        scanCheckPrefix(prefix);
        return call(
                new Request(Opcode.CHMOD, prefix, Bytes.EMPTY, FrameDescriptor.ARG_PREFIX | checkMode(mode)),
                r -> Replies.ownerChange(Opcode.CHMOD, r));
    }

    /**
     * Gives {@code key} owner {@code uid} and group {@code gid} ({@code -1}: leave as is). Only root
     * and the daemon's admin group may; the key's usage moves to the new owner and group.
     *
     * @throws PermissionDeniedException if this process's user may not change owners
     */
    public OwnerChange chown(byte[] key, long uid, long gid) {
        checkKey(Opcode.CHOWN, key);
        return call(new Request(Opcode.CHOWN, key, ids(uid, gid), 0), r -> Replies.ownerChange(Opcode.CHOWN, r));
    }

    /** As {@link #chown}, for every key under {@code prefix}. */
    public OwnerChange chownPrefix(byte[] prefix, long uid, long gid) {
        scanCheckPrefix(prefix);
        return call(
                new Request(Opcode.CHOWN, prefix, ids(uid, gid), FrameDescriptor.ARG_PREFIX),
                r -> Replies.ownerChange(Opcode.CHOWN, r));
    }

    private static int checkMode(int mode) {
        if ((mode & ~FrameDescriptor.MAX_KEY_MODE) != 0) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    String.format(
                            "CHMOD: mode 0%o has bits outside 0666" + " (keys have read and write bits only)", mode));
        }
        return mode;
    }

    private static byte[] ids(long uid, long gid) {
        for (long id : new long[] {uid, gid}) {
            if (id < -1 || id >= 0xFFFF_FFFFL) {
                throw Errors.forCode(
                        ErrorCode.INVALID_ARGUMENT,
                        "CHOWN: id " + id + " is outside 0.." + 0xFFFF_FFFEL + " (or -1: unchanged)");
            }
        }
        return ByteBuffer.allocate(8).putInt((int) uid).putInt((int) gid).array();
    }

    /**
     * The limits and usage this user may see: every principal for root and the admin group, else its
     * own user and primary group.
     */
    public List<LimitsRow> limits() {
        return call(new Request(Opcode.LIMIT, Bytes.EMPTY, Bytes.EMPTY, LimitCodec.SHOW), Replies::limits);
    }

    /** One principal's limits and usage. */
    public LimitsRow limits(Principal p) {
        return call(new Request(Opcode.LIMIT, wire(p), Bytes.EMPTY, LimitCodec.SHOW), Replies::limits)
                .getFirst();
    }

    /**
     * Sets some of a principal's limits ({@link Limits#KEEP} leaves one as it is). Applies at once and
     * is saved before this returns. Only root and the admin group may.
     */
    public LimitsRow setLimits(Principal p, Limits limits) {
        byte[] change =
                LimitCodec.encodeChange(new LimitCodec.Amounts(limits.keys(), limits.bytes(), limits.connections()));
        return call(new Request(Opcode.LIMIT, wire(p), change, LimitCodec.SET), Replies::limits)
                .getFirst();
    }

    /** Removes the limits whose argument is true; see {@link #setLimits}. */
    public LimitsRow unsetLimits(Principal p, boolean keys, boolean bytes, boolean connections) {
        byte[] which =
                LimitCodec.encodeChange(new LimitCodec.Amounts(keys ? 1 : 0, bytes ? 1 : 0, connections ? 1 : 0));
        return call(new Request(Opcode.LIMIT, wire(p), which, LimitCodec.UNSET), Replies::limits)
                .getFirst();
    }

    private static byte[] wire(Principal p) {
        return p.wire().getBytes(StandardCharsets.US_ASCII);
    }

    /** Sends an empty PING and waits for the PONG: the daemon is there and serving. */
    @Override
    public void ping() {
        call(new Request(Opcode.PING, Bytes.EMPTY, Bytes.EMPTY, 0), Replies::ping);
    }

    /**
     * The daemon's counters and settings, by name, in the daemon's order (e.g. {@code pid}, {@code
     * socket}, {@code data_dir}, {@code uptime_ms}, {@code keys}). Unmodifiable.
     */
    public Map<String, String> stats() {
        return call(new Request(Opcode.STATS, Bytes.EMPTY, Bytes.EMPTY, 0), Replies::stats);
    }

    /** A new, empty pipeline on this client. */
    public Pipeline pipelined() {
        return new Pipeline(this);
    }

    /**
     * Closes the idle connections; connections in use by other threads are closed when their calls
     * return. Afterwards every call throws {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        pool.close();
        direct.close();
    }

    @Override
    public String toString() {
        return "SharedMap[" + pool.socket() + ", " + options + "]";
    }

    // ---- requests, checked before anything is sent ----

    Request getRequest(byte[] key) {
        checkKey(Opcode.GET, key);
        return new Request(Opcode.GET, key, Bytes.EMPTY, 0);
    }

    Request setRequest(byte[] key, byte[] value) {
        checkKey(Opcode.SET, key);
        checkValue(Opcode.SET, value);
        return new Request(Opcode.SET, key, value, 0);
    }

    Request deleteRequest(byte[] key, long expectedVersion) {
        checkKey(Opcode.DELETE, key);
        return new Request(Opcode.DELETE, key, Bytes.EMPTY, expectedVersion);
    }

    Request conditionalDeleteRequest(byte[] key, long expectedVersion) {
        if (expectedVersion <= 0) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    "DELETE: expected version " + expectedVersion
                            + " is not a version (versions are > 0); use delete(key) to delete whatever is there");
        }
        return deleteRequest(key, expectedVersion);
    }

    Request casRequest(byte[] key, long expectedVersion, byte[] value) {
        checkKey(Opcode.CAS, key);
        checkValue(Opcode.CAS, value);
        if (expectedVersion < 0) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    "CAS: expected version " + expectedVersion + " is negative; use 0 for \"the key must not exist\"");
        }
        return new Request(Opcode.CAS, key, value, expectedVersion);
    }

    private static void checkKey(Opcode op, byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length == 0) {
            throw Errors.forCode(
                    ErrorCode.KEY_EMPTY,
                    op + ": key is empty; keys are 1 to " + FrameDescriptor.MAX_KEY_LENGTH + " bytes");
        }
        if (key.length > FrameDescriptor.MAX_KEY_LENGTH) {
            throw Errors.forCode(
                    ErrorCode.KEY_TOO_LONG,
                    op + ": key of " + key.length + " bytes exceeds the limit of " + FrameDescriptor.MAX_KEY_LENGTH
                            + " bytes");
        }
    }

    private static void scanCheckPrefix(byte[] prefix) {
        if (prefix.length > FrameDescriptor.MAX_KEY_LENGTH) {
            throw Errors.forCode(
                    ErrorCode.KEY_TOO_LONG,
                    "SCAN: prefix of " + prefix.length + " bytes exceeds the key limit of "
                            + FrameDescriptor.MAX_KEY_LENGTH + " bytes");
        }
    }

    private void checkValue(Opcode op, byte[] value) {
        Objects.requireNonNull(value, "value");
        int max = maxValueLength();
        if (value.length > max) {
            throw Errors.forCode(
                    ErrorCode.VALUE_TOO_LARGE,
                    op + ": value of " + value.length + " bytes exceeds the daemon's limit of " + max + " bytes");
        }
    }

    // ---- the call path: one exchange loop (Exchange), plain or recovering ----

    /** One request, recovering if this client is. */
    private <T extends @Nullable Object> T call(Request request, Function<Reply, T> decoder) {
        return single(request, decoder, window != null);
    }

    /** One request, one attempt (the plain policy) whatever this client is. */
    private <T extends @Nullable Object> T once(Request request, Function<Reply, T> decoder) {
        return single(request, decoder, false);
    }

    @SuppressWarnings("NullAway") // the sink ran (the exchange returned normally), so result.value is the decoder's
    private <T extends @Nullable Object> T single(Request request, Function<Reply, T> decoder, boolean recovering) {
        List<Request> batch = recovering ? numbered(List.of(request)) : List.of(request);
        Exchange.Result<T> result = new Exchange.Result<>();
        try {
            exchange.run(batch, recovering, (i, reply) -> result.value = decoder.apply(reply), this::answered);
            return result.value;
        } catch (Exchange.Ended e) {
            throw e.getCause();
        } finally {
            release(batch);
        }
    }

    // ---- pipelines ----

    /** Most changes in one recovering batch: a quarter of the session window, so batches of several threads fit. */
    private static final int MAX_CHANGES_PER_BATCH = FrameDescriptor.SESSION_WINDOW / 4;

    /**
     * Sends a pipeline's requests in batches of one buffer each, reading each batch's replies. A
     * recovering client numbers each batch's changes (one block of consecutive sequence numbers);
     * when the connection breaks, the batch's requests not yet answered are sent again, with the same
     * numbers, on a new connection, within the reconnect window.
     */
    void sync(List<Pipeline.Pending<?>> ops) {
        boolean recovering = window != null;
        int done = 0; // ops[0, done) hold their results
        while (done < ops.size()) {
            int from = done;
            int end = batchEnd(ops, from, recovering);
            List<Request> requests = ops.subList(from, end).stream()
                    .<Request>map(Pipeline.Pending::request)
                    .toList();
            List<Request> batch = recovering ? numbered(requests) : requests;
            try {
                exchange.run(
                        batch,
                        recovering,
                        (i, reply) -> {
                            Pipeline.Pending<?> p = ops.get(from + i);
                            try {
                                p.complete(reply);
                            } catch (ProtocolViolationException e) {
                                throw e; // the stream cannot be trusted: the exchange ends with this op unanswered
                            } catch (SharedMapException e) {
                                p.response().fail(e); // this op's answer; the next ones go on, unless the daemon closes
                                if (reply.closing()) {
                                    throw new Exchange.Ended(i + 1, e);
                                }
                            }
                        },
                        this::answered);
                done = end;
            } catch (Exchange.Ended e) {
                failFrom(ops, from + e.answered, e.getCause());
                throw e.getCause();
            } finally {
                release(batch);
            }
        }
    }

    /** {@code requests} with consecutive sequence numbers on the changes. */
    private List<Request> numbered(List<Request> requests) {
        int changes = 0;
        for (Request r : requests) {
            changes += r.isChange() ? 1 : 0;
        }
        long sequence = changes == 0 ? 0 : window().acquire(changes);
        List<Request> batch = new ArrayList<>(requests.size());
        for (Request r : requests) {
            batch.add(r.isChange() ? r.withSequence(sequence++) : r);
        }
        return batch;
    }

    /** A request was answered: its sequence number (if any) may be reused by the window. */
    private void answered(Request r) {
        if (r.sequence() != 0) {
            window().release(r.sequence());
        }
    }

    /** Releases the batch's sequence numbers (answered ones were released already: idempotent). */
    private void release(List<Request> batch) {
        for (Request r : batch) {
            answered(r);
        }
    }

    private static void failFrom(List<Pipeline.Pending<?>> ops, int from, SharedMapException e) {
        for (int i = from; i < ops.size(); i++) {
            ops.get(i).response().fail(e);
        }
    }

    /**
     * End (exclusive) of the batch starting at {@code from}: as many requests as fit one buffer, at
     * least one; when {@code numbered}, changes count their sequence numbers and at most {@link
     * #MAX_CHANGES_PER_BATCH} changes go in one batch.
     */
    private static int batchEnd(List<Pipeline.Pending<?>> ops, int from, boolean numbered) {
        int bytes = length(ops.get(from).request(), numbered);
        int changes = numbered && ops.get(from).request().isChange() ? 1 : 0;
        if (!Connection.fitsBuffer(bytes)) {
            return from + 1;
        }
        int end = from + 1;
        while (end < ops.size()) {
            Request r = ops.get(end).request();
            int next = length(r, numbered);
            boolean change = numbered && r.isChange();
            if (!Connection.fitsBuffer(bytes + next) || (change && changes == MAX_CHANGES_PER_BATCH)) {
                break;
            }
            bytes += next;
            changes += change ? 1 : 0;
            end++;
        }
        return end;
    }

    private static int length(Request r, boolean numbered) {
        return numbered && r.isChange()
                ? FrameEncoder.sequencedLength(r.key().length, r.value().length)
                : r.encodedLength();
    }
}
