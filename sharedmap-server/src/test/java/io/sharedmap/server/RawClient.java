package io.sharedmap.server;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.FrameHeader;
import io.sharedmap.protocol.HelloCodec;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.Status;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** A minimal client speaking raw frames, so server tests do not depend on the client library. */
final class RawClient implements AutoCloseable {
    record Reply(Status status, int flags, byte[] key, byte[] value, long version) {}

    final SocketChannel channel;

    RawClient(Path socket, boolean hello) throws IOException {
        this(socket, hello, 0);
    }

    /** With {@code clientId} non-zero, opens a session (the hello carries the client id). */
    RawClient(Path socket, boolean hello, long clientId) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        if (hello) {
            ByteBuffer b = ByteBuffer.allocate(
                    clientId == 0 ? FrameDescriptor.HELLO_LENGTH : FrameDescriptor.SESSION_HELLO_LENGTH);
            if (clientId == 0) {
                HelloCodec.writeClientHello(b, FrameDescriptor.PROTOCOL_VERSION);
            } else {
                HelloCodec.writeSessionHello(b, FrameDescriptor.PROTOCOL_VERSION, clientId);
            }
            writeRaw(b.array());
            Reply r = read();
            if (r.status() != Status.HELLO) {
                throw new IOException("hello refused: " + r);
            }
        }
    }

    void send(Opcode op, byte[] key, byte[] value, long arg) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.encodedLength(key.length, value.length));
        FrameEncoder.writeRequest(b, op, key, value, arg);
        writeRaw(b.array());
    }

    Reply callSequenced(Opcode op, long sequence, byte[] key, byte[] value, long arg) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.sequencedLength(key.length, value.length));
        FrameEncoder.writeSequencedRequest(b, op, sequence, key, value, arg);
        writeRaw(b.array());
        return read();
    }

    Reply call(Opcode op, byte[] key, byte[] value, long arg) throws IOException {
        send(op, key, value, arg);
        return read();
    }

    void writeRaw(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    Reply read() throws IOException {
        ByteBuffer h = readExactly(FrameDescriptor.HEADER_LENGTH);
        FrameHeader header = FrameHeader.read(h);
        byte[] key = readExactly(header.keyLength()).array();
        byte[] value = readExactly(header.valueLength()).array();
        return new Reply(Status.fromCode(header.type()), header.flags(), key, value, header.arg());
    }

    /** True when the server closed the connection (EOF) before any byte arrived. */
    boolean atEof() throws IOException {
        return channel.read(ByteBuffer.allocate(1)) < 0;
    }

    private ByteBuffer readExactly(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException("server closed after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.flip();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
