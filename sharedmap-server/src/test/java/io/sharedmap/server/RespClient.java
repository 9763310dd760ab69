package io.sharedmap.server;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A raw RESP connection for tests: writes bytes as given, reads one complete reply at a time and
 * returns it as its exact wire text (nested aggregates included), so tests compare bytes. Reads
 * block; the tests using it carry a JUnit timeout, which interrupts (and so closes) the channel.
 */
final class RespClient implements AutoCloseable {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024).flip();

    RespClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
    }

    /** A connection to 127.0.0.1:{@code port} (the RESP TCP listener). */
    RespClient(int port) throws IOException {
        channel = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    /** Sends {@code text} (Latin-1, so any byte can be written). */
    RespClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RespClient send(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
        return this;
    }

    /** Sends one command as an array of bulk strings, as client libraries do. */
    RespClient command(String... args) throws IOException {
        StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            b.append('$')
                    .append(a.getBytes(StandardCharsets.ISO_8859_1).length)
                    .append("\r\n")
                    .append(a)
                    .append("\r\n");
        }
        return send(b.toString());
    }

    /** Sends a command and reads its reply. */
    String call(String... args) throws IOException {
        return command(args).reply();
    }

    /** One complete reply, as its wire text. */
    String reply() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        readValue(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** True when the daemon has closed the connection (after whatever replies are still unread, which are dropped). */
    boolean closedByPeer() throws IOException {
        while (true) {
            in.clear();
            int n = channel.read(in);
            in.flip();
            if (n < 0) {
                return true;
            }
        }
    }

    private void readValue(ByteArrayOutputStream out) throws IOException {
        String line = readLine();
        out.writeBytes(line.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(new byte[] {'\r', '\n'});
        char type = line.charAt(0);
        int n = switch (type) {
            case '$', '*', '%', '~', '>', '=', '!' -> Integer.parseInt(line.substring(1));
            default -> -1;
        };
        if (n < 0) {
            return;
        }
        switch (type) {
            case '$', '=', '!' -> {
                for (int i = 0; i < n + 2; i++) {
                    out.write(readByte());
                }
            }
            case '%' -> {
                for (int i = 0; i < 2 * n; i++) {
                    readValue(out);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    readValue(out);
                }
            }
        }
    }

    private String readLine() throws IOException {
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = readByte();
            if (c == '\n' && b.length() > 0 && b.charAt(b.length() - 1) == '\r') {
                b.setLength(b.length() - 1);
                return b.toString();
            }
            b.append((char) c);
        }
    }

    private int readByte() throws IOException {
        if (!in.hasRemaining()) {
            in.clear();
            int n = channel.read(in);
            in.flip();
            if (n < 0) {
                throw new EOFException("the daemon closed the connection");
            }
        }
        return in.get() & 0xff;
    }

    /** Half-closes: the daemon reads end-of-file after what was sent. */
    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
