package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.FrameHeader;
import io.sharedmap.protocol.HelloCodec;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.ProtocolException;
import io.sharedmap.protocol.Status;
import io.sharedmap.protocol.WatchCodec;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A running watch of a key or prefix ({@link SharedMap#watch}): a thread of its own holds a
 * connection in the daemon's push mode and hands each change to the listener. When the connection
 * breaks or the daemon stops (or restarts), it connects again, within the reconnect window, and
 * resumes after the last version it saw, so the listener gets every change exactly once, in order.
 * A watch the daemon ends as fallen behind (the listener was too slow) resumes the same way.
 * {@link #close} stops it.
 */
public final class Watcher implements AutoCloseable {
    private static final long RETRY_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Path socket;
    private final byte[] key;
    private final boolean prefix;
    private final boolean values;
    private final Duration reconnectWindow;
    private final WatchListener listener;
    private final Thread thread;
    private volatile long lastVersion;
    private volatile boolean closed;
    private volatile @Nullable SocketChannel channel;

    Watcher(
            Path socket,
            byte[] key,
            boolean prefix,
            boolean values,
            long from,
            Duration reconnectWindow,
            WatchListener listener) {
        this.socket = socket;
        this.key = key.clone();
        this.prefix = prefix;
        this.values = values;
        this.reconnectWindow = reconnectWindow;
        this.listener = listener;
        this.lastVersion = from;
        this.thread = new Thread(this::run, "sharedmap-watch");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The last version the listener was given (or that the watch started after): where it would resume. */
    public long lastVersion() {
        return lastVersion;
    }

    /** Whether the watch has ended (closed, compacted, or failed). */
    public boolean ended() {
        return !thread.isAlive();
    }

    /** Stops the watch and waits (at most 10 s) for its thread. Idempotent. */
    @Override
    public void close() {
        closed = true;
        SocketChannel c = channel;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        LockSupport.unpark(thread);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Why one connection's stream ended. */
    private enum Ended {
        RECONNECT,
        DONE
    }

    private void run() {
        long downSince = 0;
        while (!closed) {
            Ended how;
            try {
                how = stream();
                downSince = 0;
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                long now = System.nanoTime();
                if (downSince == 0) {
                    downSince = now;
                } else if (now - downSince > reconnectWindow.toNanos()) {
                    listener.onError(Errors.cannotConnect(socket, e));
                    return;
                }
                LockSupport.parkNanos(RETRY_NS);
                continue;
            } catch (SharedMapException e) {
                if (!closed) {
                    listener.onError(e);
                }
                return;
            } catch (RuntimeException e) {
                if (!closed) {
                    listener.onError(new ServerFailureException(null, "the watch listener failed: " + e, e));
                }
                return;
            }
            if (how == Ended.DONE) {
                return;
            }
        }
    }

    /** One connection: hello, WATCH from the last version seen, then the push frames until the end. */
    private Ended stream() throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel = c;
            if (closed) {
                return Ended.DONE;
            }
            c.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer hello = ByteBuffer.allocate(8);
            HelloCodec.writeClientHello(hello, FrameDescriptor.PROTOCOL_VERSION);
            writeAll(c, hello.flip());
            in.clear().flip(); // a new connection: nothing buffered
            Frame h = read(c);
            if (h.status != Status.HELLO) {
                throw failure(h);
            }
            byte[] options = {(byte) ((prefix ? WatchCodec.OPTION_PREFIX : 0) | (values ? WatchCodec.OPTION_VALUES : 0))
            };
            ByteBuffer req = ByteBuffer.allocate(FrameEncoder.encodedLength(key.length, 1));
            FrameEncoder.writeRequest(req, Opcode.WATCH, key, options, lastVersion);
            writeAll(c, req.flip());
            Frame w = read(c);
            if (w.status == Status.WATCH_END) {
                return end(w);
            }
            if (w.status != Status.WATCHING) {
                throw failure(w);
            }
            lastVersion = Math.max(lastVersion, w.version); // from now on, resume after where it started
            while (!closed) {
                Frame f = read(c);
                if (f.status == Status.WATCH_END) {
                    return end(f);
                }
                if (f.status != Status.EVENT) {
                    throw failure(f);
                }
                WatchEvent e = event(f);
                if (e.version() <= lastVersion && e.kind() != WatchEvent.Kind.PROGRESS) {
                    throw Errors.violation("watch event version " + e.version() + " is not after " + lastVersion);
                }
                listener.onEvent(e);
                lastVersion = Math.max(lastVersion, e.version());
            }
            return Ended.DONE;
        } finally {
            channel = null;
        }
    }

    private Ended end(Frame f) {
        try {
            WatchCodec.EndReason r = WatchCodec.reasonOf(f.value);
            if (r == WatchCodec.EndReason.COMPACTED) {
                listener.onCompacted(f.version);
                return Ended.DONE;
            }
            lastVersion = Math.max(lastVersion, f.version); // every change up to it was delivered
            return Ended.RECONNECT; // fell behind, or the daemon is stopping: resume (on the next one)
        } catch (ProtocolException e) {
            throw Errors.violation("bad WATCH_END: " + e.getMessage());
        }
    }

    private WatchEvent event(Frame f) {
        try {
            WatchCodec.Kind k = WatchCodec.kindOf(f.value);
            WatchEvent.Kind kind = switch (k) {
                case PROGRESS -> WatchEvent.Kind.PROGRESS;
                case SET -> WatchEvent.Kind.SET;
                case DELETE -> WatchEvent.Kind.DELETE;
                case EXPIRED -> WatchEvent.Kind.EXPIRED;
                case OWNER -> WatchEvent.Kind.OWNER;
                case DEADLINE -> WatchEvent.Kind.DEADLINE;
            };
            byte[] v = k == WatchCodec.Kind.SET && values ? WatchCodec.valueOf(f.value) : null;
            return new WatchEvent(kind, f.key, f.version, v);
        } catch (ProtocolException e) {
            throw Errors.violation("bad watch event: " + e.getMessage());
        }
    }

    private SharedMapException failure(Frame f) {
        if (f.status == Status.ERROR) {
            return Errors.forReply(ErrorCodec.decode(f.value));
        }
        return Errors.violation("unexpected " + f.status + " on a watch");
    }

    private record Frame(Status status, byte[] key, byte[] value, long version) {}

    /** Frames are read through this buffer: one system call brings many small events. */
    private final ByteBuffer in = ByteBuffer.allocate(64 << 10).flip();

    private Frame read(SocketChannel c) throws IOException {
        fill(c, FrameDescriptor.HEADER_LENGTH);
        FrameHeader fh = FrameHeader.read(in);
        Status s = Status.fromCode(fh.type());
        if (s == null || fh.framingProblem(0) != null || fh.keyLength() > FrameDescriptor.MAX_KEY_LENGTH) {
            throw Errors.violation("bad frame on a watch (type " + fh.type() + ")");
        }
        byte[] k = new byte[fh.keyLength()];
        byte[] v = new byte[fh.valueLength()];
        take(c, k);
        take(c, v);
        return new Frame(s, k, v, fh.arg());
    }

    /** Makes at least {@code n} (at most the buffer's size) bytes readable in {@link #in}. */
    private void fill(SocketChannel c, int n) throws IOException {
        if (in.remaining() >= n) {
            return;
        }
        in.compact();
        try {
            while (in.position() < n) {
                if (c.read(in) < 0) {
                    throw new EOFException("the daemon closed the watch's connection");
                }
            }
        } finally {
            in.flip();
        }
    }

    /** Copies the next {@code b.length} bytes into {@code b}, reading as needed. */
    private void take(SocketChannel c, byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            fill(c, 1);
            int n = Math.min(in.remaining(), b.length - off);
            in.get(b, off, n);
            off += n;
        }
    }

    private static void writeAll(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    static void check(byte[] key, boolean prefix, long from) {
        if (!prefix && key.length == 0) {
            throw Errors.forCode(ErrorCode.KEY_EMPTY, "WATCH: key is empty; watch a prefix to watch every key");
        }
        if (key.length > FrameDescriptor.MAX_KEY_LENGTH) {
            throw Errors.forCode(
                    ErrorCode.KEY_TOO_LONG,
                    "WATCH: key of " + key.length + " bytes exceeds the limit of " + FrameDescriptor.MAX_KEY_LENGTH
                            + " bytes");
        }
        if (from < -1) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT, "WATCH: from version " + from + " is below -1 (-1: from now)");
        }
    }
}
