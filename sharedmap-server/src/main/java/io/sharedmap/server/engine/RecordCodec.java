package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.server.security.Owner;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/** Encodes and checks the records and file headers of {@link StoreFileDescriptor}. Not thread-safe. */
final class RecordCodec {
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer scratch = ByteBuffer.allocate(
            RECORD_HEADER_LENGTH + SEQUENCE_FIELDS_LENGTH + OWNER_FIELDS_LENGTH + DEADLINE_FIELD_LENGTH);

    static int recordLength(int keyLength, int valueLength) {
        return RECORD_HEADER_LENGTH + keyLength + valueLength;
    }

    static int recordLength(int flags, int keyLength, int valueLength) {
        return recordLength(keyLength, valueLength)
                + ((flags & FLAG_SEQUENCED) != 0 ? SEQUENCE_FIELDS_LENGTH : 0)
                + ((flags & FLAG_OWNED) != 0 ? OWNER_FIELDS_LENGTH : 0)
                + ((flags & FLAG_DEADLINE) != 0 ? DEADLINE_FIELD_LENGTH : 0);
    }

    /** Writes the record header (with its CRC) for an unsequenced record into {@code dst}. */
    void writeRecordHeader(ByteBuffer dst, int type, byte[] key, byte[] value, long version) {
        writeRecordHeader(dst, type, 0, 0, 0, key, value, version, null, 0);
    }

    /**
     * Writes the record header (with its CRC) into {@code dst}: 24 bytes, then, when {@code flags}
     * has {@link StoreFileDescriptor#FLAG_SEQUENCED}, the client id and sequence number, and when it has
     * {@link StoreFileDescriptor#FLAG_OWNED}, {@code owner}'s fields.
     */
    void writeRecordHeader(
            ByteBuffer dst,
            int type,
            int flags,
            long clientId,
            long sequence,
            byte[] key,
            byte[] value,
            long version,
            @Nullable Owner owner,
            long deadline) {
        boolean sequenced = (flags & FLAG_SEQUENCED) != 0;
        scratch.clear();
        scratch.putInt(0);
        scratch.putInt(recordLength(flags, key.length, value.length));
        scratch.put((byte) type);
        scratch.put((byte) flags);
        scratch.putShort((short) key.length);
        scratch.putInt(value.length);
        scratch.putLong(version);
        if (sequenced) {
            scratch.putLong(clientId);
            scratch.putLong(sequence);
        }
        if ((flags & FLAG_OWNED) != 0) {
            Objects.requireNonNull(owner, "an owned record needs its owner");
            scratch.putInt(owner.uid());
            scratch.putInt(owner.gid());
            scratch.putShort((short) owner.mode());
            scratch.putShort((short) 0);
        }
        if ((flags & FLAG_DEADLINE) != 0) {
            scratch.putLong(deadline);
        }
        int headerLength = scratch.position();
        crc.reset();
        crc.update(scratch.array(), RECORD_LENGTH_OFFSET, headerLength - RECORD_LENGTH_OFFSET);
        crc.update(key);
        crc.update(value);
        scratch.putInt(RECORD_CRC_OFFSET, (int) crc.getValue());
        dst.put(scratch.array(), 0, headerLength);
    }

    /** CRC32C of a record whose header (with any CRC) and payload are given; {@code header} may be longer. */
    int recordCrc(byte[] header, int headerLength, byte[] key, byte[] value) {
        crc.reset();
        crc.update(header, RECORD_LENGTH_OFFSET, headerLength - RECORD_LENGTH_OFFSET);
        crc.update(key);
        crc.update(value);
        return (int) crc.getValue();
    }

    /** A 32-byte file header. */
    byte[] fileHeader(long magic, long number, long baseVersion) {
        ByteBuffer b = ByteBuffer.allocate(FILE_HEADER_LENGTH);
        b.putLong(magic);
        b.putInt(FORMAT_VERSION);
        b.putInt(0);
        b.putLong(number);
        b.putLong(baseVersion);
        crc.reset();
        crc.update(b.array(), FILE_HEADER_CRC_START, FILE_HEADER_LENGTH - FILE_HEADER_CRC_START);
        b.putInt(FILE_HEADER_CRC_OFFSET, (int) crc.getValue());
        return b.array();
    }

    /** A checked file header. */
    record FileHeader(long number, long baseVersion, int formatVersion) {}

    /**
     * Checks a file header.
     *
     * @throws StoreFormatException naming the file and what is wrong (magic, version, checksum)
     */
    FileHeader readFileHeader(byte[] h, long expectedMagic, String file) throws StoreFormatException {
        if (h.length < FILE_HEADER_LENGTH) {
            throw new StoreFormatException(
                    file + ": file is " + h.length + " bytes, shorter than its " + FILE_HEADER_LENGTH + "-byte header");
        }
        ByteBuffer b = ByteBuffer.wrap(h);
        long magic = b.getLong();
        if (magic != expectedMagic) {
            throw new StoreFormatException(String.format(
                    "%s: bad magic 0x%016X, expected 0x%016X; not a sharedmap file", file, magic, expectedMagic));
        }
        int version = b.getInt();
        if (version < OLDEST_READABLE_FORMAT_VERSION || version > FORMAT_VERSION) {
            throw new StoreFormatException(file + ": format version " + version
                    + " is not supported; this sharedmap reads" + " format versions " + OLDEST_READABLE_FORMAT_VERSION
                    + " to " + FORMAT_VERSION + " (was the directory written by a newer sharedmap?)");
        }
        int storedCrc = b.getInt();
        crc.reset();
        crc.update(h, FILE_HEADER_CRC_START, FILE_HEADER_LENGTH - FILE_HEADER_CRC_START);
        if ((int) crc.getValue() != storedCrc) {
            throw new StoreFormatException(file + ": header checksum mismatch");
        }
        return new FileHeader(b.getLong(), b.getLong(), version);
    }

    /**
     * Why a record header cannot be trusted, or null. Checks only what the header says about itself;
     * the CRC is checked once the payload is read.
     */
    static @Nullable String headerProblem(int recordLength, int type, int flags, int keyLength, int valueLength) {
        if (type != TYPE_PUT
                && type != TYPE_DELETE
                && type != TYPE_SNAPSHOT_END
                && type != TYPE_SESSION
                && type != TYPE_OUTCOME
                && type != TYPE_META
                && type != TYPE_FORGOTTEN
                && type != TYPE_DEADLINE) {
            return "bad record type " + type;
        }
        int allowedFlags = switch (type) {
            case TYPE_PUT -> FLAG_SEQUENCED | FLAG_CREATED | FLAG_OWNED | FLAG_DEADLINE;
            case TYPE_META -> FLAG_OWNED;
            case TYPE_DEADLINE -> FLAG_DEADLINE | FLAG_OWNED;
            case TYPE_DELETE -> FLAG_SEQUENCED | FLAG_EXPIRED | FLAG_OWNED;
            case TYPE_OUTCOME -> FLAG_SEQUENCED;
            default -> 0;
        };
        if (type == TYPE_META && (flags & FLAG_OWNED) == 0) {
            return "meta record without owner fields";
        }
        if (type == TYPE_META && valueLength != 0) {
            return "meta record with value length " + valueLength;
        }
        if (type == TYPE_DEADLINE && ((flags & FLAG_DEADLINE) == 0 || valueLength != 0)) {
            return "deadline record without its deadline, or with value length " + valueLength;
        }
        if (type == TYPE_DELETE && (flags & FLAG_EXPIRED) != 0 && (flags & FLAG_SEQUENCED) != 0) {
            return "sequenced expiry";
        }
        if (type == TYPE_OUTCOME && (flags & FLAG_SEQUENCED) == 0) {
            return "outcome record without a sequence number";
        }
        if ((flags & ~allowedFlags) != 0 || (flags & FLAG_CREATED) != 0 && (flags & FLAG_SEQUENCED) == 0) {
            return "bad record flags " + flags + " for record type " + type;
        }
        if (valueLength < 0 || valueLength > FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH) {
            return "bad value length " + valueLength;
        }
        boolean keyOk = switch (type) {
            case TYPE_SNAPSHOT_END -> keyLength == 0 && valueLength == 8;
            case TYPE_SESSION -> keyLength == 8;
            case TYPE_FORGOTTEN -> keyLength == 8 && valueLength == 0;
            default -> keyLength >= 1 && keyLength <= FrameDescriptor.MAX_KEY_LENGTH;
        };
        if (!keyOk) {
            return "bad key length " + keyLength + " for record type " + type;
        }
        if (type == TYPE_DELETE && valueLength != 8) {
            return "delete record with value length " + valueLength;
        }
        if (type == TYPE_OUTCOME && valueLength != 9) {
            return "outcome record with value length " + valueLength;
        }
        if (recordLength != recordLength(flags, keyLength, valueLength)) {
            return "bad length " + recordLength + " (key " + keyLength + " + value " + valueLength + " + header "
                    + RECORD_HEADER_LENGTH + ((flags & FLAG_SEQUENCED) != 0 ? " + sequence 16" : "")
                    + ((flags & FLAG_OWNED) != 0 ? " + owner 12" : "")
                    + ((flags & FLAG_DEADLINE) != 0 ? " + deadline 8" : "") + ")";
        }
        return null;
    }
}
