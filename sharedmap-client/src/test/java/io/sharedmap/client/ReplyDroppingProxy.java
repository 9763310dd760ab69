package io.sharedmap.client;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Unix socket proxy between a client and a daemon that can lose a reply on purpose: armed with
 * {@link #dropAfter(int) dropAfter(n)}, it forwards the next {@code n} reply frames (HELLO replies
 * not counted), then, instead of forwarding the one after, closes both sides of that connection.
 * The daemon has executed the request; the client never sees its answer: the moment a daemon
 * killed after applying a change and before replying leaves behind, made deterministic.
 */
final class ReplyDroppingProxy extends ForwardingProxy {
    private static final int DISARMED = -1;

    private final AtomicInteger forwardBeforeDrop = new AtomicInteger(DISARMED);
    private final AtomicLong dropped = new AtomicLong();

    ReplyDroppingProxy(Path socket, Path upstream) throws IOException {
        super(socket, upstream, "proxy");
        start();
    }

    /** Forwards {@code n} more replies, then drops the connection instead of forwarding the next one. */
    void dropAfter(int n) {
        forwardBeforeDrop.set(n);
    }

    /** Connections dropped so far. */
    long dropped() {
        return dropped.get();
    }

    @Override
    void up(SocketChannel client, SocketChannel daemon) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        while (client.read(buf) >= 0) {
            buf.flip();
            writeAll(daemon, buf);
            buf.clear();
        }
    }

    /** Forwards whole reply frames, one at a time, dropping the connection when armed. */
    @Override
    void down(SocketChannel daemon, SocketChannel client) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH);
        while (true) {
            header.clear();
            if (!readFully(daemon, header)) {
                return;
            }
            int frameLength = header.getInt(0);
            int type = header.get(FrameDescriptor.TYPE_OFFSET) & 0xFF;
            ByteBuffer body = ByteBuffer.allocate(frameLength - FrameDescriptor.HEADER_LENGTH_AFTER_LENGTH_FIELD);
            if (!readFully(daemon, body)) {
                return;
            }
            if (type != Status.HELLO.code() && shouldDrop()) {
                dropped.incrementAndGet();
                return; // both sides are closed: the client never sees this reply
            }
            header.flip();
            body.flip();
            writeAll(client, header);
            writeAll(client, body);
        }
    }

    private boolean shouldDrop() {
        while (true) {
            int n = forwardBeforeDrop.get();
            if (n == DISARMED) {
                return false;
            }
            if (forwardBeforeDrop.compareAndSet(n, n == 0 ? DISARMED : n - 1)) {
                return n == 0;
            }
        }
    }

    private static boolean readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                return false;
            }
        }
        return true;
    }
}
