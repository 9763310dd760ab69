package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import io.sharedmap.protocol.view.ViewWriter;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The engine's side of the shared-memory view: it applies every durable change to the view, in
 * version order, before the change is acknowledged, so the view always shows the store as of the
 * durable watermark (never a change a crash could take back, never older than an acknowledged one).
 *
 * <p>Who calls it: {@link Journal}'s leader, once a batch is durable as the mode promises (written
 * in {@code interval}, fsynced in {@code always}) and before it publishes the new watermark that
 * releases the batch's waiters; and the engine at open (before any write) and at close (after the
 * last). So there is one writer at a time, as {@link ViewWriter} requires.
 *
 * <p>Why it may take the key's stripe lock: a writer queues its record (taking a version) and
 * then publishes the entry in the index, both under the stripe lock. A leader could write and
 * apply the record in between; a direct reader would then see a version that a GET through the
 * socket, which reads the index, does not yet see. So a record the index does not show yet is
 * applied under the stripe lock, which waits for that publication; one it already shows (the
 * usual case) is applied at once. Lock order: journal leadership, then a stripe lock (a
 * stripe-lock holder never waits for leadership).
 *
 * <p>A failure here never harms the store: the view is retired (readers go back to the socket) and
 * the daemon goes on without it.
 */
final class View implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(View.class.getName());

    /** What a client needs to map the view: the file and the generation its header must carry. */
    record Info(Path file, long generation) {}

    private final ViewSettings settings;
    private final ViewWriter writer;
    private final Info info;
    private final long fileGid;
    private final Index index;
    private final Function<Key, ReentrantLock> stripes;
    private volatile boolean failed;
    private long lockedApplies; // leader only; read racily for STATS

    private View(
            ViewSettings settings,
            ViewWriter writer,
            Info info,
            long fileGid,
            Index index,
            Function<Key, ReentrantLock> stripes) {
        this.settings = settings;
        this.writer = writer;
        this.info = info;
        this.fileGid = fileGid;
        this.index = index;
        this.stripes = stripes;
    }

    /**
     * Retires any view a previous daemon left at the file (so its readers come back before this
     * daemon acknowledges anything), creates a fresh one and publishes every entry of {@code index}.
     */
    static View open(ViewSettings s, Index index, Function<Key, ReentrantLock> stripes) throws IOException {
        if (ViewWriter.retire(s.file())) {
            LOG.log(System.Logger.Level.INFO, "retired the view a previous daemon left at " + s.file());
        }
        long generation = ThreadLocalRandom.current().nextLong() | 1;
        ViewWriter w = ViewWriter.create(
                s.file(), s.slotCount(), s.slotSize(), generation, ViewSettings.posix(s.fileMode()), s.fileGid());
        try {
            long gid = ((Number) Files.getAttribute(s.file(), "unix:gid")).longValue();
            View v = new View(s, w, new Info(s.file(), generation), gid, index, stripes);
            for (Iterator<Map.Entry<Key, Entry>> it = index.all(); it.hasNext(); ) {
                Map.Entry<Key, Entry> e = it.next();
                v.publish(
                        e.getKey().bytes,
                        e.getValue().value(),
                        e.getValue().version(),
                        e.getValue().owner());
            }
            LOG.log(
                    System.Logger.Level.INFO,
                    "view " + s.file() + ": " + w.entries() + " of " + index.size() + " keys published ("
                            + s.slotCount() + " slots of " + s.slotSize() + " bytes)");
            return v;
        } catch (IOException | RuntimeException e) {
            w.retire();
            w.close();
            Files.deleteIfExists(s.file());
            throw e;
        }
    }

    Info info() {
        return failed ? null : info;
    }

    /** Journal leader only: applies durable records in version order. */
    void apply(List<Journal.Pending> records) {
        if (failed) {
            return;
        }
        try {
            for (Journal.Pending p : records) {
                switch (p.type()) {
                    case TYPE_PUT, TYPE_DELETE, TYPE_META -> applyOne(p);
                    default -> {} // outcomes change nothing
                }
            }
        } catch (RuntimeException | Error e) {
            fail(e);
        }
    }

    private void applyOne(Journal.Pending p) {
        Key k = new Key(p.key());
        if (inIndex(k, p)) {
            applyPublished(k, p);
            return;
        }
        ReentrantLock lock = stripes.apply(k);
        lockedApplies++;
        lock.lock(); // waits for the writer of p to publish it in the index (see the class comment)
        try {
            applyPublished(k, p);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the index already shows {@code p} or a later change of its key, so that applying it
     * needs no lock (the common case: the writer published long before the leader got here; waiting
     * on the stripe lock of a writer that was descheduled costs a context switch). A PUT at version
     * v is published once the key's entry has a version of v or more (a later change of the key
     * needed the stripe lock after p's writer released it); a DELETE once the key is absent or has
     * a later version. Unsure (a META record, or a key absent before its PUT is published): false.
     */
    private boolean inIndex(Key k, Journal.Pending p) {
        Entry e = index.get(k);
        return switch (p.type()) {
            case TYPE_PUT -> e != null && e.version() >= p.version();
            case TYPE_DELETE -> e == null || e.version() > p.version();
            default -> false;
        };
    }

    private void applyPublished(Key k, Journal.Pending p) {
        switch (p.type()) {
            case TYPE_PUT -> publish(p.key(), p.value(), p.version(), p.owner());
            case TYPE_DELETE -> writer.remove(p.key());
            case TYPE_META -> {
                // A new owner or mode, same value. The value as of this record is the index's if the key
                // has not been written since; otherwise a later record will publish it.
                Entry e = index.get(k);
                if (e != null && e.version() < p.version()) {
                    publish(p.key(), e.value(), e.version(), p.owner());
                } else {
                    writer.remove(p.key());
                }
            }
            default -> throw new IllegalStateException("record type " + p.type());
        }
    }

    private void publish(byte[] key, byte[] value, long version, Owner owner) {
        if (owner != null && ViewSettings.mayPublish(owner, settings.fileMode(), fileGid, settings.daemonUid())) {
            writer.put(key, value, version);
        } else {
            writer.remove(key);
        }
    }

    /**
     * The journal failed: retires the view (see {@code Journal.fail}). Any thread may call it:
     * retiring is one release store to the header, which no slot write of the leader conflicts with,
     * and no record is applied after a failure.
     */
    void journalFailed(Throwable e) {
        if (!failed) {
            fail(e);
        }
    }

    private void fail(Throwable e) {
        failed = true;
        writer.retire();
        LOG.log(
                System.Logger.Level.ERROR,
                "view " + info.file() + " failed and was retired; direct reads fall back to"
                        + " the socket until the daemon restarts: " + e,
                e);
    }

    /** Numbers for STATS (racy reads of the writer's counters: for display only). */
    Engine.ViewStats stats() {
        return new Engine.ViewStats(
                writer.entries(),
                writer.published(),
                writer.withdrawnTooLarge(),
                writer.withdrawnNoRoom(),
                lockedApplies,
                failed);
    }

    /** After the last change: retires the view (readers go back to the socket), unmaps and deletes it. */
    @Override
    public void close() throws IOException {
        writer.retire();
        writer.close();
        Files.deleteIfExists(settings.file());
    }
}
