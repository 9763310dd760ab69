package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import io.sharedmap.os.files.FileModes;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.store.MappedStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Brings the store up to date at start, by one of two paths.
 *
 * <p><b>Continue the mapped store</b> when it can be trusted ({@link MappedStore#open}: made for
 * this data directory, on this boot of the machine, whole) and its checkpoint names a record the
 * journal still holds: a process crash (even {@code kill -9}) loses no byte the daemon stored in
 * its mapped files, which live in the page cache, and the store never holds a change that is not
 * durable as the mode promises (changes are applied after the journal has them). So recovery
 * replays only the journal after the checkpoint, and the sessions from the sessions file's position
 * on. After a reboot, or any doubt, the other path.
 *
 * <p><b>Rebuild</b> a new store from the newest snapshot, then every journal segment from the one
 * the snapshot names, in order. Replay is idempotent by version: a record is applied only if its
 * version is above the version the key already has (counting deletions seen during replay),
 * because a snapshot is taken while writers run and may already contain changes that the segments
 * after it repeat.
 *
 * <p>End of a segment: the journal preallocates zero-filled room after the active segment's last
 * record ({@link SegmentAppender}) and cuts it off when it seals or closes the segment; after a
 * crash, the room is still there. So a segment may end in zeros: when every byte after the last
 * valid record is zero, that is the clean end (nothing is reported or saved; in the last segment
 * the zeros are cut off). A record never starts with 24 zero bytes (its length is never 0).
 *
 * <p>Damage: a torn or corrupt record in the <em>last</em> segment ends the journal (a crash during a
 * write leaves exactly that); the bytes from it on, zeros included, are copied to a {@code
 * .damaged-*} file beside the segment, cut off, and reported. A store continued past such a tail
 * cannot be (its checkpoint may lie beyond it), so it is rebuilt. Damage anywhere else (a sealed
 * segment, a snapshot, a missing segment, an unknown format version) means acknowledged data would
 * be lost, so recovery refuses to start and says which file is at fault.
 */
final class Recovery {
    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());
    /** In the data directory: the number that names it to its mapped store (text). */
    static final String STORE_ID_FILE = "store-id";

    private static final int BATCH = 4096;

    /** The recovered state, ready for the engine. */
    record Recovered(
            boolean olderFormat,
            MappedStore store,
            FileChannel activeSegment,
            long activeSegmentNumber,
            long lastVersion,
            SessionTable sessions,
            RecoveryReport report) {}

    private final Path dir;
    private final MappedStore.Settings storeSettings;
    private final RecordCodec codec = new RecordCodec();
    private SessionTable sessions = new SessionTable();

    @SuppressWarnings("NullAway.Init") // set by run(): the store found and trusted, or a new one
    private MappedStore store;

    private boolean trusted;
    private MappedStore.@Nullable Checkpoint checkpoint; // of the store found, when it is trusted
    private final Map<Key, Long> deletedDuringReplay = new HashMap<>();
    private final List<Journal.Pending> batch = new ArrayList<>();
    private long batchSegment;
    private long batchStart;
    private long batchEnd;
    private long lastVersion;
    private long recordsReplayed;
    private long storeRecords;
    private long snapshotEntries;
    /** Whether a snapshot or segment kept is of a format older than {@link StoreFileDescriptor#FORMAT_VERSION}. */
    private boolean olderFormat;

    private Recovery(Path dir, MappedStore.Settings storeSettings) {
        this.dir = dir;
        this.storeSettings = storeSettings;
    }

    static Recovered run(Path dir, MappedStore.Settings storeSettings) throws IOException {
        Recovery r = new Recovery(dir, storeSettings);
        try {
            return r.recover();
        } catch (IOException | RuntimeException | Error e) {
            if (r.store != null) {
                try {
                    r.store.close(false);
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** The number that ties the data directory to its mapped store, made at first use. */
    static long dataDirId(Path dir) throws IOException {
        Path f = dir.resolve(STORE_ID_FILE);
        try {
            return Long.parseUnsignedLong(Files.readString(f).trim(), 16);
        } catch (NoSuchFileException e) {
            long id = ThreadLocalRandom.current().nextLong() | 1;
            Path tmp = dir.resolve(STORE_ID_FILE + TEMP_SUFFIX);
            FileModes.writePrivate(tmp, Long.toHexString(id) + "\n");
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
            Journal.syncDirectory(dir);
            return id;
        } catch (NumberFormatException e) {
            throw new StoreFormatException(f + " does not hold a store id (" + e.getMessage() + "); delete it to start"
                    + " with a new mapped store (it will be rebuilt from the journal)");
        }
    }

    private Recovered recover() throws IOException {
        long started = System.nanoTime();
        List<Long> snapshots = new ArrayList<>();
        List<Long> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.endsWith(TEMP_SUFFIX)) {
                    Files.delete(p); // an interrupted snapshot or segment creation; never referenced
                    continue;
                }
                long n = numberOf(name, SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX);
                if (n >= 0) {
                    snapshots.add(n);
                }
                n = numberOf(name, SEGMENT_PREFIX, SEGMENT_SUFFIX);
                if (n >= 0) {
                    segments.add(n);
                }
            }
        }
        Collections.sort(snapshots);
        Collections.sort(segments);

        long snapshot = -1;
        long firstSegment = 1;
        if (!snapshots.isEmpty()) {
            snapshot = snapshots.getLast();
            firstSegment = snapshot;
            for (long older : snapshots.subList(0, snapshots.size() - 1)) {
                Files.deleteIfExists(dir.resolve(snapshotName(older)));
            }
        }
        List<Long> replay = new ArrayList<>();
        for (long s : segments) {
            if (s < firstSegment) {
                if (snapshot < 0) {
                    throw new StoreFormatException(dir.resolve(segmentName(s)) + ": journal segment numbered below 1");
                }
                Files.deleteIfExists(dir.resolve(segmentName(s))); // covered by the snapshot; pruning was interrupted
            } else {
                replay.add(s);
            }
        }
        for (int i = 0; i < replay.size(); i++) {
            long expected = firstSegment + i;
            if (replay.get(i) != expected) {
                throw new StoreFormatException(dir.resolve(segmentName(expected)) + " is missing (found "
                        + segmentName(replay.get(i))
                        + " after it); refusing to start without it, since the changes it held"
                        + " would be lost");
            }
        }

        // Every change above this version is in the journal (the snapshot holds those up to it): a
        // store whose checkpoint is exactly this version holds every change the journal does not.
        long journalBase = -1;
        for (Path f : snapshot >= 0
                ? Stream.concat(
                                Stream.of(dir.resolve(snapshotName(snapshot))),
                                replay.stream().map(n -> dir.resolve(segmentName(n))))
                        .toList()
                : replay.stream().map(n -> dir.resolve(segmentName(n))).toList()) {
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ)) {
                boolean isSnapshot = f.getFileName().toString().startsWith(SNAPSHOT_PREFIX);
                RecordCodec.FileHeader h = readHeader(c, isSnapshot ? SNAPSHOT_MAGIC : SEGMENT_MAGIC, f);
                olderFormat |= h.formatVersion() < FORMAT_VERSION;
                if (isSnapshot ? replay.isEmpty() : h.number() == replay.getFirst()) {
                    journalBase = h.baseVersion(); // the first segment's; with none, the snapshot's
                }
            }
        }
        long dataDirId = dataDirId(dir);
        MappedStore.Found found = MappedStore.open(storeSettings, dataDirId);
        String distrust = found.distrust();
        MappedStore foundStore = found.store();
        MappedStore.Checkpoint foundCheckpoint = found.checkpoint();
        if (foundStore != null) {
            distrust = foundCheckpoint == null
                    ? "the mapped store has no checkpoint"
                    : checkpointProblem(foundCheckpoint, replay, journalBase);
            if (distrust == null) {
                store = foundStore;
                trusted = true;
                checkpoint = foundCheckpoint;
                store.beginRecovery(); // clients stop reading it; a move cut short is completed
            } else {
                foundStore.close(false);
            }
        }
        long loadedSnapshot = -1;
        SessionsFile.Position sessionsFrom = null;
        if (trusted) {
            SessionsFile.Loaded s = SessionsFile.read(store.privateDir());
            // The sessions file is of use only if the journal after its position is all still here: a
            // snapshot written since then deleted the segments below it, and with them the outcomes
            // recorded there, which that snapshot holds instead.
            if (s != null && s.position().segment() < firstSegment) {
                LOG.log(
                        System.Logger.Level.INFO,
                        "the sessions file is older than snapshot " + snapshotName(snapshot)
                                + "; the sessions come from the snapshot");
                s = null;
            }
            if (s != null) {
                sessions = s.sessions();
                sessionsFrom = s.position();
            } else if (snapshot >= 0) {
                loadSnapshot(snapshot, true); // the sessions only: the store has the entries
                loadedSnapshot = snapshot;
            }
            lastVersion = Math.max(lastVersion, trustedCheckpoint().version());
        } else {
            LOG.log(System.Logger.Level.INFO, "rebuilding the mapped store from the journal: " + distrust);
            store = MappedStore.create(storeSettings, dataDirId);
            if (snapshot >= 0) {
                loadSnapshot(snapshot, false);
                loadedSnapshot = snapshot;
            }
        }

        long droppedBytes = 0;
        String dropReason = null;
        Path savedTail = null;
        FileChannel active;
        long activeNumber;
        int segmentsRead = 0;
        if (replay.isEmpty()) {
            activeNumber = firstSegment;
            active = Journal.createSegment(dir, activeNumber, lastVersion);
        } else {
            for (int i = 0; i < replay.size(); i++) {
                long number = replay.get(i);
                boolean last = i == replay.size() - 1;
                long from = FILE_HEADER_LENGTH;
                if (trusted) {
                    SessionsFile.Position start = earliest(sessionsFrom, trustedCheckpoint());
                    if (number < start.segment()) {
                        continue;
                    }
                    if (number == start.segment()) {
                        from = Math.max(FILE_HEADER_LENGTH, start.offset());
                    }
                }
                segmentsRead++;
                Tail tail = replaySegment(number, last, from, sessionsFrom);
                if (!last) {
                    continue;
                }
                activeNumber = number;
                Path lastFile = dir.resolve(segmentName(activeNumber));
                active = FileChannel.open(lastFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
                if (tail.problem == null && active.size() > tail.validEnd) {
                    LOG.log(
                            System.Logger.Level.INFO,
                            "journal " + lastFile.getFileName() + ": "
                                    + (active.size() - tail.validEnd)
                                    + " preallocated zero bytes after the last record (the daemon stopped"
                                    + " without closing it); cut off");
                    active.truncate(tail.validEnd);
                } else if (tail.problem != null) {
                    long size = active.size();
                    droppedBytes = size - tail.validEnd;
                    dropReason = tail.problem;
                    savedTail = dir.resolve(segmentName(activeNumber) + ".damaged-" + System.currentTimeMillis());
                    saveTail(active, tail.validEnd, savedTail);
                    active.truncate(tail.validEnd);
                    active.force(true);
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "journal tail dropped: " + droppedBytes + " bytes after the last good"
                                    + " record (" + dropReason
                                    + "); they were never acknowledged if the daemon crashed mid-write; copy"
                                    + " saved in " + savedTail);
                }
                active.position(active.size());
                // Records written before a crash may sit in the page cache only. Replayed, they are served as
                // durable, so in `always` mode they must reach the disk before anyone sees them.
                active.force(true);
                flushBatch();
                store.recovered(trusted && found.clean());
                long durationMs = (System.nanoTime() - started) / 1_000_000;
                return done(
                        loadedSnapshot,
                        segmentsRead,
                        droppedBytes,
                        dropReason,
                        savedTail,
                        durationMs,
                        active,
                        activeNumber,
                        distrust);
            }
            throw new IllegalStateException("no last segment");
        }
        flushBatch();
        store.recovered(trusted && found.clean());
        long durationMs = (System.nanoTime() - started) / 1_000_000;
        return done(
                loadedSnapshot,
                segmentsRead,
                droppedBytes,
                dropReason,
                savedTail,
                durationMs,
                active,
                activeNumber,
                distrust);
    }

    private Recovered done(
            long loadedSnapshot,
            int segmentsRead,
            long droppedBytes,
            @Nullable String dropReason,
            @Nullable Path savedTail,
            long durationMs,
            FileChannel active,
            long activeNumber,
            @Nullable String distrust) {
        RecoveryReport report = new RecoveryReport(
                loadedSnapshot,
                snapshotEntries,
                segmentsRead,
                recordsReplayed,
                droppedBytes,
                dropReason,
                savedTail,
                lastVersion,
                durationMs,
                trusted,
                trusted ? null : distrust,
                storeRecords);
        deletedDuringReplay.clear();
        return new Recovered(olderFormat, store, active, activeNumber, lastVersion, sessions, report);
    }

    private static SessionsFile.Position earliest(
            SessionsFile.@Nullable Position sessionsFrom, MappedStore.Checkpoint c) {
        SessionsFile.Position storeFrom = new SessionsFile.Position(c.segment(), c.recordEnd());
        if (sessionsFrom == null) {
            return new SessionsFile.Position(0, 0); // sessions from the snapshot: every segment after it
        }
        return before(sessionsFrom, storeFrom) ? sessionsFrom : storeFrom;
    }

    /** The checkpoint of the store found, when it is trusted (continued). */
    private MappedStore.Checkpoint trustedCheckpoint() {
        return Objects.requireNonNull(checkpoint, "a trusted store has a checkpoint");
    }

    /** Where the trusted store's checkpoint record ends: the journal after it is not in the store. */
    private SessionsFile.Position checkpointEnd() {
        MappedStore.Checkpoint c = trustedCheckpoint();
        return new SessionsFile.Position(c.segment(), c.recordEnd());
    }

    private static boolean before(SessionsFile.Position a, SessionsFile.Position b) {
        return a.segment() < b.segment() || a.segment() == b.segment() && a.offset() < b.offset();
    }

    /**
     * Why the store's checkpoint cannot be continued from, or null: it must name a record of the
     * journal, by segment, offsets and version; or lie before the journal's first segment at exactly
     * {@code journalBase}, the version that segment (or the snapshot) starts after: a store that
     * applied everything of a segment a snapshot since pruned, or one rebuilt from that snapshot.
     */
    private @Nullable String checkpointProblem(MappedStore.Checkpoint c, List<Long> replay, long journalBase)
            throws IOException {
        if (c.version() == 0) {
            return "the mapped store has no checkpoint (it never applied a change)";
        }
        long first = replay.isEmpty() ? Long.MAX_VALUE : replay.getFirst();
        if (c.segment() < first && c.version() == journalBase) {
            return null; // the journal from its first segment on is what the store lacks
        }
        if (!replay.contains(c.segment())) {
            return "the mapped store's checkpoint is in journal segment " + c.segment() + ", which is not among the"
                    + " segments to replay " + replay;
        }
        Path file = dir.resolve(segmentName(c.segment()));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (c.recordStart() < FILE_HEADER_LENGTH || c.recordEnd() > ch.size()) {
                return "the mapped store's checkpoint lies outside " + file;
            }
            try (RecordReader r = new RecordReader(ch, c.recordStart(), file.toString())) {
                RecordReader.Record rec = r.next();
                if (rec == null || rec.version() != c.version() || r.validEnd() != c.recordEnd()) {
                    return "the mapped store's checkpoint (version " + c.version() + " at " + c.recordStart() + ".."
                            + c.recordEnd() + " of " + file.getFileName() + ") is not a record of the journal";
                }
            }
        }
        return null;
    }

    private long loadSnapshot(long number, boolean sessionsOnly) throws IOException {
        Path file = dir.resolve(snapshotName(number));
        List<MappedStore.Change> puts = new ArrayList<>();
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            RecordCodec.FileHeader h = readHeader(c, SNAPSHOT_MAGIC, file);
            if (h.number() != number) {
                throw new StoreFormatException(file + ": header names snapshot " + h.number());
            }
            lastVersion = Math.max(lastVersion, h.baseVersion());
            long count = 0;
            long entries = 0;
            try (RecordReader r = new RecordReader(c, FILE_HEADER_LENGTH, file.toString())) {
                RecordReader.Record rec;
                while ((rec = r.next()) != null) {
                    if (rec.type() == TYPE_SNAPSHOT_END) {
                        long declared = ByteBuffer.wrap(rec.value()).getLong();
                        if (declared != count || r.next() != null || r.problem() != null) {
                            throw corruptSnapshot(
                                    file,
                                    "end record declares " + declared + " records after " + count
                                            + (r.problem() != null ? "; " + r.problem() : ""));
                        }
                        if (!sessionsOnly) {
                            // Its checkpoint: the snapshot's version, before the journal's first segment
                            // (the snapshot's number), so that a restart before any new record continues
                            // the store instead of rebuilding it again (checkpointProblem).
                            store.apply(puts, new MappedStore.Checkpoint(h.baseVersion(), number - 1, 0, 0));
                        }
                        snapshotEntries = entries;
                        return entries;
                    }
                    count++;
                    if (rec.type() == TYPE_SESSION) {
                        String bad = sessions.restoreEncoded(rec.key(), rec.value());
                        if (bad != null) {
                            throw corruptSnapshot(file, bad);
                        }
                        continue;
                    }
                    if (rec.type() == TYPE_FORGOTTEN) {
                        sessions.restoreForgotten(ByteBuffer.wrap(rec.key()).getLong());
                        continue;
                    }
                    if (rec.type() != TYPE_PUT || (rec.flags() & ~(FLAG_OWNED | FLAG_DEADLINE)) != 0) {
                        throw corruptSnapshot(file, "record of type " + rec.type() + " in a snapshot");
                    }
                    lastVersion = Math.max(lastVersion, rec.version());
                    entries++;
                    if (sessionsOnly) {
                        continue;
                    }
                    puts.add(new Journal.Pending(
                            TYPE_PUT,
                            FLAG_OWNED,
                            0,
                            0,
                            rec.key(),
                            rec.value(),
                            rec.version(),
                            rec.owner() != null ? rec.owner() : Owner.LEGACY,
                            rec.deadline()));
                    if (puts.size() == BATCH) {
                        store.apply(puts, null);
                        puts.clear();
                    }
                }
                throw corruptSnapshot(file, r.problem() != null ? r.problem() : "no end record (truncated)");
            }
        }
    }

    private static StoreFormatException corruptSnapshot(Path file, String why) {
        return new StoreFormatException("snapshot " + file + " is corrupt: " + why + ". Refusing to start: its"
                + " journal segments were pruned, so starting without it would lose data. Restore the file from a backup,"
                + " or move it aside to start from whatever journal segments remain.");
    }

    private RecordCodec.FileHeader readHeader(FileChannel c, long magic, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(FILE_HEADER_LENGTH);
        c.position(0);
        while (b.hasRemaining() && c.read(b) >= 0) {
            // keep reading until the header is full or the file ends
        }
        byte[] h = new byte[b.position()];
        b.flip();
        b.get(h);
        return codec.readFileHeader(h, magic, file.toString());
    }

    private record Tail(long validEnd, @Nullable String problem) {}

    private Tail replaySegment(long number, boolean last, long from, SessionsFile.@Nullable Position sessionsFrom)
            throws IOException {
        Path file = dir.resolve(segmentName(number));
        FileChannel c = FileChannel.open(file, StandardOpenOption.READ);
        RecordCodec.FileHeader h = readHeader(c, SEGMENT_MAGIC, file);
        if (h.number() != number) {
            c.close();
            throw new StoreFormatException(file + ": header names segment " + h.number());
        }
        lastVersion = Math.max(lastVersion, h.baseVersion());
        try (RecordReader r = new RecordReader(c, from, file.toString())) {
            RecordReader.Record rec;
            long start = r.validEnd();
            while ((rec = r.next()) != null) {
                if (rec.version() <= h.baseVersion()) {
                    throw new StoreFormatException(file + ": record version " + rec.version()
                            + " is not above the segment's" + " base version " + h.baseVersion());
                }
                SessionsFile.Position at = new SessionsFile.Position(number, start);
                boolean forSessions = sessionsFrom == null || !before(at, sessionsFrom);
                boolean forStore = !trusted || !before(at, checkpointEnd());
                apply(rec, forSessions, forStore, number, start, r.validEnd());
                start = r.validEnd();
            }
            String problem = r.problem();
            if (problem != null && zerosFrom(c, r.validEnd())) {
                problem = null; // preallocated room never written: the clean end of the segment
            }
            if (problem != null && !last) {
                throw new StoreFormatException("sealed journal segment is damaged: " + problem + ". Refusing to start:"
                        + " the records after the damage were acknowledged and would be lost.");
            }
            if (problem != null
                    && trusted
                    && before(new SessionsFile.Position(number, r.validEnd()), checkpointEnd())) {
                throw new StoreFormatException(
                        "the journal ends (" + problem + ") before the mapped store's checkpoint:"
                                + " the store holds changes the journal lost; delete the store's directory to rebuild it");
            }
            return new Tail(r.validEnd(), problem);
        }
    }

    private void apply(
            RecordReader.Record rec, boolean forSessions, boolean forStore, long segment, long start, long end)
            throws IOException {
        recordsReplayed++;
        lastVersion = Math.max(lastVersion, rec.version());
        if (forSessions && (rec.flags() & FLAG_SEQUENCED) != 0) {
            restoreSession(rec);
        }
        if (rec.type() != TYPE_PUT
                && rec.type() != TYPE_DELETE
                && rec.type() != TYPE_META
                && rec.type() != TYPE_DEADLINE
                && rec.type() != TYPE_OUTCOME) {
            throw new StoreFormatException("record of type " + rec.type() + " in a journal segment");
        }
        if (!forStore || rec.type() == TYPE_OUTCOME) {
            return;
        }
        if (trusted) {
            // Every record after the checkpoint, in order: the store makes each idempotent (see MappedStore#replay).
            Owner owner = rec.owner();
            if (rec.type() == TYPE_PUT && owner == null) {
                flushBatch(); // a format-1 record keeps the owner of what it replaces: read it after the batch
                MappedStore.Stored current = store.get(rec.key(), false);
                owner = current != null ? current.owner() : Owner.LEGACY;
            }
            batch.add(new Journal.Pending(
                    rec.type(), rec.flags(), 0, 0, rec.key(), rec.value(), rec.version(), owner, rec.deadline()));
            batchSegment = segment;
            batchStart = start;
            batchEnd = end;
            storeRecords++;
            if (batch.size() == BATCH) {
                flushBatch();
            }
            return;
        }
        Key k = new Key(rec.key());
        MappedStore.Stored current = store.get(rec.key(), false);
        Long deleted = deletedDuringReplay.get(k);
        long currentVersion = 0;
        if (current != null) {
            currentVersion = current.version();
        } else if (deleted != null) {
            currentVersion = deleted.longValue();
        }
        if (rec.version() <= currentVersion) {
            return;
        }
        MappedStore.Change change;
        switch (rec.type()) {
            case TYPE_PUT -> {
                deletedDuringReplay.remove(k);
                Owner owner = rec.owner() != null ? rec.owner() : current != null ? current.owner() : Owner.LEGACY;
                change = new Journal.Pending(
                        TYPE_PUT, FLAG_OWNED, 0, 0, rec.key(), rec.value(), rec.version(), owner, rec.deadline());
            }
            case TYPE_DELETE -> {
                deletedDuringReplay.put(k, rec.version());
                if (current == null) {
                    return;
                }
                change = new Journal.Pending(TYPE_DELETE, 0, 0, 0, rec.key(), rec.value(), rec.version(), null);
            }
            case TYPE_META -> {
                // A META orders after the entry it changes (its version is larger than the entry's), and
                // leaves the entry's version alone; a META older than the entry (the key was deleted and
                // created again since) is skipped by the version check above.
                if (current == null) {
                    return;
                }
                change = new Journal.Pending(
                        TYPE_META, FLAG_OWNED, 0, 0, rec.key(), rec.value(), rec.version(), rec.owner());
            }
            case TYPE_DEADLINE -> {
                if (current == null) {
                    return; // as a META: deleted since, or older than the entry (skipped above)
                }
                change = new Journal.Pending(
                        TYPE_DEADLINE,
                        FLAG_DEADLINE,
                        0,
                        0,
                        rec.key(),
                        rec.value(),
                        rec.version(),
                        null,
                        rec.deadline());
            }
            default -> throw new StoreFormatException("record of type " + rec.type() + " in a journal segment");
        }
        storeRecords++;
        store.apply(List.of(change), new MappedStore.Checkpoint(rec.version(), segment, start, end));
    }

    private void flushBatch() throws IOException {
        if (!batch.isEmpty()) {
            store.replay(
                    batch, new MappedStore.Checkpoint(batch.getLast().version(), batchSegment, batchStart, batchEnd));
            batch.clear();
        }
    }

    private void restoreSession(RecordReader.Record rec) throws StoreFormatException {
        if (rec.type() == TYPE_PUT) {
            sessions.restore(
                    rec.clientId(),
                    rec.sequence(),
                    (rec.flags() & FLAG_CREATED) != 0 ? Results.Outcome.CREATED : Results.Outcome.UPDATED,
                    rec.version(),
                    rec.version());
        } else if (rec.type() == TYPE_DELETE) {
            sessions.restore(
                    rec.clientId(),
                    rec.sequence(),
                    Results.Outcome.DELETED,
                    ByteBuffer.wrap(rec.value()).getLong(),
                    rec.version());
        } else if (rec.type() == TYPE_OUTCOME) {
            ByteBuffer v = ByteBuffer.wrap(rec.value());
            int outcome = v.get();
            if (!Results.Outcome.isCode(outcome)) {
                throw new StoreFormatException("outcome record with outcome " + outcome);
            }
            sessions.restore(
                    rec.clientId(), rec.sequence(), Results.Outcome.ofCode(outcome), v.getLong(), rec.version());
        }
    }

    /** True if every byte of {@code c} from {@code from} to its end is zero. */
    static boolean zerosFrom(FileChannel c, long from) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 << 10);
        long pos = from;
        long size = c.size();
        while (pos < size) {
            b.clear();
            int n = c.read(b, pos);
            if (n < 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                if (b.get(i) != 0) {
                    return false;
                }
            }
            pos += n;
        }
        return true;
    }

    private static void saveTail(FileChannel c, long from, Path to) throws IOException {
        try (FileChannel out = FileChannel.open(
                to, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FileModes.PRIVATE_FILE)) {
            long pos = from;
            long size = c.size();
            while (pos < size) {
                pos += c.transferTo(pos, size - pos, out);
            }
            out.force(true);
        }
    }
}
