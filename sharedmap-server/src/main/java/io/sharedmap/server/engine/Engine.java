package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.os.files.FileModes;
import io.sharedmap.os.store.StoreDescriptor;
import io.sharedmap.server.Durability;
import io.sharedmap.server.engine.Results.Changed;
import io.sharedmap.server.engine.Results.Lookup;
import io.sharedmap.server.engine.Results.Outcome;
import io.sharedmap.server.engine.Results.ScanPage;
import io.sharedmap.server.engine.Results.ScannedKey;
import io.sharedmap.server.engine.Results.Write;
import io.sharedmap.server.security.Accounts;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.security.PermissionDeniedException;
import io.sharedmap.server.security.QuotaExceededException;
import io.sharedmap.server.security.RefusedException;
import io.sharedmap.server.store.MappedStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The storage engine: the mapped store, the journal, snapshots and recovery. Knows keys, values and
 * versions; knows nothing of sockets or the wire format.
 *
 * <p>Contract (what callers may rely on):
 *
 * <ul>
 *   <li>Per key, operations are linearizable: each takes effect atomically at one point between its
 *       call and its return, and versions of one key increase in that order. Versions are unique and
 *       increase store-wide in the order changes were applied.
 *   <li>A change returned by {@link #set}, {@link #compareAndSet} or {@link #delete} is visible to
 *       every later call of this engine, but is durable only after {@link #awaitDurable} of its
 *       {@code visibleVersion} returns, and is in the mapped store (visible to clients reading it
 *       directly) by then too. Every result carries the version that must be durable before the
 *       result is shown to anyone, so no client sees a value a crash could take back.
 *   <li>Scans walk keys in ascending unsigned order and return every key that exists unchanged for
 *       the whole scan exactly once; concurrent changes may or may not be seen.
 * </ul>
 *
 * <p>Where a key's state is: in the mapped store ({@link MappedStore}: every key, off the heap)
 * once its last change is durable and applied, and until then in the <em>pending</em> map, which
 * holds the resulting state of every change that is queued in the journal but not yet applied to
 * the store (a few entries at rest; bounded by what is in flight). Reads look in the pending map
 * first. The journal's leader applies each durable batch to the store and then drops the pending
 * states it made current; if the writer of a change has not yet put its pending state when the
 * leader gets to it, the leader waits for the writer's stripe lock, so a pending state is never
 * left behind (no Java object per key at rest).
 *
 * <p>Concurrency:
 *
 * <ul>
 *   <li>Readers ({@link #get}, {@link #scan}) take no engine lock: the pending map is a concurrent
 *       map of immutable states, the store reads lock-free (SCAN holds the store's read lock for a
 *       page).
 *   <li>Writers take the stripe lock of their key (one of {@value #STRIPES}), so read-modify-write of
 *       one key is atomic and writers of different keys rarely share a lock. Under it they read the
 *       current state, take a version and queue the record ({@link Journal#append}, a short global
 *       critical section with no I/O), and put the pending state. No I/O happens under a stripe lock.
 *   <li>A sequenced change (a client's numbered SET/CAS/DELETE) first claims its number in the
 *       {@link SessionTable} (the session's monitor, briefly, holding nothing else), and records its
 *       outcome there before releasing the stripe lock.
 *   <li>Lock order: stripe lock, then the journal's append lock or a session's monitor (both are
 *       leaves). The snapshot barrier takes stripe locks one at a time, holding nothing else. The
 *       journal's leader applies batches to the store (leadership, then the store's write lock,
 *       released before it takes stripe locks one at a time to drop pending states): leadership,
 *       then a stripe lock, never the reverse; a stripe-lock holder never waits for leadership or
 *       the store's lock. The whole hierarchy, every lock of the daemon in one list:
 *       docs/ARCHITECTURE.md, "Lock order".
 * </ul>
 *
 * <p>Snapshots: when the active journal segment outgrows both {@code snapshotMinJournalBytes} and
 * the live data, a background thread rotates the journal (new segment N; every version up to the
 * boundary is in segments below N, and applied to the store), waits until every writer holding a
 * version up to the boundary has recorded its session outcome (by passing through every stripe
 * lock, like {@code synchronize_rcu}), writes every entry of the store to {@code
 * snapshot-N.snap.tmp} page by page, fsyncs, renames, and deletes the segments and snapshots below
 * N. Readers and writers keep running throughout. Disk use stays below about twice the live data
 * plus {@code snapshotMinJournalBytes}, while a snapshot is written three times.
 */
public final class Engine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    static final int STRIPES = 1024;
    private static final long NEVER_MODE_MAX_PENDING_BYTES = 64L << 20;
    private static final int NEVER_MODE_FLUSH_MS = 5;
    private static final byte[] EMPTY = new byte[0];

    private final EngineConfig config;
    private final MappedStore store;
    /** The resulting state of every change queued and not yet applied to the store (see the class comment). */
    private final ConcurrentHashMap<Key, Pending> pending = new ConcurrentHashMap<>();

    private final Journal journal;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final LongAdder liveBytes = new LongAdder();
    private final LongAdder liveKeys = new LongAdder();
    private final AtomicLong lastDeleteVersion = new AtomicLong();
    private final RecoveryReport recovery;
    private final SessionTable sessions;
    private final Accounts accounts;
    private final EngineHooks hooks;
    private volatile boolean storeFailed;
    private volatile long sessionsCheckpointVersion = -1;
    private final ScheduledExecutorService background;
    private final AtomicBoolean snapshotRunning = new AtomicBoolean();
    private final AtomicLong snapshotsTaken = new AtomicLong();
    private final AtomicLong snapshotFailures = new AtomicLong();
    private volatile long lastSnapshotMs = -1;
    private volatile boolean closed;
    /** Runs the expiry sweeper (see {@link #expireDue}): its own thread, so a long sweep delays no fsync or snapshot. */
    private final ScheduledExecutorService expiry;
    /** The deadlines' hints: leaf lock (nothing is taken while holding it). */
    private final ReentrantLock deadlinesLock = new ReentrantLock();

    @GuardedBy("deadlinesLock")
    private final PriorityQueue<Due> deadlines = new PriorityQueue<>((a, b) -> Long.compare(a.deadline, b.deadline));

    private final AtomicLong keysExpired = new AtomicLong();
    /** Watches: every applied change is offered to them (the journal leader's hook, see {@link Applier}). */
    private final WatchHub watches;
    /** Open once the store's deadlines are loaded (at open, in the background). */
    private final CountDownLatch deadlinesLoaded = new CountDownLatch(1);

    /**
     * A hint that {@code key} may expire at {@code deadline}: the sweeper checks the key's current
     * deadline when the hint is due (a renewed, persisted or deleted key's hint finds nothing to do).
     */
    private record Due(long deadline, byte[] key) {}

    /**
     * A key's state after a change that is queued but not yet in the store: its value, the value's
     * version and owner, or {@code value == null} for a deletion; {@code recordVersion} is the version
     * of the journal record that made it (for a chmod, larger than {@code version}).
     */
    private record Pending(
            byte @Nullable [] value, long version, @Nullable Owner owner, long recordVersion, long deadline) {
        @Nullable
        Entry entry() {
            return value == null
                    ? null
                    : new Entry(value, version, Objects.requireNonNull(owner), deadline); // deletions alone have none
        }
    }

    private Engine(EngineConfig config, Recovery.Recovered r, Accounts accounts, EngineHooks hooks) throws IOException {
        this.config = config;
        this.accounts = accounts;
        this.hooks = hooks;
        this.store = r.store();
        for (Map.Entry<Owner, long[]> u : store.usage().entrySet()) {
            accounts.recount(u.getKey(), u.getValue()[0], u.getValue()[1]);
            liveKeys.add(u.getValue()[0]);
            liveBytes.add(u.getValue()[1]);
        }
        this.recovery = r.report();
        this.sessions = r.sessions();
        this.lastDeleteVersion.set(r.lastVersion()); // every deletion so far is durable
        this.watches = new WatchHub(config.dir(), r.lastVersion());
        this.journal = new Journal(
                config.dir(),
                config.durability(),
                Faults.fromSystemProperty(),
                hooks,
                r.activeSegment(),
                r.activeSegmentNumber(),
                r.lastVersion());
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
        journal.attachApplier(new Applier());
        this.background = Executors.newScheduledThreadPool(2, runnable -> {
            Thread t = new Thread(runnable);
            t.setName("sharedmap-engine-" + t.threadId());
            t.setDaemon(true);
            return t;
        });
        switch (config.durability()) {
            case INTERVAL ->
                background.scheduleWithFixedDelay(
                        journal::syncWritten,
                        config.fsyncIntervalMs(),
                        config.fsyncIntervalMs(),
                        TimeUnit.MILLISECONDS);
            case NEVER ->
                background.scheduleWithFixedDelay(
                        this::flushQuietly, NEVER_MODE_FLUSH_MS, NEVER_MODE_FLUSH_MS, TimeUnit.MILLISECONDS);
            case ALWAYS -> {}
        }
        background.scheduleWithFixedDelay(
                this::compactQuietly, COMPACT_EVERY_MS, COMPACT_EVERY_MS, TimeUnit.MILLISECONDS);
        background.scheduleWithFixedDelay(
                this::checkpointSessionsQuietly, SESSIONS_EVERY_MS, SESSIONS_EVERY_MS, TimeUnit.MILLISECONDS);
        this.expiry = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "sharedmap-expiry");
            t.setDaemon(true);
            return t;
        });
        expiry.execute(this::loadDeadlinesQuietly);
        if (hooks.sweepsOnItsOwn()) {
            expiry.scheduleWithFixedDelay(this::sweepQuietly, SWEEP_EVERY_MS, SWEEP_EVERY_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** How often the sweeper looks for due deadlines. */
    private static final long SWEEP_EVERY_MS = 20;
    /** Keys one sweeper batch expires before it waits for their records to be durable (and applied). */
    static final int EXPIRE_BATCH = 1000;

    private static final long COMPACT_EVERY_MS = 100;
    private static final int SNAPSHOT_PAGE = 4096;
    private static final long SNAPSHOT_PAGE_BYTES = 4L << 20;
    private static final long COMPACT_STEP_BYTES = 4L << 20;
    private static final long SESSIONS_EVERY_MS = 5_000;

    /**
     * Opens the store in {@code config.dir()}, recovering it. The caller must hold the directory's
     * lock file.
     *
     * @throws StoreFormatException if a file is damaged in a way that recovery cannot repair without
     *     losing acknowledged data, or has an unknown format version
     */
    public static Engine open(EngineConfig config) throws IOException {
        return open(config, EngineHooks.fromSystemProperties());
    }

    /** As {@link #open(EngineConfig)}, with the given hooks (tests). */
    public static Engine open(EngineConfig config, EngineHooks hooks) throws IOException {
        FileModes.createPrivateDirectories(config.dir());
        Accounts accounts = Accounts.open(config.dir(), UnixAccounts.system());
        StoreSettings ss = config.store();
        Files.createDirectories(ss.dir());
        long gid = ss.publicGid() >= 0
                ? ss.publicGid()
                : ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:gid")).longValue();
        Recovery.Recovered r = Recovery.run(config.dir(), ss.toStore(gid));
        Engine engine;
        try {
            engine = new Engine(config, r, accounts, hooks);
        } catch (IOException | RuntimeException e) {
            r.store().close(false);
            throw e;
        }
        engine.checkpointSessions(); // so that a crash from here on restores sessions from this file
        if (r.olderFormat()) {
            // An older release's directory: rewritten in this format now (a new segment and a
            // snapshot; the old files are pruned), so that nothing older is left to read.
            LOG.log(System.Logger.Level.INFO, "upgrading " + config.dir() + " to format " + FORMAT_VERSION);
            try {
                engine.snapshot();
            } catch (IOException e) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "upgrade to format " + FORMAT_VERSION + " failed (the next start"
                                + " tries again; the older format is still read): " + e);
            }
        }
        engine.maybeSnapshot(); // a journal recovered past the threshold is compacted without waiting for a write
        return engine;
    }

    /** Where a client maps the store's public side, and the generation it must find there. */
    public record StoreInfo(Path dir, long generation) {}

    /**
     * Where clients may read the store directly, or null when they may not (not offered, never mode,
     * or the journal failed).
     */
    public @Nullable StoreInfo storeInfo() {
        return !config.store().announce() || storeFailed ? null : new StoreInfo(store.publicDir(), store.generation());
    }

    /** The store's directory. */
    public Path storeDir() {
        return config.store().dir();
    }

    /** The store's numbers for STATS. */
    public MappedStore.Stats storeStats() {
        return store.stats();
    }

    /** Whether the store stopped taking changes (the journal failed with it). */
    public boolean storeFailed() {
        return storeFailed;
    }

    public RecoveryReport recovery() {
        return recovery;
    }

    /** Limits and usage of users and groups. */
    public Accounts accounts() {
        return accounts;
    }

    private ReentrantLock stripe(Key k) {
        int h = k.hashCode();
        return stripes[(h ^ (h >>> 16)) & (STRIPES - 1)];
    }

    /** Owner of keys created through the caller-less methods (in-process use, tests): root, mode 0644. */
    private static final Owner ROOT_CREATED = Caller.ROOT.newOwner(022);

    /** GET as root. Never blocks. */
    public Lookup get(byte[] key) {
        Key k = new Key(key);
        Pending p = pending.get(k);
        Entry e = hooks.get(k, p != null ? p.entry() : stored(k, true));
        if (e == null) {
            return new Lookup(null, lastDeleteVersion.get());
        }
        if (expired(e)) {
            // Absent from its deadline on, whether or not the sweeper has removed it yet.
            return new Lookup(null, Math.max(lastDeleteVersion.get(), p != null ? p.recordVersion() : 0));
        }
        // A queued chmod/chown keeps the value's version: the answer (which the new owner or mode may
        // allow) waits for that record too.
        return new Lookup(e, p != null ? Math.max(e.version(), p.recordVersion()) : e.version());
    }

    /**
     * The key's state: pending, else in the store; null if absent. With {@code withValue} false the
     * entry's value may be null (the store's is not copied); use {@link #valueLength} then.
     */
    private @Nullable Entry current(Key k, boolean withValue) {
        Pending p = pending.get(k);
        return p != null ? p.entry() : stored(k, withValue);
    }

    /** The key's state in the store (what {@link #current} reads when nothing is pending). */
    private @Nullable Entry stored(Key k, boolean withValue) {
        MappedStore.Stored s = store.get(k.bytes, withValue);
        return s == null ? null : new Entry(s.value(), s.version(), s.owner(), s.valueLength(), s.deadline());
    }

    /** Whether {@code e}'s deadline has come by the engine's clock. */
    private boolean expired(Entry e) {
        return e.deadline() != 0
                && StoreDescriptor.expired(e.deadline(), hooks.nowMillis()); // no clock read without one
    }

    /**
     * GET for {@code caller}. Never blocks.
     *
     * @throws PermissionDeniedException if the key exists and its mode does not let the caller read it
     */
    public Lookup get(Caller caller, byte[] key) throws PermissionDeniedException {
        Lookup l = get(key);
        if (l.entry() != null && !caller.mayRead(l.entry().owner())) {
            throw denied(caller, "read", key, l.entry().owner());
        }
        return l;
    }

    /** The refusal; its message names users and groups when it is read, after the caller's locks are released. */
    private static PermissionDeniedException denied(Caller caller, String what, byte[] key, Owner o) {
        UnixAccounts names = UnixAccounts.system();
        String k = Key.printable(key);
        return new PermissionDeniedException(() -> "user " + names.userName(caller.uid()) + " (uid " + caller.uid()
                + ") may not " + what + " key '" + k + "' (owner " + names.userName(o.uidLong())
                + ", group " + names.groupName(o.gidLong()) + ", mode " + Owner.modeString(o.mode()) + ")");
    }

    /** A sequenced change was refused: too old to know whether it was applied, or the window was broken. */
    public static final class SequenceException extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean expired;

        SequenceException(SessionTable.SequenceRejectedException e) {
            super(e.getMessage());
            this.expired = e.expired();
        }

        public boolean expired() {
            return expired;
        }
    }

    /**
     * The session key of client id {@code clientId} presented by user {@code uid}: what the engine's
     * {@code clientId} parameters take (see {@link SessionTable#key}). Zero for zero (no session).
     */
    public static long sessionKey(long uid, long clientId) {
        return SessionTable.key(uid, clientId);
    }

    /** Runs a change once per (client, sequence): a repeat returns the first outcome without applying. */
    private interface Change {
        Write apply() throws JournalFailedException, RefusedException;
    }

    private Write once(Caller caller, long clientId, long sequence, Change change)
            throws JournalFailedException, SequenceException, RefusedException {
        if (sequence == 0) {
            return change.apply();
        }
        Write remembered;
        try {
            remembered = sessions.begin(clientId, caller.uid(), sequence);
        } catch (SessionTable.SequenceRejectedException e) {
            throw new SequenceException(e);
        }
        if (remembered != null) {
            return remembered;
        }
        Write w = null;
        try {
            w = change.apply();
            return w;
        } finally {
            sessions.complete(clientId, sequence, w); // null (refused, failed): forgotten, a resend is evaluated anew
        }
    }

    private static int putFlags(long sequence, @Nullable Entry old, long deadline) {
        return FLAG_OWNED
                | (sequence == 0 ? 0 : FLAG_SEQUENCED | (old == null ? FLAG_CREATED : 0))
                | (deadline != 0 ? FLAG_DEADLINE : 0);
    }

    /** SET as root: creates or replaces. Takes ownership of {@code key} and {@code value}. */
    public Write set(byte[] key, byte[] value) throws JournalFailedException {
        return asRoot(() -> doPut(Caller.ROOT, ROOT_CREATED, key, ANY_VERSION, value, 0, 0, 0));
    }

    /**
     * SET as root with a deadline ({@code deadline}: Unix epoch milliseconds; 0: none), from which the
     * key no longer exists.
     */
    public Write set(byte[] key, byte[] value, long deadline) throws JournalFailedException {
        return asRoot(() -> doPut(Caller.ROOT, ROOT_CREATED, key, ANY_VERSION, value, deadline, 0, 0));
    }

    /** SET as root, as change {@code sequence} of client {@code clientId}; see {@link #set(Caller, Owner, byte[], byte[], long, long)}. */
    public Write set(byte[] key, byte[] value, long clientId, long sequence)
            throws JournalFailedException, SequenceException {
        return asRootSequenced(() -> set(Caller.ROOT, ROOT_CREATED, key, value, clientId, sequence));
    }

    /**
     * SET for {@code caller} as change {@code sequence} of client {@code clientId}: applied at most
     * once; a repeat gets the first outcome. {@code sequence} 0: not sequenced. A created key gets
     * {@code created} as its owner, group and mode; a replaced key keeps its own, and its owner is
     * charged the difference in size.
     *
     * @throws RefusedException if the key's mode forbids the caller to write it, or its owner's (for a
     *     new key, the caller's) limits would be exceeded; nothing was changed
     */
    public Write set(Caller caller, Owner created, byte[] key, byte[] value, long clientId, long sequence)
            throws JournalFailedException, SequenceException, RefusedException {
        return set(caller, created, key, value, 0, clientId, sequence);
    }

    /**
     * As {@link #set(Caller, Owner, byte[], byte[], long, long)}, giving the key {@code deadline}
     * (Unix epoch milliseconds, wall clock; 0: none): from then on the key is absent to every read,
     * and the sweeper soon deletes it (a journaled change of its own, an expiry). A SET without a
     * deadline removes the key's deadline, as Redis's SET does.
     */
    public Write set(
            Caller caller, Owner created, byte[] key, byte[] value, long deadline, long clientId, long sequence)
            throws JournalFailedException, SequenceException, RefusedException {
        return once(
                caller,
                clientId,
                sequence,
                () -> doPut(caller, created, key, ANY_VERSION, value, deadline, clientId, sequence));
    }

    /** Runs a root change, which no permission or limit refuses. */
    private interface RootChange<T> {
        T run() throws JournalFailedException, SequenceException, RefusedException;
    }

    private static <T> T asRootSequenced(RootChange<T> change) throws JournalFailedException, SequenceException {
        try {
            return change.run();
        } catch (RefusedException e) {
            throw new IllegalStateException("root was refused: " + e.getMessage(), e);
        }
    }

    private interface RootWrite {
        Write run() throws JournalFailedException, RefusedException;
    }

    private static Write asRoot(RootWrite change) throws JournalFailedException {
        try {
            return change.run();
        } catch (RefusedException e) {
            throw new IllegalStateException("root was refused: " + e.getMessage(), e);
        }
    }

    /**
     * Under the key's stripe lock: the answer to a change that changed nothing. A sequenced one is
     * remembered and its outcome appended to the journal, so that a resend, even after a crash, gets
     * this answer instead of being evaluated again after later changes of the same client (a pipeline
     * of delete-then-set must not end with the delete applied last). The reply need not wait for that
     * record: the journal is a prefix, so if any later change of this client survives a crash, this
     * record does too; if none does, re-evaluating the whole tail in order is correct.
     */
    private Write unchanged(
            byte[] key, Outcome outcome, long version, long visibleVersion, long clientId, long sequence)
            throws JournalFailedException {
        Write w = new Write(outcome, version, visibleVersion);
        if (sequence != 0) {
            byte[] record = ByteBuffer.allocate(9)
                    .put((byte) outcome.code())
                    .putLong(version)
                    .array();
            journal.append(TYPE_OUTCOME, FLAG_SEQUENCED, clientId, sequence, key, record, null);
            sessions.complete(clientId, sequence, w);
        }
        return w;
    }

    /**
     * Under the key's stripe lock, after its record was queued: makes {@code now} the key's pending
     * state and counts the change.
     */
    private void publish(Key k, @Nullable Entry old, Pending now) {
        if (hooks.remembersReplaced() && old != null) {
            hooks.replaced(k, old.value() != null ? old : current(k, true));
        }
        pending.put(k, now);
        if (now.value() == null) {
            liveKeys.decrement();
            liveBytes.add(-(k.bytes.length
                    + Objects.requireNonNull(old, "a deletion removes a key").valueLength()));
        } else if (old == null) {
            liveKeys.increment();
            liveBytes.add(k.bytes.length + now.value().length);
        } else {
            liveBytes.add(now.value().length - old.valueLength());
        }
    }

    /**
     * CAS as root: applies {@code value} only if the key's version is {@code expectedVersion} (0: only
     * if the key is absent). Takes ownership of {@code key} and {@code value}.
     */
    public Write compareAndSet(byte[] key, long expectedVersion, byte[] value) throws JournalFailedException {
        return asRoot(() -> doPut(Caller.ROOT, ROOT_CREATED, key, expectedVersion, value, 0, 0, 0));
    }

    /** CAS as root, as change {@code sequence} of client {@code clientId}, applied at most once. */
    public Write compareAndSet(byte[] key, long expectedVersion, byte[] value, long clientId, long sequence)
            throws JournalFailedException, SequenceException {
        return asRootSequenced(
                () -> compareAndSet(Caller.ROOT, ROOT_CREATED, key, expectedVersion, value, clientId, sequence));
    }

    /** CAS for {@code caller}, applied at most once; permissions and limits as for {@link #set(Caller, Owner, byte[], byte[], long, long)}. */
    public Write compareAndSet(
            Caller caller, Owner created, byte[] key, long expectedVersion, byte[] value, long clientId, long sequence)
            throws JournalFailedException, SequenceException, RefusedException {
        return compareAndSet(caller, created, key, expectedVersion, value, 0, clientId, sequence);
    }

    /** CAS for {@code caller} that gives the key {@code deadline} (0: none), as {@link #set(Caller, Owner, byte[], byte[], long, long, long)} does. */
    public Write compareAndSet(
            Caller caller,
            Owner created,
            byte[] key,
            long expectedVersion,
            byte[] value,
            long deadline,
            long clientId,
            long sequence)
            throws JournalFailedException, SequenceException, RefusedException {
        return once(
                caller,
                clientId,
                sequence,
                () -> doPut(caller, created, key, expectedVersion, value, deadline, clientId, sequence));
    }

    /** A put's deadline that keeps the key's current one (none for a key it creates): Redis's INCR, KEEPTTL. */
    public static final long KEEP_DEADLINE = -1;

    /** {@code expectedVersion} for a put that applies whatever the key's version: SET. */
    private static final long ANY_VERSION = -1;

    /**
     * SET ({@code expectedVersion} {@link #ANY_VERSION}) and CAS. A sequenced change records its
     * outcome in the session table before the stripe lock is released, so the snapshot barrier,
     * which passes every stripe lock, never finds a change published but its outcome unrecorded.
     * Usage is charged before the record is queued and given back if queuing fails.
     */
    private Write doPut(
            Caller caller,
            Owner created,
            byte[] key,
            long expectedVersion,
            byte[] value,
            long deadline,
            long clientId,
            long sequence)
            throws JournalFailedException, RefusedException {
        if (deadline < KEEP_DEADLINE) {
            throw new IllegalArgumentException("deadline " + deadline + " is negative");
        }
        Key k = new Key(key);
        ReentrantLock lock = stripe(k);
        Write w;
        lock.lock();
        try {
            Entry old = expireIfDue(k, current(k, false));
            if (deadline == KEEP_DEADLINE) {
                deadline = old != null ? old.deadline() : 0;
            }
            if (old != null && !caller.mayWrite(old.owner())) {
                throw denied(caller, "write", key, old.owner());
            }
            long current = old != null ? old.version() : 0;
            if (expectedVersion != ANY_VERSION && current != expectedVersion) {
                return unchanged(
                        key,
                        Outcome.CONFLICT,
                        current,
                        old != null ? current : lastDeleteVersion.get(),
                        clientId,
                        sequence);
            }
            Owner owner = old != null ? old.owner() : created;
            long keys = old != null ? 0 : 1;
            long bytes = old != null ? value.length - old.valueLength() : key.length + value.length;
            try {
                accounts.charge(owner, keys, bytes, !caller.isRoot());
            } catch (QuotaExceededException e) {
                if (caller.uid() == owner.uidLong() || caller.admin()) {
                    throw e;
                }
                String name =
                        Key.printable(key); // another user's usage is not the caller's to see (limit show hides it too)
                throw new QuotaExceededException(
                        () -> "key '" + name + "' belongs to another user, and this change (" + bytes
                                + " more bytes) would take its owner or the owner's group over a limit; ask the owner or an"
                                + " administrator");
            }
            long v;
            try {
                v = journal.append(
                        TYPE_PUT, putFlags(sequence, old, deadline), clientId, sequence, key, value, owner, deadline);
            } catch (JournalFailedException | RuntimeException e) {
                accounts.release(owner, keys, bytes);
                throw e;
            }
            publish(k, old, new Pending(value, v, owner, v, deadline));
            if (deadline != 0) {
                noteDeadline(key, deadline);
            }
            w = new Write(old == null ? Outcome.CREATED : Outcome.UPDATED, v, v);
            if (sequence != 0) {
                sessions.complete(clientId, sequence, w);
            }
        } finally {
            lock.unlock();
        }
        afterWrite();
        return w;
    }

    /** DELETE as root: removes the key if present and, when {@code expectedVersion} is not 0, only at that version. */
    public Write delete(byte[] key, long expectedVersion) throws JournalFailedException {
        return asRoot(() -> doDelete(Caller.ROOT, key, expectedVersion, 0, 0));
    }

    /** DELETE as root, as change {@code sequence} of client {@code clientId}, applied at most once. */
    public Write delete(byte[] key, long expectedVersion, long clientId, long sequence)
            throws JournalFailedException, SequenceException {
        return asRootSequenced(() -> delete(Caller.ROOT, key, expectedVersion, clientId, sequence));
    }

    /**
     * DELETE for {@code caller}, applied at most once.
     *
     * @throws PermissionDeniedException if the key's mode does not let the caller write it
     */
    public Write delete(Caller caller, byte[] key, long expectedVersion, long clientId, long sequence)
            throws JournalFailedException, SequenceException, RefusedException {
        return once(caller, clientId, sequence, () -> doDelete(caller, key, expectedVersion, clientId, sequence));
    }

    private Write doDelete(Caller caller, byte[] key, long expectedVersion, long clientId, long sequence)
            throws JournalFailedException, PermissionDeniedException {
        Key k = new Key(key);
        ReentrantLock lock = stripe(k);
        Write w;
        lock.lock();
        try {
            Entry old = expireIfDue(k, current(k, false));
            if (old == null) {
                return unchanged(
                        key,
                        expectedVersion == 0 ? Outcome.NOT_FOUND : Outcome.CONFLICT,
                        0,
                        lastDeleteVersion.get(),
                        clientId,
                        sequence);
            }
            if (!caller.mayWrite(old.owner())) {
                throw denied(caller, "delete", key, old.owner());
            }
            if (expectedVersion != 0 && old.version() != expectedVersion) {
                return unchanged(key, Outcome.CONFLICT, old.version(), old.version(), clientId, sequence);
            }
            byte[] removedVersion =
                    ByteBuffer.allocate(8).putLong(old.version()).array();
            long v = journal.append(
                    TYPE_DELETE,
                    FLAG_OWNED | (sequence == 0 ? 0 : FLAG_SEQUENCED),
                    clientId,
                    sequence,
                    key,
                    removedVersion,
                    old.owner());
            lastDeleteVersion.accumulateAndGet(v, Math::max);
            publish(k, old, new Pending(null, 0, null, v, 0));
            accounts.release(old.owner(), 1, key.length + old.valueLength());
            w = new Write(Outcome.DELETED, old.version(), v);
            if (sequence != 0) {
                sessions.complete(clientId, sequence, w);
            }
        } finally {
            lock.unlock();
        }
        afterWrite();
        return w;
    }

    /**
     * Under the key's stripe lock: {@code old}, or null after expiring it when its deadline has come
     * (a DELETE record flagged EXPIRED, with a version of its own, queued before the caller's change).
     */
    private @Nullable Entry expireIfDue(Key k, @Nullable Entry old) throws JournalFailedException {
        assert stripe(k).isHeldByCurrentThread();
        if (old == null || !expired(old)) {
            return old;
        }
        byte[] removedVersion = ByteBuffer.allocate(8).putLong(old.version()).array();
        long v = journal.append(TYPE_DELETE, FLAG_EXPIRED | FLAG_OWNED, 0, 0, k.bytes, removedVersion, old.owner());
        lastDeleteVersion.accumulateAndGet(v, Math::max);
        publish(k, old, new Pending(null, 0, null, v, 0));
        accounts.release(old.owner(), 1, k.bytes.length + old.valueLength());
        keysExpired.incrementAndGet();
        return null;
    }

    /**
     * Gives the key a new deadline ({@code deadline}, Unix epoch milliseconds; 0 removes it: the key
     * never expires), keeping its value, owner and version: a lease's keep-alive, Redis's EXPIRE and
     * PERSIST. With {@code expectedVersion} not 0, only if the key's version is that one. The result
     * is UPDATED with the entry's (unchanged) version, NOT_FOUND, or CONFLICT with the current version.
     *
     * @throws PermissionDeniedException if the key's mode does not let the caller write it
     */
    public Write setDeadline(Caller caller, byte[] key, long expectedVersion, long deadline)
            throws JournalFailedException, PermissionDeniedException {
        if (deadline < 0) {
            throw new IllegalArgumentException("deadline " + deadline + " is negative");
        }
        Key k = new Key(key);
        ReentrantLock lock = stripe(k);
        Write w;
        lock.lock();
        try {
            Entry old = expireIfDue(k, current(k, true));
            if (old == null) {
                return new Write(
                        expectedVersion == 0 ? Outcome.NOT_FOUND : Outcome.CONFLICT, 0, lastDeleteVersion.get());
            }
            if (!caller.mayWrite(old.owner())) {
                throw denied(caller, "change the deadline of", key, old.owner());
            }
            if (expectedVersion != 0 && old.version() != expectedVersion) {
                return new Write(Outcome.CONFLICT, old.version(), old.version());
            }
            long v = journal.append(TYPE_DEADLINE, FLAG_DEADLINE | FLAG_OWNED, 0, 0, key, EMPTY, old.owner(), deadline);
            pending.put(k, new Pending(old.value(), old.version(), old.owner(), v, deadline));
            if (deadline != 0) {
                noteDeadline(key, deadline);
            }
            w = new Write(Outcome.UPDATED, old.version(), v);
        } finally {
            lock.unlock();
        }
        afterWrite();
        return w;
    }

    /** {@link #setDeadline(Caller, byte[], long, long)} as root. */
    public Write setDeadline(byte[] key, long expectedVersion, long deadline) throws JournalFailedException {
        try {
            return setDeadline(Caller.ROOT, key, expectedVersion, deadline);
        } catch (PermissionDeniedException e) {
            throw new IllegalStateException("root was refused: " + e.getMessage(), e);
        }
    }

    private void noteDeadline(byte[] key, long deadline) {
        deadlinesLock.lock();
        try {
            deadlines.add(new Due(deadline, key));
        } finally {
            deadlinesLock.unlock();
        }
    }

    /** Deadlines the sweeper holds (hints; a renewed key may have several): for STATS and tests. */
    public int deadlinesPending() {
        deadlinesLock.lock();
        try {
            return deadlines.size();
        } finally {
            deadlinesLock.unlock();
        }
    }

    /**
     * The sweeper's step: expires at most {@code max} keys whose deadline the engine's clock has
     * reached (each under its own stripe lock, as any delete), then waits until their records are
     * durable and applied to the store, so the batch's pending states are gone. Returns how many
     * hints it took (fewer than {@code max}: nothing more is due now).
     */
    int expireDue(int max) throws JournalFailedException {
        try {
            deadlinesLoaded.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        long now = hooks.nowMillis();
        List<Due> due = new ArrayList<>(Math.min(max, 1024));
        deadlinesLock.lock();
        try {
            while (due.size() < max) {
                Due d = deadlines.peek();
                if (d == null || d.deadline > now) {
                    break;
                }
                due.add(deadlines.poll());
            }
        } finally {
            deadlinesLock.unlock();
        }
        for (Due d : due) {
            Key k = new Key(d.key);
            ReentrantLock lock = stripe(k);
            lock.lock();
            try {
                expireIfDue(k, current(k, false));
            } finally {
                lock.unlock();
            }
        }
        if (!due.isEmpty()) {
            journal.awaitDurable(journal.lastVersion());
            afterWrite();
        }
        return due.size();
    }

    /** Expires every key that is due now, batch by batch (for tests and the sweeper). */
    public long expireAllDue() throws JournalFailedException {
        long total = 0;
        int n;
        do {
            n = expireDue(EXPIRE_BATCH);
            total += n;
        } while (n == EXPIRE_BATCH && !closed);
        return total;
    }

    private void sweepQuietly() {
        try {
            expireAllDue();
        } catch (JournalFailedException | RuntimeException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "expiry sweep failed (reads still hide expired keys): " + e);
            }
        }
    }

    /** At open: a hint for every key of the store that has a deadline, a page at a time. */
    private void loadDeadlinesQuietly() {
        try {
            byte[][] after = {EMPTY};
            boolean[] first = {true};
            boolean[] more = {true};
            while (more[0] && !closed) {
                int[] n = {0};
                more[0] = !store.scan(after[0], first[0], e -> {
                    long d = e.deadline();
                    if (d != 0) {
                        noteDeadline(e.key(), d);
                    }
                    if (++n[0] < SNAPSHOT_PAGE) {
                        return true;
                    }
                    after[0] = e.key();
                    return false;
                });
                first[0] = false;
            }
        } catch (RuntimeException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "could not load the keys' deadlines (reads still hide expired keys): " + e);
        } finally {
            deadlinesLoaded.countDown();
        }
    }

    /** What CHMOD or CHOWN does to one key's owner, or why it may not. */
    private interface OwnerChange {
        /** The new owner, or null when the caller may not change this key (counted as skipped). */
        @Nullable
        Owner apply(Owner old);
    }

    /**
     * CHMOD: gives the key (or, with {@code prefix}, every key under it that the caller may change)
     * mode {@code mode}. Only a key's owner, or root, may change its mode; the value and its version
     * are unchanged.
     *
     * @throws PermissionDeniedException for a single key the caller does not own
     */
    public Changed chmod(Caller caller, byte[] keyOrPrefix, boolean prefix, int mode)
            throws JournalFailedException, PermissionDeniedException {
        try {
            return changeOwners(
                    caller,
                    keyOrPrefix,
                    prefix,
                    "change the mode of",
                    old -> caller.mayChmod(old) ? old.withMode(mode) : null,
                    false);
        } catch (QuotaExceededException e) {
            throw new IllegalStateException("chmod moves no usage, yet was refused a limit", e);
        }
    }

    /**
     * CHOWN: gives the key (or every key under the prefix) owner {@code uid} and group {@code gid}
     * ({@code -1}: unchanged). Only root or an administrator may; the usage moves to the new owner and
     * group, within their limits unless the caller is root (root is never limited). With a prefix,
     * each key moves on its own: a refusal stops the walk, and the keys before it stay changed.
     *
     * @throws PermissionDeniedException if the caller is neither root nor an administrator
     * @throws QuotaExceededException if the new owner or group would go over a limit (not for root)
     */
    public Changed chown(Caller caller, byte[] keyOrPrefix, boolean prefix, long uid, long gid)
            throws JournalFailedException, RefusedException {
        if (!caller.isRoot() && !caller.admin()) {
            throw new PermissionDeniedException(
                    "user " + UnixAccounts.system().userName(caller.uid()) + " (uid " + caller.uid()
                            + ") may not change owners: only root or the daemon's admin group may (--admin-group)");
        }
        return changeOwners(
                caller,
                keyOrPrefix,
                prefix,
                "change the owner of",
                old -> new Owner(uid < 0 ? old.uid() : (int) uid, gid < 0 ? old.gid() : (int) gid, old.mode()),
                true);
    }

    private Changed changeOwners(
            Caller caller, byte[] keyOrPrefix, boolean prefix, String what, OwnerChange f, boolean movesUsage)
            throws JournalFailedException, PermissionDeniedException, QuotaExceededException {
        if (!prefix) {
            Key k = new Key(keyOrPrefix);
            long[] r = changeOwner(k, f, movesUsage, !caller.isRoot());
            if (r == null) {
                return new Changed(false, 0, 0, lastDeleteVersion.get());
            }
            if (r[0] == 0) {
                Entry e = current(k, false);
                throw denied(caller, what, keyOrPrefix, e != null ? e.owner() : Owner.LEGACY);
            }
            return new Changed(true, 1, 0, r[1]);
        }
        long changed = 0;
        long skipped = 0;
        long visible = lastDeleteVersion.get();
        byte[] cursor = EMPTY;
        while (true) {
            // Keys a page at a time (the store's read lock is held only while a page is read, never
            // while a key is changed); each key is then changed under its own stripe lock.
            ScanPage page = scan(Caller.ROOT, keyOrPrefix, cursor, 1000, Integer.MAX_VALUE, 0);
            for (ScannedKey sk : page.keys()) {
                Key k = new Key(sk.key());
                long[] r = changeOwner(k, f, movesUsage, !caller.isRoot());
                if (r == null) {
                    continue; // deleted meanwhile
                }
                if (r[0] == 0) {
                    Entry e = current(k, false);
                    if (e != null && caller.mayRead(e.owner())) {
                        skipped++; // a key the caller may not read stays as hidden as it is from SCAN
                    }
                } else {
                    changed++;
                    visible = Math.max(visible, r[1]);
                }
            }
            if (page.nextCursor().length == 0) {
                return new Changed(true, changed, skipped, visible);
            }
            cursor = page.nextCursor();
        }
    }

    /** Under the key's stripe lock; null if absent, {0, 0} if not permitted, else {1, version of the record}. */
    private long @Nullable [] changeOwner(Key k, OwnerChange f, boolean movesUsage, boolean enforce)
            throws JournalFailedException, QuotaExceededException {
        ReentrantLock lock = stripe(k);
        long v;
        lock.lock();
        try {
            // the pending state carries the value (the record does not)
            Entry old = expireIfDue(k, current(k, true));
            if (old == null) {
                return null;
            }
            Owner now = f.apply(old.owner());
            if (now == null) {
                return new long[] {0, 0};
            }
            if (now.equals(old.owner())) {
                return new long[] {1, old.version()};
            }
            long bytes = k.bytes.length + old.valueLength();
            if (movesUsage) {
                accounts.move(old.owner(), now, 1, bytes, enforce);
            }
            try {
                v = journal.append(TYPE_META, FLAG_OWNED, 0, 0, k.bytes, EMPTY, now);
            } catch (JournalFailedException | RuntimeException e) {
                if (movesUsage) {
                    try {
                        accounts.move(now, old.owner(), 1, bytes, false);
                    } catch (QuotaExceededException cannot) {
                        throw new IllegalStateException("an unenforced move was refused", cannot);
                    }
                }
                throw e;
            }
            pending.put(k, new Pending(old.value(), old.version(), now, v, old.deadline()));
        } finally {
            lock.unlock();
        }
        afterWrite();
        return new long[] {1, v};
    }

    /** SCAN as root; see {@link #scan(Caller, byte[], byte[], int, int, int)}. */
    public ScanPage scan(byte[] prefix, byte[] cursor, int limit, int maxBytes, int bytesPerKey) {
        return scan(Caller.ROOT, prefix, cursor, limit, maxBytes, bytesPerKey);
    }

    /**
     * One page of keys starting with {@code prefix}, strictly after {@code cursor} (empty: from the
     * start), at most {@code limit} keys and about {@code maxBytes} of encoded keys. Keys the caller
     * may not read are left out, as if they did not exist.
     */
    public ScanPage scan(Caller caller, byte[] prefix, byte[] cursor, int limit, int maxBytes, int bytesPerKey) {
        byte[] from;
        boolean inclusive;
        if (cursor.length > 0 && Arrays.compareUnsigned(cursor, prefix) >= 0) {
            from = cursor;
            inclusive = false;
        } else {
            from = prefix;
            inclusive = true;
        }
        // Changes not yet in the store, in range, in key order: merged into the store's walk.
        TreeMap<byte[], Pending> queued = new TreeMap<>(Arrays::compareUnsigned);
        for (Map.Entry<Key, Pending> e : pending.entrySet()) {
            byte[] k = e.getKey().bytes;
            int c = Arrays.compareUnsigned(k, from);
            if (e.getKey().startsWith(prefix) && (c > 0 || c == 0 && inclusive)) {
                queued.put(k, e.getValue());
            }
        }
        PageBuilder page = new PageBuilder(
                caller, prefix, limit, maxBytes, bytesPerKey, lastDeleteVersion.get(), queued, hooks.nowMillis());
        if (store.scan(from, inclusive, page)) {
            page.rest();
        }
        return page.page();
    }

    /** Builds a SCAN page from the store's walk and the queued changes, merged in key order. */
    private static final class PageBuilder implements MappedStore.Visitor {
        private final Caller caller;
        private final byte[] prefix;
        private final int limit;
        private final int maxBytes;
        private final int bytesPerKey;
        private final Iterator<Map.Entry<byte[], Pending>> queued;
        private Map.@Nullable Entry<byte[], Pending> nextQueued;
        private final List<ScannedKey> keys;
        private long visible;
        private int bytes;
        private boolean more;
        private boolean stopped;
        private final long now;

        PageBuilder(
                Caller caller,
                byte[] prefix,
                int limit,
                int maxBytes,
                int bytesPerKey,
                long visible,
                TreeMap<byte[], Pending> queued,
                long now) {
            this.now = now;
            this.caller = caller;
            this.prefix = prefix;
            this.limit = limit;
            this.maxBytes = maxBytes;
            this.bytesPerKey = bytesPerKey;
            this.visible = visible;
            this.queued = queued.entrySet().iterator();
            this.nextQueued = this.queued.hasNext() ? this.queued.next() : null;
            this.keys = new ArrayList<>(Math.min(limit, 128));
        }

        @Override
        public boolean visit(MappedStore.EntryView e) {
            byte[] key = e.key();
            if (!startsWith(key, prefix)) {
                rest(); // every queued key left in range sorts before this one
                return false;
            }
            while (nextQueued != null && Arrays.compareUnsigned(nextQueued.getKey(), key) < 0) {
                if (!addQueued()) {
                    return false;
                }
            }
            if (nextQueued != null && Arrays.equals(nextQueued.getKey(), key)) {
                return addQueued(); // the queued change is the newer state of this key
            }
            return add(key, e.version(), e.valueLength(), e.owner(), e.version(), e.deadline());
        }

        /** After the store's keys: the queued keys left. */
        void rest() {
            while (nextQueued != null && !stopped) {
                addQueued();
            }
        }

        private boolean addQueued() {
            Map.Entry<byte[], Pending> q = nextQueued;
            nextQueued = queued.hasNext() ? queued.next() : null;
            if (q == null) {
                return true;
            }
            Pending p = q.getValue();
            byte[] value = p.value();
            if (value == null) {
                return true; // deleted, not yet in the store
            }
            return add(
                    q.getKey(),
                    p.version(),
                    value.length,
                    Objects.requireNonNull(p.owner()),
                    p.recordVersion(),
                    p.deadline());
        }

        private boolean add(
                byte[] key, long version, int valueLength, Owner owner, long visibleVersion, long deadline) {
            if (stopped) {
                return false;
            }
            if (!caller.mayRead(owner) || StoreDescriptor.expired(deadline, now)) {
                return true;
            }
            if (keys.size() == limit || bytes >= maxBytes) {
                more = true;
                stopped = true;
                return false;
            }
            keys.add(new ScannedKey(key, version, valueLength, owner));
            visible = Math.max(visible, visibleVersion);
            bytes += bytesPerKey + key.length;
            return true;
        }

        ScanPage page() {
            return new ScanPage(keys, more ? keys.getLast().key() : EMPTY, visible);
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /**
     * Returns once the journal holds every change up to {@code version} as durably as the mode
     * promises. Call before showing a result whose {@code visibleVersion} is {@code version}.
     */
    public void awaitDurable(long version) throws JournalFailedException {
        if (version > 0) {
            journal.awaitDurable(version);
        }
    }

    /**
     * Calls {@code onDurable} once {@code version} is durable as the mode promises, or the journal
     * failed or closed: at once on this thread if it already is, else on the journal's syncer thread
     * (so it must only post work). The non-blocking form of {@link #awaitDurable}; the callback checks
     * {@link #durableVersion()} and {@link #journalFailure()}.
     */
    public void whenDurable(long version, Runnable onDurable) {
        if (version <= 0) {
            onDurable.run();
        } else {
            journal.whenDurable(version, onDurable);
        }
    }

    /** Whether a commit (a journal write, and in {@code always} mode its fsync) is in progress now. */
    public boolean committing() {
        return journal.committing();
    }

    /**
     * Why changes after {@link #durableVersion()} will never be acknowledged: the journal's failure,
     * or its close; null while it works.
     */
    public @Nullable JournalFailedException journalFailure() {
        return journal.failedException();
    }

    /** The highest version that is durable as the mode promises (every version up to it is). */
    public long durableVersion() {
        return switch (config.durability()) {
            case ALWAYS -> journal.syncedVersion();
            case INTERVAL -> journal.writtenVersion();
            case NEVER -> journal.lastVersion();
        };
    }

    private void afterWrite() throws JournalFailedException {
        if (config.durability() == Durability.NEVER && journal.pendingBytes() > NEVER_MODE_MAX_PENDING_BYTES) {
            journal.flush(false); // back-pressure: never let the unwritten queue grow without bound
        }
        maybeSnapshot();
    }

    /**
     * Starts a background snapshot if the active segment has outgrown both the threshold and the live
     * data. Checked after every change, after every snapshot (the journal may have grown past the
     * threshold while it ran), and once after recovery, so an idle daemon still compacts.
     */
    private void maybeSnapshot() {
        long threshold = Math.max(config.snapshotMinJournalBytes(), liveBytes.sum());
        if (journal.segmentBytes() >= threshold && !closed && snapshotRunning.compareAndSet(false, true)) {
            try {
                background.execute(this::snapshotQuietly);
            } catch (RejectedExecutionException e) {
                snapshotRunning.set(false); // closing
            }
        }
    }

    private void flushQuietly() {
        try {
            journal.flush(false);
        } catch (JournalFailedException e) {
            // already logged by the journal; writers see it on their next change
        }
    }

    private void snapshotQuietly() {
        try {
            snapshot();
        } catch (IOException | RuntimeException e) {
            if (closed) {
                LOG.log(
                        System.Logger.Level.INFO,
                        "snapshot abandoned because the engine is closing; the journal keeps" + " every change");
                return;
            }
            snapshotFailures.incrementAndGet();
            LOG.log(System.Logger.Level.ERROR, "snapshot failed; the journal keeps every change, will retry: " + e, e);
            return; // the next change retries; retrying at once would spin on a full disk
        } finally {
            snapshotRunning.compareAndSet(true, false);
        }
        maybeSnapshot();
    }

    /** Takes a snapshot now and prunes what it covers. Runs beside readers and writers. */
    public void snapshot() throws IOException {
        long started = System.nanoTime();
        Journal.Rotation rotation = journal.rotate();
        for (ReentrantLock lock : stripes) {
            lock.lock(); // wait for writers that took a version up to the boundary to publish it
            lock.unlock();
        }
        Path dir = config.dir();
        String name = snapshotName(rotation.segment());
        Path tmp = dir.resolve(name + TEMP_SUFFIX);
        long count = 0;
        long entries;
        try (FileChannel c = FileModes.openPrivate(tmp)) {
            ByteBuffer header = ByteBuffer.wrap(
                    new RecordCodec().fileHeader(SNAPSHOT_MAGIC, rotation.segment(), rotation.boundaryVersion()));
            while (header.hasRemaining()) {
                c.write(header);
            }
            RecordWriter w = new RecordWriter(c, 1 << 20);
            // The store a page at a time: its read lock is held while a page is copied, never while it is written.
            List<Entry> page = new ArrayList<>(SNAPSHOT_PAGE);
            List<byte[]> pageKeys = new ArrayList<>(SNAPSHOT_PAGE);
            byte[][] after = {EMPTY};
            boolean[] first = {true};
            while (true) {
                if (closed) {
                    throw new IOException("engine closing; snapshot abandoned");
                }
                page.clear();
                pageKeys.clear();
                long[] pageBytes = {0};
                store.scan(after[0], first[0], e -> {
                    byte[] k = e.key();
                    byte[] v = e.value();
                    pageKeys.add(k);
                    page.add(new Entry(v, e.version(), e.owner(), e.deadline()));
                    pageBytes[0] += k.length + v.length;
                    return page.size() < SNAPSHOT_PAGE && pageBytes[0] < SNAPSHOT_PAGE_BYTES;
                });
                for (int i = 0; i < page.size(); i++) {
                    Entry e = page.get(i);
                    w.write(
                            TYPE_PUT,
                            FLAG_OWNED | (e.deadline() != 0 ? FLAG_DEADLINE : 0),
                            0,
                            0,
                            pageKeys.get(i),
                            Objects.requireNonNull(e.value()),
                            e.version(),
                            e.owner(),
                            e.deadline());
                    count++;
                }
                if (page.size() < SNAPSHOT_PAGE && pageBytes[0] < SNAPSHOT_PAGE_BYTES) {
                    break;
                }
                after[0] = pageKeys.getLast();
                first[0] = false;
            }
            entries = count;
            for (byte[][] session : sessions.encodeAll()) {
                w.write(TYPE_SESSION, session[0], session[1], 0);
                count++;
            }
            for (long forgotten : sessions.forgotten()) {
                w.write(
                        TYPE_FORGOTTEN,
                        ByteBuffer.allocate(8).putLong(forgotten).array(),
                        EMPTY,
                        0);
                count++;
            }
            w.write(
                    TYPE_SNAPSHOT_END,
                    EMPTY,
                    ByteBuffer.allocate(8).putLong(count).array(),
                    0);
            w.flush();
            c.force(true);
            // The sessions may hold outcomes of changes after the boundary whose records are still queued.
            // Make them durable in the new segment before the snapshot becomes authoritative, so the
            // snapshot never holds a session outcome that recovery's journal does not. (Its entries are
            // the store's, which holds only durable changes.)
            journal.flush(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        Journal.syncDirectory(dir);
        prune(rotation.segment());
        snapshotsTaken.incrementAndGet();
        lastSnapshotMs = (System.nanoTime() - started) / 1_000_000;
        LOG.log(
                System.Logger.Level.INFO,
                "snapshot " + name + ": " + entries + " entries, " + (count - entries) + " client sessions in "
                        + lastSnapshotMs + " ms (writers held " + rotation.heldNanos() / 1_000 + " µs)");
    }

    private void prune(long below) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(config.dir())) {
            for (Path p : files) {
                String n = p.getFileName().toString();
                long seg = numberOf(n, SEGMENT_PREFIX, SEGMENT_SUFFIX);
                long snap = numberOf(n, SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX);
                if ((seg >= 0 && seg < below) || (snap >= 0 && snap < below)) {
                    Files.delete(p);
                }
            }
        }
        Journal.syncDirectory(config.dir());
    }

    /** Numbers for STATS. */
    public record Stats(
            long keys,
            long liveBytes,
            long lastVersion,
            long writtenVersion,
            long syncedVersion,
            long segment,
            long segmentBytes,
            long commits,
            long fsyncs,
            long journalBytesWritten,
            long snapshots,
            long snapshotFailures,
            long lastSnapshotMs,
            boolean journalFailed,
            int sessions,
            long keysExpired,
            int deadlines) {}

    public Stats stats() {
        return new Stats(
                liveKeys.sum(),
                liveBytes.sum(),
                journal.lastVersion(),
                journal.writtenVersion(),
                journal.syncedVersion(),
                journal.segment(),
                journal.segmentBytes(),
                journal.commits(),
                journal.fsyncs(),
                journal.bytesWritten(),
                snapshotsTaken.get(),
                snapshotFailures.get(),
                lastSnapshotMs,
                journal.failed(),
                sessions.size(),
                keysExpired.get(),
                deadlinesPending());
    }

    /** The watches of this engine's changes. */
    public WatchHub watches() {
        return watches;
    }

    /** Keys with a change queued and not yet in the store (for STATS and tests: few at rest). */
    public int pendingChanges() {
        return pending.size();
    }

    /**
     * The journal's leader: applies each durable batch to the store, then drops the pending states it
     * made current (see the class comment).
     */
    private final class Applier implements Journal.Applier {
        @Override
        public void apply(List<Journal.Pending> batch, long segment, long lastStart, long lastEnd) throws IOException {
            try {
                store.apply(batch, new MappedStore.Checkpoint(batch.getLast().version(), segment, lastStart, lastEnd));
            } catch (IOException e) {
                throw new StoreApplyException(storeDir(), e);
            }
            watches.publish(batch); // durable and in the store: watchers may see it (never blocks)
            for (Journal.Pending p : batch) {
                if (p.changeKind() != MappedStore.Change.NONE) {
                    settle(p);
                }
            }
        }

        /** Drops the pending state record {@code p} made, which is now in the store. */
        private void settle(Journal.Pending p) {
            Key k = new Key(p.key());
            Pending now = pending.get(k);
            if (now != null && now.recordVersion() >= p.version()) {
                if (now.recordVersion() == p.version()) {
                    pending.remove(k, now);
                }
                return; // or a later change of the key is still pending: it stays
            }
            // p's writer queued it but has not yet put its pending state: wait for it (its stripe lock),
            // or the state would be put after this and stay forever.
            ReentrantLock lock = stripe(k);
            lock.lock();
            try {
                now = pending.get(k);
                if (now != null && now.recordVersion() == p.version()) {
                    pending.remove(k, now);
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void journalFailed(Throwable cause) {
            storeFailed = true;
            store.retirePublic();
            LOG.log(
                    System.Logger.Level.ERROR,
                    "the mapped store takes no more changes (the journal failed); clients read"
                            + " through the socket from now on: " + cause);
        }
    }

    private void compactQuietly() {
        try {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(COMPACT_EVERY_MS / 2);
            while (!closed
                    && store.wantsCompaction()
                    && store.compactStep(COMPACT_STEP_BYTES)
                    && System.nanoTime() < until) {
                // one step at a time, releasing the store's lock between steps
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "store compaction failed (will retry): " + e, e);
        }
    }

    private void checkpointSessionsQuietly() {
        try {
            if (journal.lastVersion() != sessionsCheckpointVersion) {
                checkpointSessions();
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "sessions checkpoint failed (the journal keeps them; will retry): " + e);
        }
    }

    /**
     * Writes the sessions file beside the store (see {@link SessionsFile}): the position first
     * (every record before it written), then the barrier (every writer of those records has recorded
     * its outcome), then the sessions, then the journal flushed (every outcome in the file is in the
     * journal), then the file.
     */
    private synchronized void checkpointSessions() throws IOException {
        long version = journal.lastVersion();
        SessionsFile.Position from = journal.writePosition();
        for (ReentrantLock lock : stripes) {
            lock.lock();
            lock.unlock();
        }
        SessionTable.Encoded encoded = sessions.encode();
        journal.flush(false);
        SessionsFile.write(store.privateDir(), encoded, from);
        sessionsCheckpointVersion = version;
    }

    /**
     * Stops as {@code kill -9} would (for crash tests): no queued record is written, the store is not
     * marked clean nor retired, no sessions file is written. Waits for background work to end first,
     * so nothing of this engine touches the files afterwards.
     */
    void haltForTest() throws IOException {
        closed = true;
        expiry.shutdownNow();
        background.shutdownNow();
        try {
            background.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journal.halt();
        store.abandon();
    }

    /**
     * Stops background work, writes and fsyncs every queued record (which applies it to the store),
     * records the sessions, and closes the files. Callers must have stopped issuing operations.
     */
    @Override
    public void close() throws IOException {
        closed = true;
        expiry.shutdown();
        try {
            if (!expiry.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "expiry sweep did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        background.shutdown();
        try {
            if (!background.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "background snapshot did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean clean = false;
        try {
            journal.close();
            clean = !journal.failed() && !storeFailed;
            if (clean) {
                checkpointSessions();
            }
        } finally {
            store.close(clean); // retires its public side: clients ask the daemon, and find it gone or back
        }
    }
}
