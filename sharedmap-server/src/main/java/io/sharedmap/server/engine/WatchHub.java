package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The engine's side of watches: every change, once durable and applied to the store, in version
 * order, to the subscriptions whose key or prefix it matches and whose caller may read the key
 * (by the owner the change leaves it with, or, for a delete, the owner of what it removed).
 *
 * <p>History: while anyone watches (or is catching up to the live stream), the most recent changes
 * are kept in memory (a ring of at most {@link #RING_EVENTS} events and {@link #RING_BYTES} bytes of
 * keys and values); older ones are read back from the journal's segments on disk ({@link
 * Subscription#replay}, on the subscriber's thread, holding no lock). The ring is always the
 * history's most recent stretch without a gap: it is emptied when the last watch ends, and fills
 * again from the next change on once one starts. Keeping it with nobody watching would keep every
 * write's key and value alive through several young collections (measured: 15-25 ms pauses every
 * half second at 94,000 SETs/s, with old-generation growth from the promoted events). Once the
 * segments holding a version have been pruned (a snapshot covers them), a watch from that version
 * is refused with {@link HistoryCompactedException}, naming the current version.
 *
 * <p>Concurrency: {@link #publish} is called by the journal's leader after it applied a durable
 * batch to the store (the hook in {@code Engine.Applier}); it takes {@link #lock} (a leaf: the ring
 * and the subscriber list) and never blocks otherwise: each subscription's queue is a bounded
 * non-blocking queue, and a subscription whose queue is full is ended ("fell behind, resume from
 * version V") rather than waited for. It then calls each woken subscription's ready callback, which
 * must not block (the server's pump unparks its thread). No I/O happens under the lock.
 */
public final class WatchHub {
    private static final System.Logger LOG = System.getLogger(WatchHub.class.getName());
    /** Events kept in memory for watches that start in the recent past. */
    static final int RING_EVENTS = 65_536;
    /** Bytes of keys and values kept in memory for them. */
    static final long RING_BYTES = 32L << 20;
    /** Events a subscription may have queued before it is cut as fallen behind. */
    public static final int QUEUE_EVENTS = 16_384;
    /** Bytes of values a subscription may have queued before it is cut. */
    public static final long QUEUE_BYTES = 16L << 20;

    /** What a change did. */
    public enum Kind {
        SET,
        DELETE,
        EXPIRED,
        OWNER,
        DEADLINE
    }

    /**
     * One change: {@code value} only for SET (the new value); {@code owner} the key's owner after
     * it (for a delete, the removed entry's; null only for a delete of a journal before format 4).
     */
    public record Event(
            long version,
            Kind kind,
            byte[] key,
            byte @Nullable [] value,
            @Nullable Owner owner) {
        long bytes() {
            return 64 + key.length + (value != null ? value.length : 0);
        }
    }

    /** The history a watch asked for is gone; {@code currentVersion} is where to start again. */
    public static final class HistoryCompactedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final long currentVersion;

        HistoryCompactedException(String message, long currentVersion) {
            super(message);
            this.currentVersion = currentVersion;
        }

        public long currentVersion() {
            return currentVersion;
        }
    }

    private final Path dir;
    private final ReentrantLock lock = new ReentrantLock();

    @GuardedBy("lock")
    private final ArrayDeque<Event> ring = new ArrayDeque<>();

    @GuardedBy("lock")
    private long ringBytes;
    /** The last version published (every change up to it has been offered to the subscriptions). */
    private final AtomicLong published;

    private final CopyOnWriteArrayList<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    /** Subscriptions in {@link Subscription#replay}, not yet in {@link #subscriptions}: the ring must fill for them. */
    private final AtomicInteger replaying = new AtomicInteger();
    /** Watches cut because their queue overflowed. */
    private final AtomicLong fellBehind = new AtomicLong();

    WatchHub(Path dir, long lastVersion) {
        this.dir = dir;
        this.published = new AtomicLong(lastVersion);
    }

    /** The last version published to watchers. */
    public long publishedVersion() {
        return published.get();
    }

    /** Watches cut so far because they fell behind (for STATS). */
    public long fellBehind() {
        return fellBehind.get();
    }

    /** Changes kept in memory now (tests). */
    int ringEvents() {
        lock.lock();
        try {
            return ring.size();
        } finally {
            lock.unlock();
        }
    }

    /** Watches open now (for STATS). */
    public int watches() {
        return subscriptions.size();
    }

    /**
     * Journal's leader, after the store took {@code batch}: offers each change to the watches. Never
     * throws: a fault here must not fail the journal; the watches are then cut ("fell behind") so
     * that they resume from the history, which has every change.
     */
    void publish(List<Journal.Pending> batch) {
        try {
            offerAll(batch);
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "watch publication failed; cutting every watch", e);
            long before = batch.getFirst().version() - 1;
            published.accumulateAndGet(batch.getLast().version(), Math::max);
            for (Subscription s : subscriptions) {
                s.cut(before);
            }
        }
    }

    private void offerAll(List<Journal.Pending> batch) {
        List<Subscription> woken = new ArrayList<>();
        lock.lock();
        try {
            if (subscriptions.isEmpty() && replaying.get() == 0) { // nobody needs the recent history in memory
                if (!ring.isEmpty()) {
                    ring.clear();
                    ringBytes = 0;
                }
                published.set(batch.getLast().version());
                return;
            }
            for (Journal.Pending p : batch) {
                Event e = eventOf(p.type(), p.flags(), p.key(), p.value(), p.version(), p.owner());
                if (e == null) {
                    continue;
                }
                ring.addLast(e);
                ringBytes += e.bytes();
                while (ring.size() > RING_EVENTS || ringBytes > RING_BYTES) {
                    ringBytes -= ring.removeFirst().bytes();
                }
                for (Subscription s : subscriptions) {
                    if (s.offer(e) && !woken.contains(s)) {
                        woken.add(s);
                    }
                }
            }
            published.set(batch.getLast().version());
        } finally {
            lock.unlock();
        }
        for (Subscription s : woken) {
            s.ready.run();
        }
    }

    /** The event a record makes, or null if it changes no key. */
    private static @Nullable Event eventOf(
            int type, int flags, byte[] key, byte[] value, long version, @Nullable Owner owner) {
        return switch (type) {
            case TYPE_PUT -> new Event(version, Kind.SET, key, value, owner);
            case TYPE_DELETE ->
                new Event(version, (flags & FLAG_EXPIRED) != 0 ? Kind.EXPIRED : Kind.DELETE, key, null, owner);
            case TYPE_META -> new Event(version, Kind.OWNER, key, null, owner);
            case TYPE_DEADLINE -> new Event(version, Kind.DEADLINE, key, null, owner);
            default -> null;
        };
    }

    /**
     * Starts a watch of {@code key} (or of every key under it, with {@code prefix}) for {@code
     * caller}: the changes with versions above {@code from} ({@code -1}: from now). The changes
     * already in history are delivered by {@link Subscription#replay}, which the subscriber must call
     * first; later ones arrive in its queue, and {@code ready} is called (by the journal's leader:
     * it must not block) when some do or when the watch ends.
     *
     * @throws HistoryCompactedException if the changes after {@code from} are no longer all kept, or
     *     {@code from} is a version this daemon never reached
     */
    public Subscription subscribe(Caller caller, byte[] key, boolean prefix, boolean values, long from, Runnable ready)
            throws HistoryCompactedException {
        long start = from < 0 ? published.get() : from;
        if (start > published.get()) {
            // The watcher has seen versions this daemon never published (another data directory):
            // its history is not this one's. It must read the current state again.
            throw new HistoryCompactedException(
                    "version " + start + " is ahead of this daemon's last version " + published.get()
                            + " (another data directory?); read the current state and watch from version "
                            + published.get(),
                    published.get());
        }
        Subscription s = new Subscription(this, caller, key, prefix, values, start, ready);
        if (start < published.get()) {
            long oldest = oldestSegmentBase();
            if (oldest > start) {
                throw new HistoryCompactedException(
                        "the changes after version " + start + " are compacted away (the journal starts after " + oldest
                                + "); read the current state and watch from version " + published.get(),
                        published.get());
            }
        }
        return s;
    }

    /** The base version of the oldest segment on disk: every change after it is in the segments. */
    private long oldestSegmentBase() {
        TreeMap<Long, Path> segments = segments();
        for (Path p : segments.values()) {
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                return header(c, p).baseVersion();
            } catch (IOException e) {
                // pruned meanwhile: the next one
            }
        }
        return published.get();
    }

    private TreeMap<Long, Path> segments() {
        TreeMap<Long, Path> segments = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, SEGMENT_PREFIX + "*" + SEGMENT_SUFFIX)) {
            for (Path p : files) {
                long n = numberOf(p.getFileName().toString(), SEGMENT_PREFIX, SEGMENT_SUFFIX);
                if (n >= 0) {
                    segments.put(n, p);
                }
            }
        } catch (IOException e) {
            // none readable: an empty history
        }
        return segments;
    }

    private static RecordCodec.FileHeader header(FileChannel c, Path p) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(FILE_HEADER_LENGTH);
        while (b.hasRemaining() && c.read(b, b.position()) >= 0) {
            // until full or at the end
        }
        return new RecordCodec().readFileHeader(Arrays.copyOf(b.array(), b.position()), SEGMENT_MAGIC, p.toString());
    }

    /** Receives replayed events; may block (the subscriber's own thread, no lock held). */
    public interface Sink {
        void accept(Event e) throws IOException;
    }

    /**
     * Reads the changes with versions in ({@code after}, {@code until}] from the segments on disk,
     * in order, to {@code sink}; returns the last version read (every change up to it delivered).
     */
    private long readSegments(long after, long until, Subscription s, Sink sink)
            throws IOException, HistoryCompactedException {
        TreeMap<Long, Path> segments = segments();
        List<Path> files = new ArrayList<>(segments.values());
        long reached = after;
        boolean started = false;
        for (int i = 0; i < files.size() && reached < until; i++) {
            Path p = files.get(i);
            FileChannel c;
            try {
                c = FileChannel.open(p, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                if (!started) {
                    continue; // pruned meanwhile; the next one may still start early enough
                }
                throw new HistoryCompactedException(
                        p + " was pruned while it was read; watch from version " + published.get(), published.get());
            }
            try (c) {
                RecordCodec.FileHeader h = header(c, p);
                if (i + 1 < files.size()) {
                    // skip a whole segment that ends before the history wanted
                    try (FileChannel next = FileChannel.open(files.get(i + 1), StandardOpenOption.READ)) {
                        if (header(next, files.get(i + 1)).baseVersion() <= reached) {
                            continue;
                        }
                    } catch (NoSuchFileException e) {
                        // read this one
                    }
                }
                if (!started && h.baseVersion() > reached) {
                    throw new HistoryCompactedException(
                            "the changes after version " + reached + " are compacted away; watch from version "
                                    + published.get(),
                            published.get());
                }
                started = true;
                try (RecordReader r = new RecordReader(c, FILE_HEADER_LENGTH, p.toString())) {
                    RecordReader.Record rec;
                    while ((rec = r.next()) != null && rec.version() <= until) {
                        if (rec.version() <= reached) {
                            continue;
                        }
                        Event e = eventOf(rec.type(), rec.flags(), rec.key(), rec.value(), rec.version(), rec.owner());
                        reached = rec.version();
                        if (e != null && s.matches(e)) {
                            sink.accept(s.shown(e));
                        }
                    }
                }
            }
        }
        return reached;
    }

    /** One watch. */
    public static final class Subscription implements AutoCloseable {
        private final WatchHub hub;
        private final Caller caller;
        private final byte[] key;
        private final boolean prefix;
        private final boolean values;
        private final Runnable ready;
        /** The version the stream starts after. */
        private final long start;

        private final ConcurrentLinkedQueue<Event> queue = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queued = new AtomicInteger();
        private final AtomicLong queuedBytes = new AtomicLong();
        /** Set under the hub's lock: the queue overflowed; every change up to it was queued. */
        private volatile long fellBehindAt = -1;

        private volatile boolean closed;

        Subscription(
                WatchHub hub, Caller caller, byte[] key, boolean prefix, boolean values, long start, Runnable ready) {
            this.hub = hub;
            this.caller = caller;
            this.key = key;
            this.prefix = prefix;
            this.values = values;
            this.start = start;
            this.ready = ready;
        }

        /** The version this watch starts after: its first event has a larger one. */
        public long start() {
            return start;
        }

        boolean matches(Event e) {
            boolean keyMatches = prefix
                    ? e.key().length >= key.length && Arrays.equals(e.key(), 0, key.length, key, 0, key.length)
                    : Arrays.equals(e.key(), key);
            if (!keyMatches) {
                return false;
            }
            Owner o = e.owner();
            return o != null ? caller.mayRead(o) : caller.isRoot(); // an old delete without its owner: root only
        }

        /** The event as this watch shows it: without the value unless asked for. */
        Event shown(Event e) {
            return values || e.value() == null ? e : new Event(e.version(), e.kind(), e.key(), null, e.owner());
        }

        /** Under the hub's lock: queues {@code e} if it matches; true if the subscriber should be woken. */
        boolean offer(Event e) {
            if (closed || fellBehindAt >= 0 || e.version() <= start || !matches(e)) {
                return false;
            }
            Event shown = shown(e);
            if (queued.get() >= QUEUE_EVENTS || queuedBytes.get() + shown.bytes() > QUEUE_BYTES) {
                fellBehindAt = e.version() - 1;
                hub.fellBehind.incrementAndGet();
                return true;
            }
            queue.add(shown);
            queued.incrementAndGet();
            queuedBytes.addAndGet(shown.bytes());
            return true;
        }

        /**
         * Delivers, in order, the changes after {@link #start} that happened before this call, then
         * joins the live stream: every later change arrives in the queue ({@link #poll}). Runs on the
         * subscriber's thread and may block in {@code sink} (no lock is held while it does).
         *
         * @throws HistoryCompactedException if segments the history needs were pruned meanwhile
         */
        public void replay(Sink sink) throws IOException, HistoryCompactedException {
            hub.replaying.incrementAndGet(); // before the first look at the ring: every change after it fills the ring
            try {
                catchUp(sink);
            } finally {
                hub.replaying.decrementAndGet();
            }
        }

        private void catchUp(Sink sink) throws IOException, HistoryCompactedException {
            long reached = start;
            for (int round = 0; ; round++) {
                List<Event> fromRing = new ArrayList<>();
                long oldest;
                hub.lock.lock();
                try {
                    Event first = hub.ring.peekFirst();
                    oldest = first != null ? first.version() : hub.published.get() + 1;
                    if (oldest <= reached + 1 || reached >= hub.published.get()) {
                        for (Iterator<Event> it = hub.ring.iterator(); it.hasNext(); ) {
                            Event e = it.next();
                            if (e.version() > reached && matches(e)) {
                                fromRing.add(shown(e));
                            }
                        }
                        hub.subscriptions.add(this); // from here on, publish() queues what follows
                        reached = -1;
                    }
                } finally {
                    hub.lock.unlock();
                }
                if (reached < 0) {
                    for (Event e : fromRing) {
                        sink.accept(e);
                    }
                    return;
                }
                if (round == 8) {
                    throw new HistoryCompactedException(
                            "the changes came faster than the history could be read; watch again from version "
                                    + reached,
                            reached);
                }
                reached = hub.readSegments(reached, oldest - 1, this, sink);
            }
        }

        /** Ends this watch as fallen behind at {@code version} (if not already), and wakes its subscriber. */
        void cut(long version) {
            if (fellBehindAt < 0) {
                fellBehindAt = Math.min(version, lastQueued());
            }
            ready.run();
        }

        private long lastQueued() {
            long last = start;
            for (Event e : queue) {
                last = Math.max(last, e.version());
            }
            return last;
        }

        /** The next queued change, or null. */
        public @Nullable Event poll() {
            Event e = queue.poll();
            if (e != null) {
                queued.decrementAndGet();
                queuedBytes.addAndGet(-e.bytes());
            }
            return e;
        }

        /**
         * When the queue is drained: -1 while the watch goes on; else the version up to which every
         * change was delivered, to resume from (the queue overflowed: the subscriber read too slowly).
         */
        public long fellBehindAt() {
            return queue.isEmpty() ? fellBehindAt : -1;
        }

        /** The last version published: nothing for this watch up to it beyond what was queued. */
        public long publishedVersion() {
            return hub.published.get();
        }

        @Override
        public void close() {
            closed = true;
            hub.subscriptions.remove(this);
        }
    }
}
