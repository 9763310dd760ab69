package io.sharedmap.tests.support;

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

/**
 * A {@link Socket} over a JDK Unix domain {@link SocketChannel}, so that Jedis (which takes a {@code
 * Socket} from its {@code JedisSocketFactory}) reaches a Unix socket. Only what Jedis calls works;
 * reads block (the tests using it carry timeouts).
 */
public final class UnixSocketForJedis extends Socket {
    private final SocketChannel channel;
    private final UnixDomainSocketAddress address;
    private final InputStream in;
    private final OutputStream out;
    private int soTimeout;

    private UnixSocketForJedis(SocketChannel channel, UnixDomainSocketAddress address) {
        this.channel = channel;
        this.address = address;
        this.in = Channels.newInputStream(channel);
        this.out = Channels.newOutputStream(channel);
    }

    public static UnixSocketForJedis connect(Path path) throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(address);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new UnixSocketForJedis(channel, address);
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
    public String toString() {
        return "UnixSocketForJedis[" + address.getPath() + "]";
    }
}
