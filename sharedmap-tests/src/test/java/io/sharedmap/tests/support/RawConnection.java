package io.sharedmap.tests.support;

import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.FrameHeader;
import io.sharedmap.protocol.HelloCodec;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A hand-driven protocol connection for bad-input tests: send any bytes, read response frames, see
 * EOF. Every read and write is bounded by a deadline (the channel is non-blocking under a selector),
 * so a daemon that never answers fails the test instead of hanging it.
 */
public final class RawConnection implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    /** One response frame as read from the wire. */
    public record Response(FrameHeader header, byte[] key, byte[] value) {
        public Status status() {
            return Status.fromCode(header.type());
        }

        public boolean closing() {
            return (header.flags() & FrameDescriptor.FLAG_CLOSING) != 0;
        }

        public long version() {
            return header.arg();
        }

        public ErrorCodec.ErrorReply error() {
            if (status() != Status.ERROR) {
                throw new AssertionError("expected an ERROR reply but got " + this);
            }
            return ErrorCodec.decode(value);
        }

        public String valueAsString() {
            return new String(value, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            String v = status() == Status.ERROR ? ErrorCodec.decode(value).toString() : value.length + " value bytes";
            return "Response[" + status() + " flags=" + header.flags() + " version=" + header.arg() + " key="
                    + key.length + " bytes, " + v + "]";
        }
    }

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;

    private RawConnection(SocketChannel channel, Selector selector, SelectionKey key) {
        this.channel = channel;
        this.selector = selector;
        this.key = key;
    }

    /** Connects without sending anything. */
    public static RawConnection open(Path socket) {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            Selector sel = Selector.open();
            SelectionKey k = ch.register(sel, 0);
            return new RawConnection(ch, sel, k);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + socket, e);
        }
    }

    /** Connects and completes the hello; fails unless the daemon answers HELLO. */
    public static RawConnection openWithHello(Path socket) {
        RawConnection c = open(socket);
        HelloCodec.ServerHello hello = c.hello();
        if (hello.protocolVersion() != FrameDescriptor.PROTOCOL_VERSION) {
            throw new AssertionError("daemon answered hello with " + hello);
        }
        return c;
    }

    public static byte[] clientHello() {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.HELLO_LENGTH);
        HelloCodec.writeClientHello(b, FrameDescriptor.PROTOCOL_VERSION);
        return b.array();
    }

    /** Connects and completes a session hello for {@code clientId}. */
    public static RawConnection openWithSession(Path socket, long clientId) {
        RawConnection c = open(socket);
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.SESSION_HELLO_LENGTH);
        HelloCodec.writeSessionHello(b, FrameDescriptor.PROTOCOL_VERSION, clientId);
        c.send(b.array());
        Response r = c.read();
        if (r.status() != Status.HELLO) {
            throw new AssertionError("expected HELLO for a session hello but got " + r);
        }
        return c;
    }

    /** A sequenced SET, CAS or DELETE (for a session connection). */
    public static byte[] sequenced(Opcode op, long sequence, byte[] key, byte[] value, long arg) {
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.sequencedLength(key.length, value.length));
        FrameEncoder.writeSequencedRequest(b, op, sequence, key, value, arg);
        return b.array();
    }

    public static byte[] sequenced(Opcode op, long sequence, String key, String value, long arg) {
        return sequenced(
                op, sequence, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), arg);
    }

    /** Sends raw request bytes and reads the one reply. */
    public Response call(byte[] request) {
        send(request);
        return read();
    }

    public static byte[] request(Opcode op, byte[] key, byte[] value, long arg) {
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.encodedLength(key.length, value.length));
        FrameEncoder.writeRequest(b, op, key, value, arg);
        return b.array();
    }

    public static byte[] request(Opcode op, String key, String value, long arg) {
        return request(op, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), arg);
    }

    /** Sends the hello and reads the HELLO reply. */
    public HelloCodec.ServerHello hello() {
        send(clientHello());
        Response r = read();
        if (r.status() != Status.HELLO) {
            throw new AssertionError("expected HELLO but got " + r);
        }
        return HelloCodec.readServerHello(ByteBuffer.wrap(r.value()));
    }

    /** Sends a request and reads its reply. */
    public Response call(Opcode op, byte[] k, byte[] v, long arg) {
        send(request(op, k, v, arg));
        return read();
    }

    public Response call(Opcode op, String k, String v, long arg) {
        send(request(op, k, v, arg));
        return read();
    }

    public void send(byte[] bytes) {
        send(ByteBuffer.wrap(bytes), DEFAULT_TIMEOUT);
    }

    /** Writes all of {@code src}, waiting at most {@code timeout} for the daemon to take it. */
    public void send(ByteBuffer src, Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        try {
            while (src.hasRemaining()) {
                if (channel.write(src) == 0) {
                    await(SelectionKey.OP_WRITE, deadline, "write " + src.remaining() + " more bytes");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("write failed with " + src.remaining() + " bytes unsent", e);
        }
    }

    /**
     * Writes as much of {@code src} as the socket takes without blocking for longer than {@code
     * stall}; returns the number of bytes written. For clients that flood and never read.
     */
    public long sendUntilStalled(ByteBuffer src, Duration stall) throws IOException {
        long written = 0;
        while (src.hasRemaining()) {
            int n = channel.write(src);
            written += n;
            if (n == 0) {
                key.interestOps(SelectionKey.OP_WRITE);
                int ready = selector.select(Math.max(1, stall.toMillis()));
                key.interestOps(0);
                selector.selectedKeys().clear();
                if (ready == 0) {
                    return written;
                }
            }
        }
        return written;
    }

    public Response read() {
        return read(DEFAULT_TIMEOUT);
    }

    /** Reads one response frame; fails on EOF or timeout. */
    public Response read(Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        ByteBuffer h = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH);
        readFully(h, deadline);
        h.flip();
        FrameHeader header = FrameHeader.read(h);
        String problem = header.framingProblem();
        if (problem != null) {
            throw new AssertionError("daemon sent a malformed frame: " + problem + " " + header);
        }
        ByteBuffer k = ByteBuffer.allocate(header.keyLength());
        ByteBuffer v = ByteBuffer.allocate(header.valueLength());
        readFully(k, deadline);
        readFully(v, deadline);
        return new Response(header, k.array(), v.array());
    }

    private void readFully(ByteBuffer dst, Deadline deadline) {
        try {
            while (dst.hasRemaining()) {
                int n = channel.read(dst);
                if (n < 0) {
                    throw new AssertionError(
                            "EOF from daemon after " + dst.position() + " of " + dst.capacity() + " bytes");
                }
                if (n == 0) {
                    await(SelectionKey.OP_READ, deadline, "read " + dst.remaining() + " more bytes");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("read failed", e);
        }
    }

    /**
     * Waits until the daemon closes the connection: true on EOF or a reset, false if it is still open
     * at the deadline. Any bytes that arrive meanwhile fail the test.
     */
    public boolean awaitEof(Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        ByteBuffer b = ByteBuffer.allocate(4096);
        try {
            while (true) {
                b.clear();
                int n = channel.read(b);
                if (n < 0) {
                    return true;
                }
                if (n > 0) {
                    throw new AssertionError("expected EOF but the daemon sent " + n + " more bytes");
                }
                if (deadline.expired()) {
                    return false;
                }
                key.interestOps(SelectionKey.OP_READ);
                selector.select(Math.max(1, deadline.remainingMs()));
                key.interestOps(0);
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            return true; // connection reset: closed as well
        }
    }

    private void await(int op, Deadline deadline, String what) throws IOException {
        if (deadline.expired()) {
            throw new AssertionError("timed out waiting to " + what);
        }
        key.interestOps(op);
        selector.select(Math.max(1, deadline.remainingMs()));
        key.interestOps(0);
        selector.selectedKeys().clear();
    }

    /** Half-closes the sending side. */
    public void shutdownOutput() {
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            selector.close();
            channel.close();
        } catch (IOException e) {
            // closing
        }
    }
}
