package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import io.sharedmap.os.files.FileModes;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rebuilds the index at start: the newest snapshot, then every journal segment from the one the
 * snapshot names, in order.
 *
 * <p>Replay is idempotent by version: a record is applied only if its version is above the version
 * the key already has (counting deletions seen during replay), because a snapshot is taken while
 * writers run and may already contain changes that the segments after it repeat.
 *
 * <p>End of a segment: the journal preallocates zero-filled room after the active segment's last
 * record ({@link SegmentAppender}) and cuts it off when it seals or closes the segment; after a
 * crash, the room is still there. So a segment may end in zeros: when every byte after the last
 * valid record is zero, that is the clean end (nothing is reported or saved; in the last segment
 * the zeros are cut off). A record never starts with 24 zero bytes (its length is never 0).
 *
 * <p>Damage: a torn or corrupt record in the <em>last</em> segment ends the journal (a crash during
 * a write leaves exactly that); the bytes from it on, zeros included, are copied to a
 * {@code .damaged-*} file beside the segment, cut off, and reported. Damage anywhere else (a sealed segment, a snapshot, a missing
 * segment, an unknown format version) means acknowledged data would be lost, so recovery refuses to
 * start and says which file is at fault.
 */
final class Recovery {
    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    /** The recovered state, ready for the engine. */
    record Recovered(
            Index index,
            long liveBytes,
            FileChannel activeSegment,
            long activeSegmentNumber,
            long lastVersion,
            SessionTable sessions,
            RecoveryReport report) {}

    private final Path dir;
    private final RecordCodec codec = new RecordCodec();
    private final Index index = new Index();
    private final SessionTable sessions = new SessionTable();
    private final Map<Key, Long> deletedDuringReplay = new HashMap<>();
    private long liveBytes;
    private long lastVersion;
    private long recordsReplayed;

    private Recovery(Path dir) {
        this.dir = dir;
    }

    static Recovered run(Path dir) throws IOException {
        return new Recovery(dir).recover();
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
        long snapshotEntries = 0;
        long firstSegment = 1;
        if (!snapshots.isEmpty()) {
            snapshot = snapshots.getLast();
            snapshotEntries = loadSnapshot(snapshot);
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

        long droppedBytes = 0;
        String dropReason = null;
        Path savedTail = null;
        FileChannel active;
        long activeNumber;
        if (replay.isEmpty()) {
            activeNumber = firstSegment;
            active = Journal.createSegment(dir, activeNumber, lastVersion);
        } else {
            for (int i = 0; i < replay.size() - 1; i++) {
                replaySegment(replay.get(i), false);
            }
            activeNumber = replay.getLast();
            Path last = dir.resolve(segmentName(activeNumber));
            Tail tail = replaySegment(activeNumber, true);
            active = FileChannel.open(last, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (tail.problem == null && active.size() > tail.validEnd) {
                LOG.log(
                        System.Logger.Level.INFO,
                        "journal " + last.getFileName() + ": " + (active.size() - tail.validEnd)
                                + " preallocated zero bytes after the last record (the daemon stopped without closing it); cut off");
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
        }
        long durationMs = (System.nanoTime() - started) / 1_000_000;
        RecoveryReport report = new RecoveryReport(
                snapshot,
                snapshotEntries,
                replay.size(),
                recordsReplayed,
                droppedBytes,
                dropReason,
                savedTail,
                lastVersion,
                durationMs);
        deletedDuringReplay.clear();
        return new Recovered(index, liveBytes, active, activeNumber, lastVersion, sessions, report);
    }

    private long loadSnapshot(long number) throws IOException {
        Path file = dir.resolve(snapshotName(number));
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
                    if (rec.type() != TYPE_PUT || (rec.flags() & ~FLAG_OWNED) != 0) {
                        throw corruptSnapshot(file, "record of type " + rec.type() + " in a snapshot");
                    }
                    Key k = new Key(rec.key());
                    Entry previous = index.put(
                            k, new Entry(rec.value(), rec.version(), rec.owner() != null ? rec.owner() : Owner.LEGACY));
                    if (previous != null) {
                        throw corruptSnapshot(file, "key appears twice");
                    }
                    liveBytes += rec.key().length + rec.value().length;
                    lastVersion = Math.max(lastVersion, rec.version());
                    entries++;
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

    private record Tail(long validEnd, String problem) {}

    private Tail replaySegment(long number, boolean last) throws IOException {
        Path file = dir.resolve(segmentName(number));
        FileChannel c = FileChannel.open(file, StandardOpenOption.READ);
        RecordCodec.FileHeader h = readHeader(c, SEGMENT_MAGIC, file);
        if (h.number() != number) {
            c.close();
            throw new StoreFormatException(file + ": header names segment " + h.number());
        }
        lastVersion = Math.max(lastVersion, h.baseVersion());
        try (RecordReader r = new RecordReader(c, FILE_HEADER_LENGTH, file.toString())) {
            RecordReader.Record rec;
            while ((rec = r.next()) != null) {
                if (rec.version() <= h.baseVersion()) {
                    throw new StoreFormatException(file + ": record version " + rec.version()
                            + " is not above the segment's" + " base version " + h.baseVersion());
                }
                apply(rec);
            }
            String problem = r.problem();
            if (problem != null && zerosFrom(c, r.validEnd())) {
                problem = null; // preallocated room never written: the clean end of the segment
            }
            if (problem != null && !last) {
                throw new StoreFormatException("sealed journal segment is damaged: " + problem + ". Refusing to start:"
                        + " the records after the damage were acknowledged and would be lost.");
            }
            return new Tail(r.validEnd(), problem);
        }
    }

    private void apply(RecordReader.Record rec) throws StoreFormatException {
        recordsReplayed++;
        lastVersion = Math.max(lastVersion, rec.version());
        if ((rec.flags() & FLAG_SEQUENCED) != 0) {
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
                if (outcome < 0 || outcome >= Results.Outcome.values().length) {
                    throw new StoreFormatException("outcome record with outcome " + outcome);
                }
                sessions.restore(
                        rec.clientId(), rec.sequence(), Results.Outcome.values()[outcome], v.getLong(), rec.version());
                return; // changes nothing in the index
            }
        }
        Key k = new Key(rec.key());
        Entry current = index.get(k);
        long currentVersion = current != null ? current.version() : deletedDuringReplay.getOrDefault(k, 0L);
        if (rec.version() <= currentVersion) {
            return;
        }
        switch (rec.type()) {
            case TYPE_PUT -> {
                Owner owner = rec.owner() != null ? rec.owner() : current != null ? current.owner() : Owner.LEGACY;
                index.put(k, new Entry(rec.value(), rec.version(), owner));
                deletedDuringReplay.remove(k);
                liveBytes += rec.key().length
                        + rec.value().length
                        - (current != null ? rec.key().length + current.value().length : 0);
            }
            case TYPE_DELETE -> {
                if (current != null) {
                    index.remove(k);
                    liveBytes -= rec.key().length + current.value().length;
                }
                deletedDuringReplay.put(k, rec.version());
            }
            case TYPE_META -> {
                // A META orders after the entry it changes (its version is larger than the entry's), and
                // leaves the entry's version alone; a META older than the entry (the key was deleted and
                // created again since) is skipped by the version check above.
                if (current != null) {
                    index.put(k, new Entry(current.value(), current.version(), rec.owner()));
                }
            }
            default -> throw new StoreFormatException("record of type " + rec.type() + " in a journal segment");
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
