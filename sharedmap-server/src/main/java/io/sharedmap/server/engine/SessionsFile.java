package io.sharedmap.server.engine;

import io.sharedmap.os.files.FileModes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The client sessions as of a journal position, kept beside the mapped store ({@code
 * private/sessions}) so that a restart that continues the store need not read the journal from
 * the last snapshot to rebuild them: it loads this file and replays the sequenced records from its
 * position on. Written at every clean stop, after recovery, and every few seconds while sequenced
 * changes arrive.
 *
 * <pre>
 *  magic "SMAPSESS" (8 bytes) | format version (u32) = 1 | session count (u32)
 *  journal segment (u64) | journal offset (u64): replay from here (every sequenced record
 *      before it is in the file; records after it may be too, and restoring them again is harmless)
 *  forgotten count (u32)
 *  sessions: key length (u32), key (8: the session key), value length (u32), value (see
 *      SessionTable#restoreEncoded), repeated
 *  forgotten session keys (u64 each)
 *  CRC32C of everything before it (u32)
 * </pre>
 *
 * All integers big-endian. A file that fails any check is ignored (the snapshot and journal still
 * hold everything), with a warning.
 */
final class SessionsFile {
    private static final System.Logger LOG = System.getLogger(SessionsFile.class.getName());
    static final String NAME = "sessions";
    private static final long MAGIC = 0x534D_4150_5345_5353L; // "SMAPSESS"
    private static final int FORMAT_VERSION = 1;

    /** Where in the journal to start restoring sessions. */
    record Position(long segment, long offset) {}

    private SessionsFile() {}

    /** Writes {@code sessions}, which hold the outcome of every sequenced record before {@code from}. */
    static void write(Path dir, SessionTable.Encoded sessions, Position from) throws IOException {
        List<byte[][]> all = sessions.sessions();
        long[] forgotten = sessions.forgotten();
        int size = 8 + 4 + 4 + 16 + 4 + forgotten.length * 8 + 4;
        for (byte[][] s : all) {
            size += 8 + s[0].length + s[1].length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(MAGIC)
                .putInt(FORMAT_VERSION)
                .putInt(all.size())
                .putLong(from.segment())
                .putLong(from.offset())
                .putInt(forgotten.length);
        for (byte[][] s : all) {
            b.putInt(s[0].length).put(s[0]).putInt(s[1].length).put(s[1]);
        }
        for (long f : forgotten) {
            b.putLong(f);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        b.flip();
        Path tmp = dir.resolve(NAME + ".tmp");
        try (FileChannel c = FileModes.openPrivate(tmp)) {
            while (b.hasRemaining()) {
                c.write(b);
            }
        }
        Files.move(tmp, dir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A loaded file: the sessions, and where in the journal to go on restoring them. */
    record Loaded(SessionTable sessions, Position position) {}

    /** Loads the file, or returns null if there is none or it is unusable (with a warning). */
    static @Nullable Loaded read(Path dir) {
        Path f = dir.resolve(NAME);
        byte[] all;
        try {
            all = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read " + f + " (" + e + "); sessions come from the journal");
            return null;
        }
        try {
            return parse(all);
        } catch (RuntimeException | StoreFormatException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    f + " is unusable (" + e.getMessage() + "); sessions come from the journal");
            return null;
        }
    }

    private static Loaded parse(byte[] all) throws StoreFormatException {
        if (all.length < 36) {
            throw new StoreFormatException("file of " + all.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(all, 0, all.length - 4);
        ByteBuffer b = ByteBuffer.wrap(all);
        if (b.getInt(all.length - 4) != (int) crc.getValue()) {
            throw new StoreFormatException("checksum mismatch");
        }
        if (b.getLong() != MAGIC || b.getInt() != FORMAT_VERSION) {
            throw new StoreFormatException("not a sessions file of format " + FORMAT_VERSION);
        }
        int count = b.getInt();
        Position p = new Position(b.getLong(), b.getLong());
        int forgotten = b.getInt();
        SessionTable t = new SessionTable();
        for (int i = 0; i < count; i++) {
            byte[] key = new byte[b.getInt()];
            b.get(key);
            byte[] value = new byte[b.getInt()];
            b.get(value);
            String bad = t.restoreEncoded(key, value);
            if (bad != null) {
                throw new StoreFormatException(bad);
            }
        }
        for (int i = 0; i < forgotten; i++) {
            t.restoreForgotten(b.getLong());
        }
        if (b.remaining() != 4) {
            throw new StoreFormatException(b.remaining() - 4 + " bytes after the last entry");
        }
        return new Loaded(t, p);
    }
}
