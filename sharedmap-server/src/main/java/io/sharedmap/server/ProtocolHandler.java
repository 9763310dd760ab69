package io.sharedmap.server;

import io.sharedmap.server.engine.JournalFailedException;
import io.sharedmap.server.security.Caller;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * What one protocol does with the bytes an {@link EventLoop} reads for a connection: decode
 * requests, execute them against the engine, and keep their replies until the loop has made the
 * batch durable. The binary protocol's is {@link Connection}, the Redis protocol's {@link
 * RespConnection}. No I/O here: the loop's {@link ServedConnection} owns the socket.
 *
 * <p>Called by the connection's loop thread only.
 */
interface ProtocolHandler {
    /**
     * Decodes and executes the requests in {@code in}, in order, queueing a reply for each. Stops when
     * {@code in} holds no complete request, when the queued replies reach {@code maxReplyBytes} (the
     * rest waits in {@code in} for the next round), when the framer waits for memory ({@link
     * #waitingForMemory()}), or when the connection must close.
     *
     * @return false when the connection must close once the queued replies are sent
     */
    boolean process(ByteBuffer in, long maxReplyBytes);

    /** Bytes of the replies queued since the last {@link #takeReplies}. */
    long queuedReplyBytes();

    /** The highest version a queued reply shows: the journal must make it durable before they are sent. */
    long neededVersion();

    /**
     * Hands every queued reply, encoded, to {@code out} in order, and forgets them. When {@code failure}
     * is not null the journal failed: a reply showing a version above {@code durable} becomes a storage
     * failure error instead.
     */
    void takeReplies(long durable, @Nullable JournalFailedException failure, Output out);

    /** Whether the framer is between requests (nothing of a next one received). */
    boolean idle();

    /** Whether the last {@link #process} stopped because the payload budget had no memory yet. */
    boolean waitingForMemory();

    /** Gives back the payload budget held for a request being received (the connection is closing). */
    void releasePayload();

    /** Who is on the other end. */
    Caller caller();

    /**
     * What the connection becomes once its last request's replies are sent, instead of closing: the
     * binary protocol's WATCH turns it into a push stream, served on a thread of its own (it leaves
     * its loop). Null: the connection closes.
     */
    default @Nullable Runnable handOver() {
        return null;
    }

    /** Its protocol's error, for a connection refused or closed before a request: one frame or line. */
    byte[] closingError(String message);
}
