package io.sharedmap.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Socket} over a JDK Unix domain {@link SocketChannel}, so that a client library that
 * takes a {@code Socket} (Jedis, through its {@code JedisSocketFactory}) can reach a Unix socket
 * without native code or JVM flags. Only what such a client calls is supported: the streams,
 * close, the state queries and a recorded (not enforced) read timeout. Used by the benchmark's Redis
 * target and by the tests' Jedis clients of the RESP socket.
 */
public final class UnixSocket extends Socket {
    private final SocketChannel channel;
    private final UnixDomainSocketAddress address;
    private final InputStream in;
    private final OutputStream out;
    private int soTimeout;

    private UnixSocket(SocketChannel channel, UnixDomainSocketAddress address) {
        this.channel = channel;
        this.address = address;
        this.in = Channels.newInputStream(channel);
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects a blocking channel to {@code path}. */
    public static UnixSocket connect(Path path) throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(address);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new UnixSocket(channel, address);
    }

    @Override
    public InputStream getInputStream() {
        return in;
    }

    @Override
    public OutputStream getOutputStream() {
        return out;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    @Override
    public boolean isConnected() {
        return channel.isConnected();
    }

    @Override
    public boolean isBound() {
        return true;
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    @Override
    public boolean isInputShutdown() {
        return false;
    }

    @Override
    public boolean isOutputShutdown() {
        return false;
    }

    @Override
    public synchronized void setSoTimeout(int timeout) {
        soTimeout = timeout;
    }

    @Override
    public synchronized int getSoTimeout() {
        return soTimeout;
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return address;
    }

    @Override
    public @Nullable SocketAddress getLocalSocketAddress() {
        return null;
    }

    @Override
    public String toString() {
        return "UnixSocket[" + address.getPath() + "]";
    }
}
