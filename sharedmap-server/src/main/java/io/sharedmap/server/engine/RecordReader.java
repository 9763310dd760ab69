package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import io.sharedmap.server.security.Owner;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import org.jspecify.annotations.Nullable;

/**
 * Reads the records of a journal segment or snapshot in order. Reading stops at the end of the
 * file or at the first record that cannot be trusted; {@link #problem()} then says what was wrong
 * and {@link #validEnd()} where the last good record ended, as leveldb's LogReader reports a
 * corrupt or truncated tail instead of failing.
 */
final class RecordReader implements Closeable {
    /**
     * One record as stored; {@code clientId} and {@code sequence} are 0 unless the record is sequenced,
     * {@code owner} null unless it has owner fields.
     */
    record Record(
            int type,
            int flags,
            byte[] key,
            byte[] value,
            long version,
            long clientId,
            long sequence,
            @Nullable Owner owner,
            long deadline) {}

    private static final byte[] EMPTY = new byte[0];

    private final InputStream in;
    private final String file;
    private final long fileSize;
    private final RecordCodec codec = new RecordCodec();
    private final byte[] header =
            new byte[RECORD_HEADER_LENGTH + SEQUENCE_FIELDS_LENGTH + OWNER_FIELDS_LENGTH + DEADLINE_FIELD_LENGTH];
    private long offset;
    private @Nullable String problem;

    RecordReader(FileChannel channel, long startOffset, String file) throws IOException {
        this.file = file;
        this.fileSize = channel.size();
        channel.position(startOffset);
        this.in = new BufferedInputStream(Channels.newInputStream(channel), 1 << 16);
        this.offset = startOffset;
    }

    /** The next record, or null at the end of the file or at the first bad record (see {@link #problem()}). */
    @Nullable
    Record next() throws IOException {
        if (problem != null || offset == fileSize) {
            return null;
        }
        long start = offset;
        int got = in.readNBytes(header, 0, RECORD_HEADER_LENGTH);
        if (got < RECORD_HEADER_LENGTH) {
            return fail(start, "truncated record header (" + got + " of " + RECORD_HEADER_LENGTH + " bytes)");
        }
        ByteBuffer h = ByteBuffer.wrap(header);
        int storedCrc = h.getInt(RECORD_CRC_OFFSET);
        int length = h.getInt(RECORD_LENGTH_OFFSET);
        int type = header[RECORD_TYPE_OFFSET] & 0xFF;
        int flags = header[RECORD_FLAGS_OFFSET] & 0xFF;
        int keyLength = h.getShort(RECORD_KEY_LENGTH_OFFSET) & 0xFFFF;
        int valueLength = h.getInt(RECORD_VALUE_LENGTH_OFFSET);
        long version = h.getLong(RECORD_VERSION_OFFSET);
        String bad = RecordCodec.headerProblem(length, type, flags, keyLength, valueLength);
        if (bad != null) {
            return fail(start, bad);
        }
        if (start + length > fileSize) {
            return fail(start, "truncated record (" + (fileSize - start) + " of " + length + " bytes)");
        }
        int headerLength = RECORD_HEADER_LENGTH;
        long clientId = 0;
        long sequence = 0;
        if ((flags & FLAG_SEQUENCED) != 0) {
            if (in.readNBytes(header, RECORD_HEADER_LENGTH, SEQUENCE_FIELDS_LENGTH) < SEQUENCE_FIELDS_LENGTH) {
                return fail(start, "truncated record (file changed while reading)");
            }
            headerLength += SEQUENCE_FIELDS_LENGTH;
            clientId = h.getLong(RECORD_HEADER_LENGTH);
            sequence = h.getLong(RECORD_HEADER_LENGTH + 8);
        }
        int ownerAt = headerLength;
        if ((flags & FLAG_OWNED) != 0) {
            if (in.readNBytes(header, headerLength, OWNER_FIELDS_LENGTH) < OWNER_FIELDS_LENGTH) {
                return fail(start, "truncated record (file changed while reading)");
            }
            headerLength += OWNER_FIELDS_LENGTH;
        }
        long deadline = 0;
        if ((flags & FLAG_DEADLINE) != 0) {
            if (in.readNBytes(header, headerLength, DEADLINE_FIELD_LENGTH) < DEADLINE_FIELD_LENGTH) {
                return fail(start, "truncated record (file changed while reading)");
            }
            deadline = h.getLong(headerLength);
            headerLength += DEADLINE_FIELD_LENGTH;
        }
        byte[] key = keyLength == 0 ? EMPTY : new byte[keyLength];
        byte[] value = valueLength == 0 ? EMPTY : new byte[valueLength];
        try {
            readFully(key);
            readFully(value);
        } catch (EOFException e) {
            return fail(start, "truncated record (file changed while reading)");
        }
        if (codec.recordCrc(header, headerLength, key, value) != storedCrc) {
            return fail(start, "checksum mismatch");
        }
        if (version <= 0
                && (type == TYPE_PUT
                        || type == TYPE_DELETE
                        || type == TYPE_OUTCOME
                        || type == TYPE_META
                        || type == TYPE_DEADLINE)) {
            return fail(start, "bad version " + version);
        }
        if (deadline < 0 || type == TYPE_PUT && (flags & FLAG_DEADLINE) != 0 && deadline == 0) {
            return fail(start, "bad deadline " + deadline);
        }
        if ((flags & FLAG_SEQUENCED) != 0 && (clientId == 0 || sequence <= 0)) {
            return fail(start, "bad client id " + clientId + " or sequence " + sequence);
        }
        Owner owner = null;
        if ((flags & FLAG_OWNED) != 0) {
            int mode = h.getShort(ownerAt + 8) & 0xFFFF;
            if ((mode & ~Owner.MODE_MASK) != 0 || h.getShort(ownerAt + 10) != 0) {
                return fail(start, String.format("bad owner fields (mode 0%o)", mode));
            }
            owner = new Owner(h.getInt(ownerAt), h.getInt(ownerAt + 4), mode);
        }
        offset = start + length;
        return new Record(type, flags, key, value, version, clientId, sequence, owner, deadline);
    }

    private void readFully(byte[] b) throws IOException {
        if (in.readNBytes(b, 0, b.length) < b.length) {
            throw new EOFException();
        }
    }

    private @Nullable Record fail(long at, String why) {
        problem = file + " at offset " + at + ": " + why;
        offset = at;
        return null;
    }

    /** What stopped the reading, or null if it reached the end of the file cleanly. */
    @Nullable
    String problem() {
        return problem;
    }

    /** Offset just after the last good record read. */
    long validEnd() {
        return offset;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
