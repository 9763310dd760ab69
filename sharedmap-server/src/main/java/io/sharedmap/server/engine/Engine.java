package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.os.files.FileModes;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The storage engine: the index, the journal, snapshots and recovery. Knows keys, values and
 * versions; knows nothing of sockets or the wire format.
 *
 * <p>Contract (what callers may rely on):
 *
 * <ul>
 *   <li>Per key, operations are linearizable: each takes effect atomically at one point between its
 *       call and its return, and versions of one key increase in that order. Versions are unique and
 *       increase store-wide in the order changes were applied.
 *   <li>A change returned by {@link #set}, {@link #compareAndSet} or {@link #delete} is in the index
 *       (visible to every later call) but is durable only after {@link #awaitDurable} of its
 *       {@code visibleVersion} returns. Every result carries the version that must be durable
 *       before the result is shown to anyone, so no client sees a value a crash could take back.
 *   <li>Scans walk keys in ascending unsigned order and return every key that exists unchanged for
 *       the whole scan exactly once; concurrent changes may or may not be seen.
 * </ul>
 *
 * <p>Concurrency:
 *
 * <ul>
 *   <li>Readers ({@link #get}, {@link #scan}) take no lock; the index is a concurrent skip list and
 *       entries are immutable.
 *   <li>Writers take the stripe lock of their key (one of {@value #STRIPES}), so read-modify-write of
 *       one key is atomic and writers of different keys rarely share a lock. Under it they read the
 *       current entry, take a version and queue the record ({@link Journal#append}, a short global
 *       critical section with no I/O), and publish the new entry. No I/O happens under a stripe lock.
 *   <li>A sequenced change (a client's numbered SET/CAS/DELETE) first claims its number in the
 *       {@link SessionTable} (the session's monitor, briefly, holding nothing else), and records its
 *       outcome there before releasing the stripe lock.
 *   <li>Lock order: stripe lock, then the journal's append lock or a session's monitor (both are
 *       leaves: nothing else is taken while holding them). The snapshot barrier takes stripe locks
 *       one at a time, holding nothing else. The journal's leadership and commit lock are never
 *       taken under a stripe lock. The journal's leader takes stripe locks (one at a time) to apply
 *       durable records to the view ({@link View}): leadership, then a stripe lock, never the reverse.
 * </ul>
 *
 * <p>The view: when configured (not in {@code never} mode), every durable change is applied to a
 * shared-memory view that clients read without a system call ({@link View}); a change is in the
 * view before it is acknowledged.
 *
 * <p>Snapshots: when the active journal segment outgrows both {@code snapshotMinJournalBytes} and
 * the live data, a background thread rotates the journal (new segment N; every version up to the
 * boundary is in segments below N), waits until every writer holding a version up to the boundary
 * has published it (by passing through every stripe lock, like {@code synchronize_rcu}), writes
 * every entry to {@code snapshot-N.snap.tmp}, fsyncs, renames, and deletes the segments and
 * snapshots below N. Readers and writers keep running throughout. Disk use stays below about twice
 * the live data plus {@code snapshotMinJournalBytes}, while a snapshot is written three times.
 */
public final class Engine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    static final int STRIPES = 1024;
    private static final long NEVER_MODE_MAX_PENDING_BYTES = 64L << 20;
    private static final int NEVER_MODE_FLUSH_MS = 5;
    private static final byte[] EMPTY = new byte[0];

    /**
     * A deliberately broken mode for testing the linearizability checker: GET sometimes answers with
     * the value a key had before its last change. Never use it for data.
     */
    public static final String UNSAFE_STALE_READS_PROPERTY = "sharedmap.unsafe.staleReads";

    /**
     * A deliberately broken mode for testing the direct-read checks: the journal's leader releases a
     * batch's writers before it applies the batch to the shared-memory view (and applies it a couple
     * of milliseconds later), so a direct read may miss a write acknowledged before it began. GET
     * through the socket is unaffected. Never use it for data.
     */
    public static final String UNSAFE_LATE_VIEW_PROPERTY = "sharedmap.unsafe.lateView";

    private final EngineConfig config;
    private final Index index;
    private final Journal journal;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final LongAdder liveBytes = new LongAdder();
    private final AtomicLong lastDeleteVersion = new AtomicLong();
    private final RecoveryReport recovery;
    private final SessionTable sessions;
    private final Accounts accounts;
    private final boolean unsafeStaleReads = Boolean.getBoolean(UNSAFE_STALE_READS_PROPERTY);
    private final Map<Key, Entry> overwritten = new java.util.concurrent.ConcurrentHashMap<>();

    private final View view; // null: no view (none configured, or never mode)
    private final ScheduledExecutorService background;
    private final AtomicBoolean snapshotRunning = new AtomicBoolean();
    private final AtomicLong snapshotsTaken = new AtomicLong();
    private final AtomicLong snapshotFailures = new AtomicLong();
    private volatile long lastSnapshotMs = -1;
    private volatile boolean closed;

    private Engine(EngineConfig config, Recovery.Recovered r, Accounts accounts) throws IOException {
        this.config = config;
        this.accounts = accounts;
        this.index = r.index();
        for (Iterator<Map.Entry<Key, Entry>> it = index.all(); it.hasNext(); ) {
            Map.Entry<Key, Entry> e = it.next();
            accounts.recount(
                    e.getValue().owner(), e.getKey().bytes.length + e.getValue().value().length);
        }
        this.liveBytes.add(r.liveBytes());
        this.recovery = r.report();
        this.sessions = r.sessions();
        this.journal = new Journal(
                config.dir(),
                config.durability(),
                Faults.fromSystemProperty(),
                r.activeSegment(),
                r.activeSegmentNumber(),
                r.lastVersion());
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
        View v = null;
        if (config.view() != null && config.durability() != Durability.NEVER) {
            try {
                v = View.open(config.view(), index, this::stripe);
                journal.attachView(v);
            } catch (IOException | RuntimeException e) {
                journal.close();
                throw e;
            }
        }
        this.view = v;
        if (unsafeStaleReads) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "UNSAFE: GET may return stale values (" + UNSAFE_STALE_READS_PROPERTY
                            + "); this daemon is broken on purpose for testing");
        }
        if (v != null && Boolean.getBoolean(UNSAFE_LATE_VIEW_PROPERTY)) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "UNSAFE: changes reach the view after they are acknowledged (" + UNSAFE_LATE_VIEW_PROPERTY
                            + "); direct reads may be stale; this daemon is broken on purpose for testing");
        }
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
    }

    /**
     * Opens the store in {@code config.dir()}, recovering it. The caller must hold the directory's
     * lock file.
     *
     * @throws StoreFormatException if a file is damaged in a way that recovery cannot repair without
     *     losing acknowledged data, or has an unknown format version
     */
    public static Engine open(EngineConfig config) throws IOException {
        FileModes.createPrivateDirectories(config.dir());
        Accounts accounts = Accounts.open(config.dir(), UnixAccounts.system());
        Engine engine = new Engine(config, Recovery.run(config.dir()), accounts);
        engine.maybeSnapshot(); // a journal recovered past the threshold is compacted without waiting for a write
        return engine;
    }

    /** Where a client maps the view, and the generation it must find there. */
    public record ViewInfo(Path file, long generation) {}

    /** The view clients may map, or null when there is none (not configured, never mode, or failed). */
    public ViewInfo view() {
        View.Info i = view == null ? null : view.info();
        return i == null ? null : new ViewInfo(i.file(), i.generation());
    }

    /**
     * The view's counters: keys in it, puts applied, keys withdrawn because key and value exceed a
     * slot or no slot was free within reach, records applied under their key's stripe lock because
     * the index did not show them yet, and whether it failed (and was retired).
     */
    public record ViewStats(
            long entries,
            long published,
            long withdrawnTooLarge,
            long withdrawnNoRoom,
            long lockedApplies,
            boolean failed) {}

    /** The view's counters, or null when there is no view. */
    public ViewStats viewStats() {
        return view == null ? null : view.stats();
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
        Entry e = index.get(k);
        if (unsafeStaleReads && java.util.concurrent.ThreadLocalRandom.current().nextInt(3) == 0) {
            Entry stale = overwritten.get(k);
            if (stale != null) {
                return new Lookup(stale, stale.version());
            }
        }
        return e != null ? new Lookup(e, e.version()) : new Lookup(null, lastDeleteVersion.get());
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

    private static int putFlags(long sequence, Entry old) {
        return FLAG_OWNED | (sequence == 0 ? 0 : FLAG_SEQUENCED | (old == null ? FLAG_CREATED : 0));
    }

    /** SET as root: creates or replaces. Takes ownership of {@code key} and {@code value}. */
    public Write set(byte[] key, byte[] value) throws JournalFailedException {
        return asRoot(() -> doPut(Caller.ROOT, ROOT_CREATED, key, ANY_VERSION, value, 0, 0));
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
        return once(
                caller, clientId, sequence, () -> doPut(caller, created, key, ANY_VERSION, value, clientId, sequence));
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
                    .put((byte) outcome.ordinal())
                    .putLong(version)
                    .array();
            journal.append(TYPE_OUTCOME, FLAG_SEQUENCED, clientId, sequence, key, record, null);
            sessions.complete(clientId, sequence, w);
        }
        return w;
    }

    /** Under the key's stripe lock: makes {@code now} the key's entry. */
    private void publish(Key k, Entry old, Entry now) {
        index.put(k, now);
        liveBytes.add(now.value().length - (old != null ? old.value().length : -k.bytes.length));
        if (unsafeStaleReads && old != null) {
            overwritten.put(k, old);
        }
    }

    /**
     * CAS as root: applies {@code value} only if the key's version is {@code expectedVersion} (0: only
     * if the key is absent). Takes ownership of {@code key} and {@code value}.
     */
    public Write compareAndSet(byte[] key, long expectedVersion, byte[] value) throws JournalFailedException {
        return asRoot(() -> doPut(Caller.ROOT, ROOT_CREATED, key, expectedVersion, value, 0, 0));
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
        return once(
                caller,
                clientId,
                sequence,
                () -> doPut(caller, created, key, expectedVersion, value, clientId, sequence));
    }

    /** {@code expectedVersion} for a put that applies whatever the key's version: SET. */
    private static final long ANY_VERSION = -1;

    /**
     * SET ({@code expectedVersion} {@link #ANY_VERSION}) and CAS. A sequenced change records its
     * outcome in the session table before the stripe lock is released, so the snapshot barrier,
     * which passes every stripe lock, never finds a change published but its outcome unrecorded.
     * Usage is charged before the record is queued and given back if queuing fails.
     */
    private Write doPut(
            Caller caller, Owner created, byte[] key, long expectedVersion, byte[] value, long clientId, long sequence)
            throws JournalFailedException, RefusedException {
        Key k = new Key(key);
        ReentrantLock lock = stripe(k);
        Write w;
        lock.lock();
        try {
            Entry old = index.get(k);
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
            long bytes = old != null ? value.length - old.value().length : key.length + value.length;
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
                v = journal.append(TYPE_PUT, putFlags(sequence, old), clientId, sequence, key, value, owner);
            } catch (JournalFailedException | RuntimeException e) {
                accounts.release(owner, keys, bytes);
                throw e;
            }
            publish(k, old, new Entry(value, v, owner));
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
            Entry old = index.get(k);
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
                    TYPE_DELETE, sequence == 0 ? 0 : FLAG_SEQUENCED, clientId, sequence, key, removedVersion, null);
            lastDeleteVersion.accumulateAndGet(v, Math::max);
            index.remove(k);
            liveBytes.add(-(key.length + old.value().length));
            accounts.release(old.owner(), 1, key.length + old.value().length);
            if (unsafeStaleReads) {
                overwritten.put(k, old);
            }
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

    /** What CHMOD or CHOWN does to one key's owner, or why it may not. */
    private interface OwnerChange {
        /** The new owner, or null when the caller may not change this key (counted as skipped). */
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
                Entry e = index.get(k);
                throw denied(caller, what, keyOrPrefix, e != null ? e.owner() : Owner.LEGACY);
            }
            return new Changed(true, 1, 0, r[1]);
        }
        long changed = 0;
        long skipped = 0;
        long visible = lastDeleteVersion.get();
        Iterator<Map.Entry<Key, Entry>> it = index.from(new Key(keyOrPrefix), true);
        while (it.hasNext()) {
            Key k = it.next().getKey();
            if (!k.startsWith(keyOrPrefix)) {
                break;
            }
            long[] r = changeOwner(k, f, movesUsage, !caller.isRoot());
            if (r == null) {
                continue; // deleted meanwhile
            }
            if (r[0] == 0) {
                Entry e = index.get(k);
                if (e != null && caller.mayRead(e.owner())) {
                    skipped++; // a key the caller may not read stays as hidden as it is from SCAN
                }
            } else {
                changed++;
                visible = Math.max(visible, r[1]);
            }
        }
        return new Changed(true, changed, skipped, visible);
    }

    /** Under the key's stripe lock; null if absent, {0, 0} if not permitted, else {1, version of the record}. */
    private long[] changeOwner(Key k, OwnerChange f, boolean movesUsage, boolean enforce)
            throws JournalFailedException, QuotaExceededException {
        ReentrantLock lock = stripe(k);
        long v;
        lock.lock();
        try {
            Entry old = index.get(k);
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
            long bytes = k.bytes.length + old.value().length;
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
            index.put(k, new Entry(old.value(), old.version(), now));
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
        Key prefixKey = new Key(prefix);
        Iterator<Map.Entry<Key, Entry>> it;
        if (cursor.length > 0 && Arrays.compareUnsigned(cursor, prefix) >= 0) {
            it = index.from(new Key(cursor), false);
        } else {
            it = index.from(prefixKey, true);
        }
        List<ScannedKey> keys = new ArrayList<>(Math.min(limit, 128));
        long visible = lastDeleteVersion.get();
        int bytes = 0;
        boolean more = false;
        while (it.hasNext()) {
            Map.Entry<Key, Entry> e = it.next();
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            Entry entry = e.getValue();
            if (!caller.mayRead(entry.owner())) {
                continue;
            }
            if (keys.size() == limit || bytes >= maxBytes) {
                more = true;
                break;
            }
            keys.add(new ScannedKey(e.getKey().bytes, entry.version(), entry.value().length, entry.owner()));
            visible = Math.max(visible, entry.version());
            bytes += bytesPerKey + e.getKey().bytes.length;
        }
        byte[] next = more ? keys.getLast().key() : EMPTY;
        return new ScanPage(keys, next, visible);
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
            } catch (java.util.concurrent.RejectedExecutionException e) {
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
            Iterator<Map.Entry<Key, Entry>> it = index.all();
            while (it.hasNext()) {
                if (closed) {
                    throw new IOException("engine closing; snapshot abandoned");
                }
                Map.Entry<Key, Entry> e = it.next();
                w.write(
                        TYPE_PUT,
                        e.getKey().bytes,
                        e.getValue().value(),
                        e.getValue().version(),
                        e.getValue().owner());
                count++;
            }
            entries = count;
            for (byte[][] session : sessions.encodeAll()) {
                w.write(TYPE_SESSION, session[0], session[1], 0);
                count++;
            }
            w.write(
                    TYPE_SNAPSHOT_END,
                    EMPTY,
                    ByteBuffer.allocate(8).putLong(count).array(),
                    0);
            w.flush();
            c.force(true);
            // The walk may have seen changes after the boundary whose records are still queued. Make them
            // durable in the new segment before the snapshot becomes authoritative, so the snapshot never
            // holds an entry, or a session outcome, that recovery's journal does not.
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
                        + lastSnapshotMs + " ms");
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
            int sessions) {}

    public Stats stats() {
        return new Stats(
                index.size(),
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
                sessions.size());
    }

    /**
     * Stops background work, writes and fsyncs every queued record, and closes the files. Callers must
     * have stopped issuing operations.
     */
    @Override
    public void close() throws IOException {
        closed = true;
        background.shutdown();
        try {
            if (!background.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "background snapshot did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            journal.close();
        } finally {
            if (view != null) {
                view.close(); // after the last record was applied: retire it, so readers go back to the socket
            }
        }
    }
}
