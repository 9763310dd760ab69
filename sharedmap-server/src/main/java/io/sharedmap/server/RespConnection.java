package io.sharedmap.server;

import io.sharedmap.os.transport.SpinChannel;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.JournalFailedException;
import io.sharedmap.server.resp.RespFramer;
import io.sharedmap.server.resp.RespOutput;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection of the Redis protocol front door, served by one platform thread, exactly as a
 * binary {@link Connection} is: the thread reads whatever bytes have arrived, decodes every complete
 * command ({@link RespFramer}), executes each against the engine in order ({@link RespCommands}),
 * then waits once for the journal to make the batch durable and writes all the replies in order. So
 * a pipelining client gets one group commit per batch, and replies leave in command order.
 *
 * <p>A reply is never written before the journal holds, as durably as the mode promises, every
 * change whose effect it shows (its {@code visibleVersion}); if the journal has failed, such replies
 * become {@code -ERR storage failure} errors instead. A protocol error (malformed RESP, a bulk string
 * over {@code --max-value-bytes}) is answered and the connection closed, as Redis does.
 *
 * <p>Memory: one command in flight, of at most {@code --max-value-bytes} + 1 MiB (arguments and 32
 * bytes of overhead each); what a command holds beyond its first 64 KiB is taken from the daemon's
 * payload budget ({@link PayloadBudget}) before it is read, as large binary values are. A connection
 * that already holds budget for an earlier argument of the same command does not wait for more (two
 * such connections could wait for each other): its command is refused with an error naming the
 * budget, and the connection closed.
 *
 * <p>Isolation: all state here belongs to this thread.
 */
final class RespConnection implements ClientConnection {
    private static final System.Logger LOG = System.getLogger(RespConnection.class.getName());
    private static final int BUFFER_BYTES = 64 * 1024;
    /** Replies are written once a batch holds this much, so a burst of large GETs cannot pile up. */
    private static final int MAX_BATCH_REPLY_BYTES = 1024 * 1024;
    /** Most arguments of one command (Redis allows more; sharedmap's MSET/MGET/DEL need no more). */
    static final int MAX_ARGS = 1024 * 1024;

    /** A reply waiting for its batch to be durable. */
    private record Reply(RespOutput out, long visibleVersion) {}

    private final SharedMapServer server;
    private final SpinChannel channel;
    private final Engine engine;
    private final ServerStats stats;
    private final PayloadBudget budget;
    private final String peer;
    private final Caller caller;
    private final RespFramer framer;
    private final RespCommands commands;
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final List<Reply> replies = new ArrayList<>();
    /** KiB of the payload budget held for the command being received. */
    private int heldKib;
    /** Bytes of the command being received so far, arguments and their overhead. */
    private long commandBytes;

    private long pendingReplyBytes;

    /** When the current unfinished command started arriving; 0 between commands. */
    private volatile long frameStartedNanos;
    /** When the current reply write started; 0 when not writing. */
    private volatile long writeStartedNanos;

    private volatile boolean aborted;

    /** Ends the connection: the payload budget cannot be had (closing, or a second wait). */
    private static final class BudgetRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetRefused(String message) {
            super(message, null, false, false);
        }
    }

    RespConnection(
            SharedMapServer server,
            SpinChannel channel,
            Engine engine,
            ServerStats stats,
            PayloadBudget budget,
            RespCursors cursors,
            Caller caller,
            Owner created,
            long id,
            String peer,
            boolean anonymous) {
        this.server = server;
        this.channel = channel;
        this.engine = engine;
        this.stats = stats;
        this.budget = budget;
        this.caller = caller;
        this.peer = peer;
        int maxValue = server.config().maxValueBytes();
        int maxBulk = Math.max(maxValue, RespCommands.MAX_KEY_BYTES);
        this.framer = new RespFramer(MAX_ARGS, maxBulk, (long) maxBulk + (1 << 20), this::allocate);
        this.commands = new RespCommands(server, engine, stats, cursors, caller, created, id, peer, anonymous);
    }

    /**
     * The array for the next argument of the command being received. The first {@value
     * PayloadBudget#SMALL_BYTES} bytes of a command (its arguments and their overhead) are the
     * connection's own; beyond them every byte is taken from the daemon's payload budget first.
     */
    private byte[] allocate(int length) {
        commandBytes += length + RespFramer.ARG_OVERHEAD_BYTES;
        long beyond = commandBytes - PayloadBudget.SMALL_BYTES;
        int kib = beyond <= 0 ? 0 : (int) ((beyond + 1023) >>> 10) - heldKib;
        if (kib > 0) {
            if (!budget.tryAcquire(kib)) {
                if (heldKib > 0) {
                    throw new BudgetRefused("ERR a command of more than " + PayloadBudget.SMALL_BYTES
                            + " bytes found the daemon's memory for requests being received"
                            + " (--max-pending-payload-bytes) spent; send it in smaller commands or retry");
                }
                try {
                    flush(); // let the replies already queued go out before waiting
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                frameStartedNanos = 0; // waiting for the budget is the daemon's doing, not a client stall
                boolean got = budget.acquire(kib, () -> channel.isOpen() && !aborted);
                frameStartedNanos = System.nanoTime();
                if (!got) {
                    throw new BudgetRefused("ERR the connection is closing");
                }
            }
            heldKib += kib;
        }
        return new byte[length];
    }

    private void releasePayload() {
        budget.release(heldKib);
        heldKib = 0;
        commandBytes = 0;
    }

    @Override
    public long stalledNanos(long now) {
        long frame = frameStartedNanos;
        long write = writeStartedNanos;
        return Math.max(frame == 0 ? 0 : now - frame, write == 0 ? 0 : now - write);
    }

    @Override
    public void abort(String why) {
        aborted = true;
        LOG.log(System.Logger.Level.INFO, "closing RESP connection " + peer + ": " + why);
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "close: " + e);
        }
    }

    @Override
    public SpinChannel channel() {
        return channel;
    }

    @Override
    public Caller caller() {
        return caller;
    }

    @Override
    public void run() {
        try {
            boolean open = true;
            while (open && channel.read(in) >= 0) {
                in.flip();
                RespFramer.Event event;
                while (open) {
                    try {
                        event = framer.poll(in);
                    } catch (BudgetRefused e) {
                        stats.clientErrors.increment();
                        queue(new RespOutput(commands.protocol()).error(String.valueOf(e.getMessage())), 0);
                        open = false;
                        break;
                    }
                    if (event == null) {
                        break;
                    }
                    open = handle(event);
                    releasePayload();
                    if (pendingReplyBytes >= MAX_BATCH_REPLY_BYTES) {
                        flush();
                    }
                }
                in.compact();
                if (framer.isIdle()) {
                    frameStartedNanos = 0;
                } else if (frameStartedNanos == 0) {
                    frameStartedNanos = System.nanoTime();
                }
                flush();
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.DEBUG, "RESP connection " + peer + " ended: " + e);
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "RESP connection " + peer + " failed unexpectedly", e);
        } finally {
            releasePayload();
            server.closed(this);
        }
    }

    /** Queues the reply to one event; false when the connection must close after the replies. */
    private boolean handle(RespFramer.Event event) {
        switch (event) {
            case RespFramer.Rejected r -> {
                stats.clientErrors.increment();
                LOG.log(System.Logger.Level.DEBUG, "closing RESP connection " + peer + ": " + r.message());
                queue(new RespOutput(commands.protocol()).error(r.message()), 0);
                return false;
            }
            case RespFramer.Command c -> {
                RespCommands.Result result = commands.execute(c.args());
                queue(result.out(), result.visibleVersion());
                return !result.close();
            }
        }
    }

    private void queue(RespOutput o, long visibleVersion) {
        replies.add(new Reply(o, visibleVersion));
        pendingReplyBytes += o.size();
    }

    /** Makes the batch durable, then writes its replies in order. */
    private void flush() throws IOException {
        if (replies.isEmpty()) {
            return;
        }
        long needed = 0;
        for (Reply r : replies) {
            needed = Math.max(needed, r.visibleVersion());
        }
        try {
            engine.awaitDurable(needed);
        } catch (JournalFailedException e) {
            long durable = engine.durableVersion();
            for (int i = 0; i < replies.size(); i++) {
                Reply r = replies.get(i);
                if (r.visibleVersion() > durable) {
                    stats.serverErrors.increment();
                    replies.set(
                            i,
                            new Reply(
                                    new RespOutput(r.out().protocol())
                                            .error("ERR storage failure, not acknowledged: " + e.getMessage()),
                                    0));
                }
            }
        }
        writeStartedNanos = System.nanoTime();
        out.clear();
        for (Reply r : replies) {
            r.out().forEachPiece(this::put);
        }
        drain();
        replies.clear();
        pendingReplyBytes = 0;
        writeStartedNanos = 0;
    }

    /** Through the direct buffer in pieces (a large heap array written directly would be copied natively whole). */
    private void put(byte[] b, int offset, int length) throws IOException {
        for (int off = offset, end = offset + length; off < end; ) {
            if (!out.hasRemaining()) {
                drain();
            }
            int n = Math.min(out.remaining(), end - off);
            out.put(b, off, n);
            off += n;
        }
    }

    private void drain() throws IOException {
        out.flip();
        channel.write(out);
        out.clear();
        if (writeStartedNanos != 0) {
            writeStartedNanos = System.nanoTime(); // progress: a slow reader is not a stalled one
        }
    }

    /** Answers a connection refused before it is served with one RESP error, and closes it. */
    static void refuse(SocketChannel channel, String message) {
        LOG.log(System.Logger.Level.INFO, "refused a RESP connection: " + message);
        try (channel) {
            channel.write(
                    ByteBuffer.wrap(new RespOutput(2).error("ERR " + message).toByteArray()));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not tell a refused RESP client why: " + e);
        }
    }

    /** {@link #refuse(SocketChannel, String)} for a connection already wrapped. */
    static void refuse(SpinChannel channel, String message) {
        LOG.log(System.Logger.Level.INFO, "refused a RESP connection: " + message);
        try (channel) {
            channel.channel()
                    .write(ByteBuffer.wrap(("-ERR " + message.replace('\r', ' ').replace('\n', ' ') + "\r\n")
                            .getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not tell a refused RESP client why: " + e);
        }
    }
}
