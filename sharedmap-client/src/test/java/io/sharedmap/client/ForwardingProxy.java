package io.sharedmap.client;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Unix socket proxy between clients and a real daemon, for tests that need the path between them
 * to misbehave: for each client it accepts it opens a connection to the daemon and runs two pump
 * threads, {@link #up} (client to daemon) and {@link #down} (daemon to client), which subclasses
 * write. A pump that returns or fails closes both sides.
 */
abstract class ForwardingProxy implements AutoCloseable {
    final Path socket;
    private final Path upstream;
    private final String name;
    private final ServerSocketChannel server;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private final AtomicLong connections = new AtomicLong();
    private Thread acceptor;

    /** Binds {@code socket}; call {@link #start()} once the subclass is constructed. */
    ForwardingProxy(Path socket, Path upstream, String name) throws IOException {
        this.socket = socket;
        this.upstream = upstream;
        this.name = name;
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
    }

    /** Starts accepting (after the subclass's fields are set, which the pumps use). */
    final void start() {
        acceptor = Thread.ofPlatform().daemon().name(name + "-accept").start(this::acceptLoop);
    }

    /** Forwards client to daemon until one side closes. */
    abstract void up(SocketChannel client, SocketChannel daemon) throws IOException;

    /** Forwards daemon to client until one side closes. */
    abstract void down(SocketChannel daemon, SocketChannel client) throws IOException;

    /** Called first by {@link #close()}. */
    void beforeClose() {}

    /** Client connections accepted so far. */
    final long connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.incrementAndGet();
            SocketChannel daemon;
            try {
                daemon = SocketChannel.open(UnixDomainSocketAddress.of(upstream));
            } catch (IOException e) {
                closeQuietly(client);
                continue;
            }
            open.add(client);
            open.add(daemon);
            Thread.ofPlatform().daemon().name(name + "-up").start(() -> run(client, daemon, true));
            Thread.ofPlatform().daemon().name(name + "-down").start(() -> run(daemon, client, false));
        }
    }

    private void run(SocketChannel from, SocketChannel to, boolean isUp) {
        try {
            if (isUp) {
                up(from, to);
            } else {
                down(from, to);
            }
        } catch (IOException e) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Writes all of {@code buf} to {@code to}. */
    static void writeAll(SocketChannel to, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            to.write(buf);
        }
    }

    static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // abandoning it
        }
    }

    @Override
    public void close() throws IOException {
        beforeClose();
        server.close();
        for (SocketChannel ch : open) {
            closeQuietly(ch);
        }
        if (acceptor != null) {
            try {
                acceptor.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Files.deleteIfExists(socket);
    }
}
