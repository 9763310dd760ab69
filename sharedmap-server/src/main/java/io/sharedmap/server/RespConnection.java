package io.sharedmap.server;

import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.JournalFailedException;
import io.sharedmap.server.resp.RespFramer;
import io.sharedmap.server.resp.RespOutput;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The Redis protocol of one connection, as {@link Connection} is the binary protocol's: decodes
 * every complete command ({@link RespFramer}), executes each against the engine in order ({@link
 * RespCommands}), and keeps the replies until its {@link EventLoop} has made the round's batch
 * durable. So a pipelining client gets one group commit per round, and replies leave in command
 * order.
 *
 * <p>A reply is never sent before the journal holds, as durably as the mode promises, every
 * change whose effect it shows (its {@code visibleVersion}); if the journal has failed, such replies
 * become {@code -ERR storage failure} errors instead. A protocol error (malformed RESP, a bulk string
 * over {@code --max-value-bytes}) is answered and the connection closed, as Redis does.
 *
 * <p>Memory: one command in flight, of at most {@code --max-value-bytes} + 1 MiB (arguments and 32
 * bytes of overhead each); what a command holds beyond its first 64 KiB is taken from the daemon's
 * payload budget ({@link PayloadBudget}) before it is read, as large binary values are; when the
 * budget is spent the connection stops reading until it is woken. A connection that already holds
 * budget for an earlier argument of the same command does not wait for more (two such connections
 * could wait for each other): its command is refused with an error naming the budget, and the
 * connection closed.
 *
 * <p>Loop thread only.
 */
final class RespConnection implements ProtocolHandler {
    private static final System.Logger LOG = System.getLogger(RespConnection.class.getName());
    /** Most arguments of one command (Redis allows more; sharedmap's MSET/MGET/DEL need no more). */
    static final int MAX_ARGS = 1024 * 1024;

    /** A reply waiting for its batch to be durable. */
    private record Reply(RespOutput out, long visibleVersion) {}

    private final ServedConnection connection;
    private final ServerStats stats;
    private final PayloadBudget budget;
    private final String peer;
    private final Caller caller;
    private final RespFramer framer;
    private final RespCommands commands;
    private final List<Reply> replies = new ArrayList<>();
    /** KiB of the payload budget held for the command being received. */
    private int heldKib;
    /** Bytes of the command being received so far, arguments and their overhead. */
    private long commandBytes;

    private long pendingReplyBytes;
    /** When the next command of this read started ({@link System#nanoTime}). */
    private long commandStart;

    private long neededVersion;

    /** Ends the connection: the payload budget cannot be had (a second wait). */
    private static final class BudgetRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetRefused(String message) {
            super(message, null, false, false);
        }
    }

    RespConnection(
            SharedMapServer server,
            ServedConnection connection,
            Engine engine,
            ServerStats stats,
            PayloadBudget budget,
            RespCursors cursors,
            Caller caller,
            Owner created,
            long id,
            String peer,
            boolean anonymous) {
        this.connection = connection;
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
     * The array for the next argument of the command being received; null ("not now") when the
     * payload budget cannot cover it yet. The first {@value PayloadBudget#SMALL_BYTES} bytes of a
     * command (its arguments and their overhead) are the connection's own; beyond them every byte is
     * taken from the daemon's payload budget first.
     */
    private byte @Nullable [] allocate(int length) {
        long bytes = commandBytes + length + RespFramer.ARG_OVERHEAD_BYTES;
        long beyond = bytes - PayloadBudget.SMALL_BYTES;
        int kib = beyond <= 0 ? 0 : (int) ((beyond + 1023) >>> 10) - heldKib;
        if (kib > 0) {
            if (!budget.tryAcquire(kib)) {
                if (heldKib > 0) {
                    throw new BudgetRefused("ERR a command of more than " + PayloadBudget.SMALL_BYTES
                            + " bytes found the daemon's memory for requests being received"
                            + " (--max-pending-payload-bytes) spent; send it in smaller commands or retry");
                }
                budget.whenAvailable(kib, connection::memoryReleased);
                return null;
            }
            heldKib += kib;
        }
        commandBytes = bytes;
        return new byte[length];
    }

    @Override
    public void releasePayload() {
        budget.release(heldKib);
        heldKib = 0;
        commandBytes = 0;
    }

    @Override
    public Caller caller() {
        return caller;
    }

    @Override
    public boolean process(ByteBuffer in, long maxReplyBytes) {
        commandStart = System.nanoTime();
        while (pendingReplyBytes < maxReplyBytes) {
            RespFramer.Event event;
            try {
                event = framer.poll(in);
            } catch (BudgetRefused e) {
                stats.clientErrors.increment();
                queue(new RespOutput(commands.protocol()).error(String.valueOf(e.getMessage())), 0);
                return false;
            }
            if (event == null) {
                return true;
            }
            boolean keepOpen = handle(event);
            releasePayload();
            if (!keepOpen) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long queuedReplyBytes() {
        return replies.isEmpty() ? 0 : Math.max(1, pendingReplyBytes);
    }

    @Override
    public long neededVersion() {
        return neededVersion;
    }

    @Override
    public boolean idle() {
        return framer.isIdle();
    }

    @Override
    public boolean waitingForMemory() {
        return framer.isWaitingForMemory();
    }

    @Override
    public byte[] closingError(String message) {
        return errorLine(message);
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
                RespCommands.Result result = commands.execute(c.args(), commandStart);
                commandStart = result.finishedNanos(); // the next command of a pipeline starts here
                queue(result.out(), result.visibleVersion());
                return !result.close();
            }
        }
    }

    private void queue(RespOutput o, long visibleVersion) {
        replies.add(new Reply(o, visibleVersion));
        pendingReplyBytes += o.size();
        neededVersion = Math.max(neededVersion, visibleVersion);
    }

    @Override
    public void takeReplies(long durable, @Nullable JournalFailedException failure, Output out) {
        for (Reply r : replies) {
            RespOutput o = r.out();
            if (failure != null && r.visibleVersion() > durable) {
                stats.serverErrors.increment();
                o = new RespOutput(o.protocol())
                        .error("ERR storage failure, not acknowledged: " + failure.getMessage());
            }
            o.forEachPiece(out::add);
        }
        replies.clear();
        pendingReplyBytes = 0;
        neededVersion = 0;
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

    private static byte[] errorLine(String message) {
        return ("-ERR " + message.replace('\r', ' ').replace('\n', ' ') + "\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
