package io.sharedmap.server;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameHeader;
import io.sharedmap.protocol.RequestFramer;
import io.sharedmap.protocol.Status;
import io.sharedmap.protocol.WatchCodec;
import io.sharedmap.server.engine.WatchHub;
import io.sharedmap.server.security.Caller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The connection's side of a watch: once a WATCH is accepted, its connection carries only push
 * frames, which this pump writes from the watch's subscription ({@link WatchHub.Subscription}): the
 * history first, then each change as it is published, a PROGRESS event when the watch has been idle
 * for a second and the daemon has moved on, and finally one WATCH_END (fell behind, history
 * compacted, daemon stopping), after which the connection closes. A client cancels by closing the
 * connection (the next write fails).
 *
 * <p>A client that stops reading blocks the pump's write: the daemon's stall timeout closes such a
 * connection as it closes any other whose replies are not read (the pump reports its writes).
 * Meanwhile the subscription, not drained, is cut as fallen behind, so the daemon's memory stays
 * bounded either way.
 *
 * <p>Threads: it runs on a thread of its own (the connection leaves its I/O thread's loop for it,
 * {@link ServedConnection}), which parks between events; the hub's ready callback (called by the
 * journal's leader, which must never block) only unparks it. It holds no lock while it writes. So
 * each watch holds one daemon thread; watches count against {@code --max-connections} like any
 * connection.
 */
final class WatchPump {
    private static final System.Logger LOG = System.getLogger(WatchPump.class.getName());
    private static final byte[] EMPTY = new byte[0];
    private static final long PROGRESS_AFTER_NS = TimeUnit.SECONDS.toNanos(1);
    /** Idle watches are sent a PROGRESS at least this often, so a closed client is noticed. */
    private static final long HEARTBEAT_NS = TimeUnit.SECONDS.toNanos(10);

    private static final long PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);

    /** Non-blocking (it was its loop's); writes wait for room with {@link #writable}. */
    private final SocketChannel channel;

    private @Nullable Selector writable;
    private final WatchHub hub;
    private final Caller caller;
    private final BooleanSupplier stopping;
    private final String peer;
    private final ByteBuffer out = ByteBuffer.allocateDirect(64 << 10);
    /** Told when a write starts ({@code System.nanoTime()}) and ends (0): a client that stops reading is a stall. */
    private final LongConsumer writing;

    WatchPump(
            SocketChannel channel,
            WatchHub hub,
            Caller caller,
            BooleanSupplier stopping,
            String peer,
            LongConsumer writing) {
        this.writing = writing;
        this.channel = channel;
        this.hub = hub;
        this.caller = caller;
        this.stopping = stopping;
        this.peer = peer;
    }

    /** Serves the watch {@code q} asks for until it ends; the connection is then to be closed. */
    void run(RequestFramer.Request q) throws IOException {
        try {
            serve(q);
        } finally {
            closeSelector();
        }
    }

    private void serve(RequestFramer.Request q) throws IOException {
        int options = q.value()[0] & 0xFF;
        boolean prefix = (options & WatchCodec.OPTION_PREFIX) != 0;
        boolean values = (options & WatchCodec.OPTION_VALUES) != 0;
        if ((options & ~(WatchCodec.OPTION_PREFIX | WatchCodec.OPTION_VALUES)) != 0) {
            error(
                    ErrorCode.INVALID_ARGUMENT,
                    "WATCH: options 0x" + Integer.toHexString(options)
                            + " has bits other than PREFIX (0x01) and VALUES (0x02)");
            return;
        }
        if (!prefix && q.key().length == 0) {
            error(ErrorCode.KEY_EMPTY, "WATCH: key is empty; give a key, or set PREFIX to watch a prefix");
            return;
        }
        Thread pump = Thread.currentThread();
        WatchHub.Subscription s;
        try {
            s = hub.subscribe(caller, q.key(), prefix, values, q.arg(), () -> LockSupport.unpark(pump));
        } catch (WatchHub.HistoryCompactedException e) {
            end(WatchCodec.EndReason.COMPACTED, e.currentVersion(), String.valueOf(e.getMessage()));
            return;
        }
        try (s) {
            frame(Status.WATCHING, EMPTY, EMPTY, s.start());
            flush();
            long[] sent = {s.start()};
            try {
                s.replay(e -> {
                    event(e);
                    sent[0] = e.version();
                });
            } catch (WatchHub.HistoryCompactedException e) {
                end(WatchCodec.EndReason.COMPACTED, e.currentVersion(), String.valueOf(e.getMessage()));
                return;
            }
            flush();
            long idleSince = System.nanoTime();
            long lastFrame = idleSince;
            while (true) {
                // The published version first: every change up to it is in the queue by then.
                long published = s.publishedVersion();
                boolean any = false;
                WatchHub.Event e;
                while ((e = s.poll()) != null) {
                    event(e);
                    sent[0] = e.version();
                    any = true;
                }
                long behind = s.fellBehindAt();
                if (behind >= 0) {
                    end(
                            WatchCodec.EndReason.FELL_BEHIND,
                            behind,
                            "the watcher fell behind (more than " + WatchHub.QUEUE_EVENTS + " changes or "
                                    + (WatchHub.QUEUE_BYTES >> 20) + " MiB unread); watch again from version "
                                    + behind);
                    return;
                }
                long resume = Math.max(sent[0], published);
                if (stopping.getAsBoolean()) {
                    end(
                            WatchCodec.EndReason.SHUTTING_DOWN,
                            resume,
                            "the daemon is stopping; watch again from version " + resume);
                    return;
                }
                long now = System.nanoTime();
                if (any) {
                    flush();
                    idleSince = now;
                    lastFrame = now;
                    continue;
                }
                if (now - idleSince >= PROGRESS_AFTER_NS && published > sent[0] || now - lastFrame >= HEARTBEAT_NS) {
                    frame(Status.EVENT, EMPTY, WatchCodec.event(WatchCodec.Kind.PROGRESS, EMPTY), resume);
                    flush();
                    sent[0] = resume;
                    idleSince = now;
                    lastFrame = now;
                }
                LockSupport.parkNanos(PARK_NS);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "watch of " + peer + " ended: " + e);
        }
    }

    private void event(WatchHub.Event e) throws IOException {
        WatchCodec.Kind kind = switch (e.kind()) {
            case SET -> WatchCodec.Kind.SET;
            case DELETE -> WatchCodec.Kind.DELETE;
            case EXPIRED -> WatchCodec.Kind.EXPIRED;
            case OWNER -> WatchCodec.Kind.OWNER;
            case DEADLINE -> WatchCodec.Kind.DEADLINE;
        };
        byte[] v = e.value();
        frame(Status.EVENT, e.key(), WatchCodec.event(kind, v != null ? v : EMPTY), e.version());
    }

    private void end(WatchCodec.EndReason reason, long version, String message) throws IOException {
        frame(Status.WATCH_END, EMPTY, WatchCodec.end(reason, message), version, FrameDescriptor.FLAG_CLOSING);
        flush();
    }

    private void error(ErrorCode code, String message) throws IOException {
        frame(Status.ERROR, EMPTY, ErrorCodec.encode(code, message), 0, FrameDescriptor.FLAG_CLOSING);
        flush();
    }

    private void frame(Status status, byte[] key, byte[] value, long version) throws IOException {
        frame(status, key, value, version, 0);
    }

    private void frame(Status status, byte[] key, byte[] value, long version, int flags) throws IOException {
        if (out.remaining() < FrameDescriptor.HEADER_LENGTH + key.length + value.length) {
            flush();
        }
        if (out.remaining() >= FrameDescriptor.HEADER_LENGTH + key.length + value.length) {
            FrameHeader.write(out, status.code(), flags, key.length, value.length, version);
            out.put(key);
            out.put(value);
            return;
        }
        ByteBuffer header = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH);
        FrameHeader.write(header, status.code(), flags, key.length, value.length, version);
        writing.accept(System.nanoTime());
        try {
            writeFully(header.flip(), ByteBuffer.wrap(key), ByteBuffer.wrap(value));
        } finally {
            writing.accept(0);
        }
    }

    private void flush() throws IOException {
        out.flip();
        writing.accept(System.nanoTime());
        try {
            writeFully(out);
        } finally {
            writing.accept(0);
        }
        out.clear();
    }

    /** Writes everything, waiting for room in the socket when it is full (the channel is non-blocking). */
    private void writeFully(ByteBuffer... buffers) throws IOException {
        while (true) {
            channel.write(buffers);
            boolean left = false;
            for (ByteBuffer b : buffers) {
                left |= b.hasRemaining();
            }
            if (!left) {
                return;
            }
            Selector s = writable;
            if (s == null) {
                s = Selector.open();
                channel.register(s, SelectionKey.OP_WRITE);
                writable = s;
            }
            s.select(PARK_NS / 1_000_000); // room, or a tenth of a second: the write is tried again
            s.selectedKeys().clear();
        }
    }

    private void closeSelector() {
        Selector s = writable;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the watch's selector: " + e);
            }
        }
    }
}
