package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.FLAG_OWNED;

import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.jspecify.annotations.Nullable;

/** Buffers records into large writes to one channel. Not thread-safe: owned by one writer at a time. */
final class RecordWriter {
    private final ByteBuffer buffer;
    private final RecordCodec codec = new RecordCodec();
    private FileChannel channel;
    private long bytes;

    RecordWriter(FileChannel channel, int bufferBytes) {
        this.channel = channel;
        this.buffer = ByteBuffer.allocateDirect(bufferBytes);
    }

    void channel(FileChannel c) {
        this.channel = c;
    }

    FileChannel channel() {
        return channel;
    }

    /** Queues one unsequenced record; values larger than the buffer go straight to the channel. */
    void write(int type, byte[] key, byte[] value, long version) throws IOException {
        write(type, 0, 0, 0, key, value, version, null, 0);
    }

    /** Queues one unsequenced record with owner fields. */
    void write(int type, byte[] key, byte[] value, long version, Owner owner) throws IOException {
        write(type, FLAG_OWNED, 0, 0, key, value, version, owner, 0);
    }

    /** Queues one record; values larger than the buffer go straight to the channel. */
    void write(
            int type,
            int flags,
            long clientId,
            long sequence,
            byte[] key,
            byte[] value,
            long version,
            @Nullable Owner owner,
            long deadline)
            throws IOException {
        int length = RecordCodec.recordLength(flags, key.length, value.length);
        if (buffer.remaining() < length) {
            flush();
        }
        codec.writeRecordHeader(buffer, type, flags, clientId, sequence, key, value, version, owner, deadline);
        buffer.put(key);
        // Large values go through the direct buffer in pieces: writing a heap array directly would make
        // the JDK allocate (and cache, per thread) a native buffer as large as the value.
        for (int off = 0; off < value.length; ) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int n = Math.min(buffer.remaining(), value.length - off);
            buffer.put(value, off, n);
            off += n;
        }
        bytes += length;
    }

    /** Writes everything buffered to the channel (not fsync). */
    void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    /** Record bytes written through this writer so far. */
    long bytes() {
        return bytes;
    }
}
