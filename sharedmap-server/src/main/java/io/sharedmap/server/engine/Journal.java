package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import io.sharedmap.os.files.FileModes;
import io.sharedmap.server.Durability;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.store.MappedStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The append-only journal: assigns versions, queues records, and appends them to the active segment
 * in batches (group commit).
 *
 * <p>Design: a writer calls {@link #append} (assigns the next version and queues the record, no
 * I/O), then, before acknowledging, {@link #awaitDurable}. A waiting thread whose record is not yet
 * durable either becomes the <em>leader</em>, takes every queued record, copies them into the
 * segment's shared memory mapping ({@link SegmentAppender}: no system call; a record that does not
 * fit the preallocated room takes one positional {@code write}) and, in {@code always} mode, fsyncs
 * once; or, if another thread is already leading, parks until a leader wakes it. So concurrent
 * writers share fsyncs, and a lone writer pays no thread hand-off. This is LevelDB's writer queue,
 * with waiters parked on their own threads as in PostgreSQL's and MySQL's group commit.
 *
 * <p>Concurrency:
 *
 * <ul>
 *   <li>{@code appendLock} guards {@code lastVersion} and {@code pending}; held only to take a
 *       version and add or swap the queue, never across I/O.
 *   <li>Leadership ({@code leader}, taken by compare-and-set) is the exclusive right to the active
 *       segment's appender: its mapping and logical end. It is held across the segment's I/O; no
 *       thread waits for it except to learn that its own record was written, which it must wait
 *       for anyway. Readers of the index never touch it.
 *   <li>Waiters take no lock: each adds itself to {@code waiters}, checks again, and parks. A leader
 *       publishes {@code writtenVersion}/{@code syncedVersion}, then unparks exactly the waiters its
 *       batch made durable (all of them if the journal failed) and hands leadership directly to the
 *       first of the rest (flag in its waiter, then unpark), so no newcomer overtakes it. With no one
 *       to hand it to, it clears {@code leader} and scans once more: a waiter enqueues before it
 *       reads {@code leader} and a leader clears {@code leader} before it reads {@code waiters} (all
 *       volatile), so either the waiter sees leadership free or the leader sees the waiter: no
 *       wake-up is lost. A woken waiter reacquires nothing; it checks the volatile positions and
 *       returns.
 *   <li>Lock order: engine stripe lock, then {@code appendLock}. The appender's {@code extendLock} is
 *       a leaf, taken by the leader and the preallocator thread only (docs/ARCHITECTURE.md, "Lock
 *       order", places them among the daemon's other locks).
 *   <li>{@code writtenVersion} and {@code syncedVersion} only grow. Records reach the segment in
 *       version order, so "every version up to V is written" is one number.
 * </ul>
 *
 * <p>The preallocator thread (one per journal) keeps zero-filled, mapped room ahead of the active
 * segment's logical end, so the leader's copies never wait for the disk; the leader wakes it (one
 * unpark) when the room runs short.
 */
final class Journal implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Journal.class.getName());

    /** A queued record; as a change of the store, what it does there. */
    record Pending(
            int type,
            int flags,
            long clientId,
            long sequence,
            byte[] key,
            byte[] value,
            long version,
            @Nullable Owner owner,
            long deadline)
            implements MappedStore.Change {
        /** A record without a deadline. */
        Pending(
                int type,
                int flags,
                long clientId,
                long sequence,
                byte[] key,
                byte[] value,
                long version,
                @Nullable Owner owner) {
            this(type, flags, clientId, sequence, key, value, version, owner, 0);
        }

        @Override
        public int changeKind() {
            return switch (type) {
                case TYPE_PUT -> PUT;
                case TYPE_DELETE -> DELETE;
                case TYPE_META -> OWNER;
                case TYPE_DEADLINE -> DEADLINE;
                default -> NONE;
            };
        }
    }

    /**
     * What the journal's leader tells of every record once it is durable as the mode promises, in
     * version order, before any waiter for it is released: the engine applies it to the store.
     */
    interface Applier {
        /**
         * Applies {@code batch}; the last record of it lies in segment {@code segment} from {@code
         * lastStart} to {@code lastEnd}.
         *
         * @throws IOException if the store cannot take it: the journal then fails
         */
        void apply(List<Pending> batch, long segment, long lastStart, long lastEnd) throws IOException;

        /** The journal failed: records from here on may never be applied. */
        void journalFailed(Throwable cause);
    }

    /**
     * The result of a rotation: records with versions above {@code boundaryVersion} go to {@code
     * segment}. {@code heldNanos}: how long the rotation held the leadership, so how long a writer
     * could wait for it.
     */
    record Rotation(long segment, long boundaryVersion, long heldNanos) {}

    private final Path dir;
    private final Durability durability;
    private final Faults faults;

    private final ReentrantLock appendLock = new ReentrantLock();
    // @GuardedBy("appendLock")
    private long lastVersion;
    // @GuardedBy("appendLock")
    private ArrayList<Pending> pending = new ArrayList<>();
    // @GuardedBy("appendLock")
    private long pendingBytes;
    // @GuardedBy("appendLock")
    private boolean closed;

    private final AtomicBoolean leader = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();

    private volatile long writtenVersion;
    private final AtomicLong syncedVersion = new AtomicLong();
    private volatile @Nullable IOException failure;

    // Replaced by the leader only (rotate); read by the background fsync and the preallocator.
    private volatile SegmentAppender appender;
    private volatile long segment;
    private final Thread preallocator;
    private final AtomicBoolean preallocatorWanted = new AtomicBoolean();
    private volatile boolean preallocatorStopped;

    /** A callback waiting for a version to be durable ({@link #whenDurable}). */
    private record DurableListener(long version, Runnable onDurable) {}

    private final ConcurrentLinkedQueue<DurableListener> listeners = new ConcurrentLinkedQueue<>();
    /** Leads commits for {@link #whenDurable}'s callers; started on first use, ends at close. */
    private final Thread syncer;

    private final AtomicBoolean syncerStarted = new AtomicBoolean();
    private volatile boolean syncerStopped;
    /** Records in the last batch a leader wrote; the syncer's gathering target. */
    private volatile int lastBatchRecords;
    /** Records queued now (written under {@code appendLock}, read by the syncer without it). */
    private volatile int pendingRecords;

    /**
     * How long the syncer, woken by the first change after an idle moment, waits for the rest of a
     * batch as large as the last one before it starts the fsync. Writers answered by the last fsync
     * send their next changes within a round trip (tens of microseconds); without this wait the
     * first of them gets an fsync of its own and the others wait for the next one.
     */
    static final long GATHER_NS = 100_000;

    private volatile long segmentBytes;
    /** Where the records written so far end: set by the leader after each batch and at rotation. */
    private volatile SessionsFile.Position writePosition;

    // The store's applier: told of every record once it is durable, before the waiters are released.
    // Set once before the first append; called by the leader only.
    @SuppressWarnings("NullAway.Init") // set by setApplier before the first append
    private volatile Applier applier;
    // Leader only: in always mode, records written but not yet fsynced, so not yet applied.
    private final ArrayList<Pending> unsynced = new ArrayList<>();
    // Leader only: where the last record written lies (segment, start, end), for the store's checkpoint.
    private long lastRecordStart;
    private long lastRecordEnd;
    // UNSAFE, for testing the torture's checks only (EngineHooks.applyAfterRelease): release the
    // waiters of a batch first and apply it LATE_APPLY_DELAY_NS later, so direct readers miss
    // acknowledged writes for a while.
    private final EngineHooks hooks;
    private static final long LATE_APPLY_DELAY_NS = 2_000_000;
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong fsyncs = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();

    /**
     * Continues an open segment.
     *
     * @param channel the segment, readable and writable, positioned at the end of its last valid
     *     record; anything after that position is cut off
     * @param lastVersion the highest version that exists in the store
     */
    Journal(
            Path dir,
            Durability durability,
            Faults faults,
            EngineHooks hooks,
            FileChannel channel,
            long segment,
            long lastVersion)
            throws IOException {
        this.hooks = hooks;
        this.dir = dir;
        this.durability = durability;
        this.faults = faults;
        this.segment = segment;
        this.segmentBytes = channel.position();
        this.writePosition = new SessionsFile.Position(segment, channel.position());
        this.appender = openAppender(channel, segment);
        this.lastVersion = lastVersion;
        this.writtenVersion = lastVersion;
        this.syncedVersion.set(lastVersion);
        this.preallocator = Thread.ofPlatform()
                .daemon()
                .name("sharedmap-journal-preallocator")
                .unstarted(this::preallocateLoop);
        this.preallocator.start();
        this.syncer =
                Thread.ofPlatform().daemon().name("sharedmap-journal-syncer").unstarted(this::syncLoop);
    }

    /** An appender for a segment, with its first extent made here, so the first records need no write. */
    private SegmentAppender openAppender(FileChannel channel, long number) throws IOException {
        SegmentAppender a = new SegmentAppender(channel, channel.position(), segmentName(number), faults);
        a.preallocateFirst();
        return a;
    }

    /** The preallocator thread: zero-fills and maps room ahead of the active segment when woken. */
    private void preallocateLoop() {
        while (!preallocatorStopped) {
            if (!preallocatorWanted.getAndSet(false)) {
                LockSupport.park(this);
                continue;
            }
            appender.preallocateAhead();
        }
    }

    /** Applies every later durable record through {@code a} before acknowledging it. Call before the first append. */
    void attachApplier(Applier a) {
        this.applier = a;
    }

    private void wakePreallocator() {
        if (!preallocatorWanted.get() && preallocatorWanted.compareAndSet(false, true)) {
            LockSupport.unpark(preallocator);
        }
    }

    /** Creates segment {@code number} with its header, atomically (temp file, fsync, rename, fsync dir). */
    static FileChannel createSegment(Path dir, long number, long baseVersion) throws IOException {
        Path target = dir.resolve(segmentName(number));
        Path tmp = dir.resolve(segmentName(number) + TEMP_SUFFIX);
        try (FileChannel c = FileModes.openPrivate(tmp)) {
            ByteBuffer h = ByteBuffer.wrap(new RecordCodec().fileHeader(SEGMENT_MAGIC, number, baseVersion));
            while (h.hasRemaining()) {
                c.write(h);
            }
            c.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(dir);
        FileChannel c = FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.READ);
        c.position(c.size());
        return c;
    }

    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /**
     * Assigns the next version to a record and queues it. No I/O. The caller must hold the key's
     * stripe lock, so that records of one key are queued in version order.
     *
     * @throws JournalFailedException if an earlier write or sync failed, or the journal is closed
     */
    long append(int type, byte[] key, byte[] value) throws JournalFailedException {
        return append(type, 0, 0, 0, key, value, null);
    }

    /**
     * As {@link #append(int, byte[], byte[])}, for a record that may carry a client's sequence number
     * ({@code FLAG_SEQUENCED}) and owner fields ({@code FLAG_OWNED}, {@code owner} not null).
     */
    long append(int type, int flags, long clientId, long sequence, byte[] key, byte[] value, @Nullable Owner owner)
            throws JournalFailedException {
        return append(type, flags, clientId, sequence, key, value, owner, 0);
    }

    /** As above, with a deadline field when {@code flags} has {@code FLAG_DEADLINE}. */
    long append(
            int type,
            int flags,
            long clientId,
            long sequence,
            byte[] key,
            byte[] value,
            @Nullable Owner owner,
            long deadline)
            throws JournalFailedException {
        appendLock.lock();
        try {
            checkUsable();
            long v = ++lastVersion;
            pending.add(new Pending(type, flags, clientId, sequence, key, value, v, owner, deadline));
            pendingRecords = pending.size();
            pendingBytes += RecordCodec.recordLength(flags, key.length, value.length);
            return v;
        } finally {
            appendLock.unlock();
        }
    }

    private void checkUsable() throws JournalFailedException {
        IOException f = failure;
        if (f != null) {
            throw new JournalFailedException("journal failed earlier, changes are refused: " + f, f);
        }
        if (closed) {
            throw new JournalFailedException("journal is closed", null);
        }
    }

    /** Bytes queued and not yet written. */
    long pendingBytes() {
        appendLock.lock();
        try {
            return pendingBytes;
        } finally {
            appendLock.unlock();
        }
    }

    /** The highest version assigned so far. */
    long lastVersion() {
        appendLock.lock();
        try {
            return lastVersion;
        } finally {
            appendLock.unlock();
        }
    }

    long writtenVersion() {
        return writtenVersion;
    }

    long syncedVersion() {
        return syncedVersion.get();
    }

    /**
     * Returns once every record up to {@code version} is durable as the mode promises: fsynced in
     * {@code always}, written to the OS in {@code interval}; at once in {@code never}.
     */
    void awaitDurable(long version) throws JournalFailedException {
        switch (durability) {
            case ALWAYS -> await(version, true);
            case INTERVAL -> await(version, false);
            case NEVER -> {}
        }
    }

    /**
     * Calls {@code onDurable} once every record up to {@code version} is durable as the mode promises,
     * or the journal has failed or closed (the callback then finds {@link #failed()} or its version not
     * durable): at once on this thread if that is already so, else on the syncer thread, so it must
     * only post work. Never blocks: the daemon's I/O threads call it in {@code always} mode instead of
     * {@link #awaitDurable}, and go on reading requests while the syncer leads the commit (its fsync
     * then covers everything appended before it starts, whichever thread appended it).
     */
    void whenDurable(long version, Runnable onDurable) {
        if (durability == Durability.NEVER || failure != null || reached(version, durability == Durability.ALWAYS)) {
            onDurable.run();
            return;
        }
        listeners.add(new DurableListener(version, onDurable));
        if (!syncerStarted.get() && syncerStarted.compareAndSet(false, true)) {
            syncer.start();
        }
        LockSupport.unpark(syncer);
    }

    /** The syncer: while callbacks wait, leads commits of everything appended so far, then runs the callbacks it satisfied. */
    private void syncLoop() {
        boolean idle = true;
        while (!syncerStopped) {
            if (listeners.isEmpty()) {
                LockSupport.park(this);
                idle = true;
                continue;
            }
            int target = lastBatchRecords;
            if (idle && target > 1) { // writers were concurrent: let the rest of them catch up, briefly
                long start = System.nanoTime();
                while (pendingRecords < target && System.nanoTime() - start < GATHER_NS && !syncerStopped) {
                    Thread.yield();
                }
            }
            idle = false;
            try {
                awaitDurable(lastVersion());
            } catch (JournalFailedException e) {
                // the callbacks below find the failure themselves
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "the journal's syncer failed a commit", e);
            }
            runListeners(false);
        }
        runListeners(true);
    }

    private void runListeners(boolean all) {
        boolean sync = durability == Durability.ALWAYS;
        boolean failed = failure != null;
        for (DurableListener l : listeners) {
            if ((all || failed || reached(l.version(), sync)) && listeners.remove(l)) {
                try {
                    l.onDurable().run();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "a durability callback failed", e);
                }
            }
        }
    }

    private void stopSyncer() {
        syncerStopped = true;
        LockSupport.unpark(syncer);
        if (syncerStarted.get() && Thread.currentThread() != syncer) {
            try {
                syncer.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Writes every queued record; with {@code sync}, fsyncs too. Used by the background flusher and stop. */
    void flush(boolean sync) throws JournalFailedException {
        await(lastVersion(), sync);
    }

    private boolean reached(long version, boolean sync) {
        return (sync ? syncedVersion.get() : writtenVersion) >= version;
    }

    private void await(long version, boolean sync) throws JournalFailedException {
        while (!reached(version, sync)) {
            if (!acquireLeadership(version, sync, false)) {
                continue;
            }
            try {
                lead(sync);
            } finally {
                releaseLeadership();
            }
        }
    }

    /** A thread waiting for its record to be durable, or for the leadership. */
    private static final class Waiter {
        final Thread thread = Thread.currentThread();
        final long version; // Long.MIN_VALUE: waits for the leadership itself (rotate, close)
        final boolean sync;
        /** {@link #WAITING}, then {@link #HANDED} (by a releasing leader) or {@link #GONE} (by this waiter, leaving). */
        final AtomicInteger state = new AtomicInteger();

        static final int WAITING = 0;
        static final int HANDED = 1;
        static final int GONE = 2;

        Waiter(long version, boolean sync) {
            this.version = version;
            this.sync = sync;
        }
    }

    /** True if this thread became leader; false if the target was reached meanwhile. */
    private boolean acquireLeadership(long version, boolean sync, boolean evenIfFailed) throws JournalFailedException {
        Waiter me = null;
        boolean leading = false;
        try {
            while (true) {
                if (me != null && me.state.get() == Waiter.HANDED) {
                    IOException f = failure;
                    if (f != null
                            && !evenIfFailed) { // failed meanwhile (the background fsync): the finally passes it on
                        throw failed(f);
                    }
                    leading = true;
                    return true;
                }
                if (version != Long.MIN_VALUE && reached(version, sync)) {
                    return false;
                }
                IOException f = failure;
                if (f != null && !evenIfFailed) {
                    throw failed(f);
                }
                if (!leader.get() && leader.compareAndSet(false, true)) {
                    leading = true;
                    return true;
                }
                if (me == null) {
                    me = new Waiter(version, sync);
                    waiters.add(me);
                    continue; // check again now that a releasing leader is bound to see this waiter
                }
                LockSupport.park(this); // returns on unpark, or spuriously: the loop checks again
            }
        } finally {
            if (me != null) {
                waiters.remove(me);
                if (!leading && !me.state.compareAndSet(Waiter.WAITING, Waiter.GONE)) {
                    releaseLeadership(); // handed to us as we were leaving (failure): never strand it
                }
            }
        }
    }

    /**
     * Gives up leadership and wakes exactly the waiters that can proceed: those whose records are
     * now durable (or all, if the journal failed), and the first of the rest, to which leadership
     * passes directly (so a newcomer cannot take it first and send the woken thread back to sleep).
     * Waking every waiter on every commit would cost each of them a futex round trip only to sleep
     * again. A waiter woken twice just finds its permit and checks again.
     */
    private void releaseLeadership() {
        boolean failed = failure != null;
        Waiter next = null;
        for (Waiter w : waiters) {
            if (failed || (w.version != Long.MIN_VALUE && reached(w.version, w.sync))) {
                LockSupport.unpark(w.thread);
            } else if (next == null && w.state.compareAndSet(Waiter.WAITING, Waiter.HANDED)) {
                next = w; // leader stays set: it now belongs to next (a waiter already leaving is skipped)
            }
        }
        if (next != null) {
            LockSupport.unpark(next.thread);
            return;
        }
        leader.set(false);
        // A waiter that enqueued after the scan above may have seen leader still set and parked. It
        // enqueued before this scan reads the queue (or it sees leader clear itself): wake one.
        for (Waiter w : waiters) {
            if (failed || w.version == Long.MIN_VALUE || !reached(w.version, w.sync)) {
                LockSupport.unpark(w.thread);
                if (!failed) {
                    break;
                }
            }
        }
    }

    /**
     * Leader only: appends the queued batch, then fsyncs if asked. Once the batch is taken off the
     * queue, any failure at all (an I/O error, or an Error such as running out of memory) fails the
     * journal for good: its records may be half written, so no later batch may be acknowledged after
     * them.
     */
    private void lead(boolean sync) throws JournalFailedException {
        // Take the queue whole, or nothing: never keep a reference to the list appenders still add to
        // (an empty queue taken by reference would let a record appended meanwhile be written here and
        // again by the next leader).
        List<Pending> batch;
        appendLock.lock();
        try {
            if (pending.isEmpty()) {
                batch = List.of();
            } else {
                batch = pending;
                pending = new ArrayList<>(Math.max(16, batch.size()));
                pendingBytes = 0;
                pendingRecords = 0;
                lastBatchRecords = batch.size();
            }
        } finally {
            appendLock.unlock();
        }
        try {
            Applier v = applier;
            boolean late = v != null && hooks.applyAfterRelease();
            if (!batch.isEmpty()) {
                writeBatch(batch);
                if (v != null) {
                    if (durability == Durability.ALWAYS || late) {
                        unsynced.addAll(batch); // applied after the fsync below (or a later leader's), or late
                    } else {
                        v.apply(
                                batch,
                                segment,
                                lastRecordStart,
                                lastRecordEnd); // written is durable: applied before any waiter sees it
                    }
                }
                writtenVersion = batch.getLast().version();
                commits.incrementAndGet();
                if (late && durability != Durability.ALWAYS) {
                    applyLate(v);
                }
            }
            if (sync && syncedVersion.get() < writtenVersion) {
                long w = writtenVersion;
                faults.beforeFsync();
                appender.channel().force(false);
                fsyncs.incrementAndGet();
                if (late && !unsynced.isEmpty()) {
                    syncedVersion.accumulateAndGet(w, Math::max);
                    applyLate(v);
                }
                if (v != null && !unsynced.isEmpty()) {
                    // always: only this leader's fsync advances syncedVersion (the background fsync runs in
                    // interval mode only), so every record up to w is applied before any waiter for it wakes
                    v.apply(unsynced, segment, lastRecordStart, lastRecordEnd);
                    unsynced.clear();
                }
                syncedVersion.accumulateAndGet(w, Math::max);
            }
        } catch (IOException | RuntimeException | Error e) {
            IOException cause = e instanceof IOException io ? io : new IOException(e.toString(), e);
            fail(cause);
            LOG.log(
                    System.Logger.Level.ERROR,
                    e instanceof StoreApplyException
                            ? "refusing further changes: " + e.getMessage()
                            : "journal segment " + segmentName(segment) + " failed; refusing further changes: " + e);
            throw failed(cause);
        }
    }

    /** What a change is told once the journal failed with {@code cause}. */
    private static JournalFailedException failed(IOException cause) {
        return cause instanceof StoreApplyException
                ? new JournalFailedException(cause.getMessage(), cause)
                : new JournalFailedException("journal write failed, change not persisted: " + cause, cause);
    }

    /**
     * Fails the journal for good, and tells the applier: the store may never see the records queued
     * or written but not applied, so clients must stop reading it directly and ask the daemon, which
     * answers from its pending changes.
     */
    private void fail(IOException cause) {
        failure = cause;
        Applier v = applier;
        if (v != null) {
            v.journalFailed(cause);
        }
    }

    /**
     * UNSAFE, test mode only ({@link EngineHooks#applyAfterRelease}): wakes the waiters whose records
     * are now durable (they acknowledge at once), waits {@link #LATE_APPLY_DELAY_NS}, then applies the
     * records. Still the leader, so still the store's only writer; but direct readers miss
     * acknowledged writes meanwhile, which breaks the store's promise on purpose.
     */
    private void applyLate(Applier v) throws IOException {
        for (Waiter w : waiters) {
            if (w.version != Long.MIN_VALUE && reached(w.version, w.sync)) {
                LockSupport.unpark(w.thread);
            }
        }
        LockSupport.parkNanos(LATE_APPLY_DELAY_NS); // the deliberate delay of this broken mode
        v.apply(unsynced, segment, lastRecordStart, lastRecordEnd);
        unsynced.clear();
    }

    private void writeBatch(List<Pending> batch) throws IOException {
        SegmentAppender a = appender;
        long before = a.position();
        for (Pending p : batch) {
            lastRecordStart = a.position();
            a.append(
                    p.type(),
                    p.flags(),
                    p.clientId(),
                    p.sequence(),
                    p.key(),
                    p.value(),
                    p.version(),
                    p.owner(),
                    p.deadline());
        }
        lastRecordEnd = a.position();
        writePosition = new SessionsFile.Position(segment, lastRecordEnd);
        long written = a.position() - before;
        segmentBytes += written;
        bytesWritten.addAndGet(written);
        if (a.publish()) {
            wakePreallocator();
        }
    }

    /**
     * Background fsync for {@code interval} mode: syncs whatever was written, without taking
     * leadership, so writers never wait for it. A concurrent rotation syncs and closes the old segment
     * itself, so a closed channel here means there is nothing left to sync in it.
     */
    void syncWritten() {
        long w = writtenVersion;
        if (syncedVersion.get() >= w) {
            return;
        }
        if (forceWritten()) { // not once the journal has failed
            syncedVersion.accumulateAndGet(w, Math::max);
        }
    }

    /**
     * Fsyncs the active segment without taking leadership; true if it did. Advances nothing: {@link
     * #syncWritten} does that in {@code interval} mode, and a rotation calls this only so that the
     * fsync it then makes as leader, while every writer waits, finds little left to write back. A
     * failure fails the journal (after a failed fsync the kernel may have dropped dirty pages, so
     * no later fsync can prove them durable).
     */
    private boolean forceWritten() {
        if (failure != null) {
            return false; // failed already: keep the first cause
        }
        FileChannel c = appender.channel();
        try {
            faults.beforeFsync();
            c.force(false);
            fsyncs.incrementAndGet();
            return true;
        } catch (ClosedChannelException e) {
            // rotated or closed: the rotation or close synced it
        } catch (IOException e) {
            fail(e);
            LOG.log(System.Logger.Level.ERROR, "journal fsync failed; refusing further changes: " + e);
        }
        return false;
    }

    /**
     * Seals the active segment (writes and fsyncs everything queued) and starts the next one. Every
     * version up to the returned boundary is in a sealed segment; every later one goes to the new
     * segment. Returns once the old segment is also cut to its logical end and closed (its data was
     * fsynced before the new segment took any record; a failure to cut it only leaves a zero tail,
     * which recovery reads as the clean end, so it is logged, not fatal).
     */
    Rotation rotate() throws IOException {
        if (durability != Durability.ALWAYS) {
            // Write back what is written so far while writers go on: the fsync below, made as leader
            // while every writer waits, then has only the last moment's records left (up to the
            // fsync interval's worth otherwise: tens of milliseconds under load).
            forceWritten();
        }
        acquireLeadership(Long.MIN_VALUE, true, false);
        long heldFrom = System.nanoTime();
        SegmentAppender old;
        Rotation rotation;
        try {
            lead(true); // every version assigned so far is now written and synced in the old segment
            long boundary = writtenVersion;
            try {
                long next = segment + 1;
                FileChannel fresh = createSegment(dir, next, boundary);
                old = appender;
                appender = openAppender(fresh, next);
                segment = next;
                segmentBytes = FILE_HEADER_LENGTH;
                writePosition = new SessionsFile.Position(next, FILE_HEADER_LENGTH);
                rotation = new Rotation(next, boundary, System.nanoTime() - heldFrom);
            } catch (IOException | RuntimeException | Error e) {
                fail(e instanceof IOException io ? io : new IOException(e.toString(), e));
                LOG.log(System.Logger.Level.ERROR, "journal rotation failed; refusing further changes: " + e);
                throw failure;
            }
        } finally {
            releaseLeadership();
        }
        wakePreallocator();
        try {
            old.seal(true);
        } catch (IOException | RuntimeException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "sealed journal segment " + segmentName(rotation.segment() - 1)
                            + " could not be cut to its length (" + e + "); its zero tail is harmless");
        }
        return rotation;
    }

    long segment() {
        return segment;
    }

    /** Where the records written so far end: every record before it is in the segment file. */
    SessionsFile.Position writePosition() {
        return writePosition;
    }

    /** Bytes in the active segment. */
    long segmentBytes() {
        return segmentBytes;
    }

    long commits() {
        return commits.get();
    }

    long fsyncs() {
        return fsyncs.get();
    }

    long bytesWritten() {
        return bytesWritten.get();
    }

    boolean failed() {
        return failure != null;
    }

    /** Whether a thread leads a commit right now (a snapshot: for choosing to wait or to hand over). */
    boolean committing() {
        return leader.get();
    }

    /** What a change is told once the journal has failed or closed; null while it works. */
    @Nullable
    JournalFailedException failedException() {
        IOException f = failure;
        if (f != null) {
            return failed(f);
        }
        appendLock.lock();
        try {
            return closed ? new JournalFailedException("journal is closed", null) : null;
        } finally {
            appendLock.unlock();
        }
    }

    /** The active segment's appender (for tests). */
    SegmentAppender appender() {
        return appender;
    }

    /**
     * Stops as a killed process would: what is queued is never written, the segment is closed as it
     * is (preallocated zeros and all). For crash tests.
     */
    void halt() throws IOException {
        appendLock.lock();
        try {
            closed = true;
        } finally {
            appendLock.unlock();
        }
        preallocatorStopped = true;
        LockSupport.unpark(preallocator);
        appender.channel().close();
        stopSyncer();
    }

    /** Writes and fsyncs everything queued, then closes the segment. Later appends fail. */
    @Override
    public void close() throws IOException {
        IOException error = null;
        try {
            if (failure == null) {
                flush(true);
            }
        } catch (IOException e) {
            error = e;
        }
        acquireLeadership(Long.MIN_VALUE, true, true);
        try {
            appendLock.lock();
            try {
                closed = true;
            } finally {
                appendLock.unlock();
            }
            preallocatorStopped = true;
            LockSupport.unpark(preallocator);
            SegmentAppender a = appender;
            try {
                a.seal(failure == null);
            } catch (IOException e) {
                if (error == null) {
                    error = e;
                }
            }
        } finally {
            releaseLeadership();
        }
        stopSyncer(); // after the seal: its last callbacks find everything durable, or the journal closed
        if (error != null) {
            throw error;
        }
    }
}
