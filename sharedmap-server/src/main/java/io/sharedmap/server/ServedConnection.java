package io.sharedmap.server;

import io.sharedmap.server.engine.JournalFailedException;
import io.sharedmap.server.security.Caller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One client connection of either protocol, served by one {@link EventLoop}: its non-blocking
 * socket, its input and output buffers, and its {@link ProtocolHandler}. Every method but {@link
 * #stalledNanos}, {@link #abort} and the final fields' getters ({@link #loop}, {@link #caller})
 * runs on the loop's thread.
 *
 * <p>A round of the loop reads whatever bytes have arrived (one read of at most {@value
 * #BUFFER_BYTES} bytes: a flooding client gets one read per round, as every other ready client
 * does), hands them to the protocol, which executes every complete request and queues the replies;
 * once the loop has made the round's batch durable, the replies are encoded into {@link Output} and
 * written without blocking.
 *
 * <p>Memory per connection is bounded: input is read only while no reply waits for the socket, and
 * a round stops decoding once {@value #MAX_BATCH_REPLY_BYTES} bytes of replies are queued, leaving
 * the rest of the input for a later round. So a client that never reads its replies holds at most
 * one round's replies and one buffer of requests; the stall timeout ({@code --stall-timeout-ms})
 * then closes it.
 */
final class ServedConnection {
    private static final System.Logger LOG = System.getLogger(ServedConnection.class.getName());
    static final int BUFFER_BYTES = 64 * 1024;
    /** A round stops decoding a connection's requests once its queued replies hold this much. */
    static final int MAX_BATCH_REPLY_BYTES = 1024 * 1024;

    private final SharedMapServer server;
    private final EventLoop loop;
    private final SocketChannel channel;
    private final String peer;
    private final ProtocolHandler handler;
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES);
    /** Bytes copied from {@link #output}, not yet taken by the socket; kept in read mode. */
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER_BYTES).flip();

    private final Output output = new Output();
    private @Nullable SelectionKey key;

    /** The protocol asked to close (a fatal error, QUIT): no more input, close once replies are out. */
    private boolean closing;
    /** The client shut its side (or the daemon is stopping): finish what was read, reply, close. */
    private boolean inputEnded;
    /** The framer waits for the payload budget: no reads until it has been woken. */
    private boolean waitingForMemory;
    /**
     * In a batch of its loop: replies queued, awaiting the commit (in {@code always} mode possibly
     * over several rounds). Nothing more is read meanwhile, so no reply of a later request can be
     * sent with the batch before its own change is durable.
     */
    boolean inBatch;

    private boolean closed;
    /** Handed over to a thread of its own (a watch): the loop no longer touches it but to close it. */
    private boolean detached;

    /** When the current unfinished request started arriving; 0 between requests. */
    private volatile long frameStartedNanos = System.nanoTime();
    /** When the oldest unsent reply byte was first offered to the socket; 0 when none waits. */
    private volatile long writeStartedNanos;

    ServedConnection(
            SharedMapServer server,
            EventLoop loop,
            SocketChannel channel,
            String peer,
            Function<ServedConnection, ProtocolHandler> protocol) {
        this.server = server;
        this.loop = loop;
        this.channel = channel;
        this.peer = peer;
        this.handler = protocol.apply(this);
    }

    SocketChannel channel() {
        return channel;
    }

    Caller caller() {
        return handler.caller();
    }

    String peer() {
        return peer;
    }

    /**
     * How long this connection has been stalled by its client, in nanoseconds at {@code now}: in the
     * middle of a request, or not taking replies; 0 when waiting between requests.
     */
    long stalledNanos(long now) {
        long frame = frameStartedNanos;
        long write = writeStartedNanos;
        return Math.max(frame == 0 ? 0 : now - frame, write == 0 ? 0 : now - write);
    }

    /** Closes a stalled connection (any thread): its loop closes it in its next round. */
    void abort(String why) {
        loop.execute(() -> {
            if (!closed) {
                LOG.log(System.Logger.Level.INFO, "closing connection " + peer + ": " + why);
                close();
            }
        });
    }

    /** The loop that serves it. */
    EventLoop loop() {
        return loop;
    }

    /** Registers with the loop's selector (loop thread, once). */
    void register(Selector selector) throws IOException {
        channel.configureBlocking(false);
        key = channel.register(selector, SelectionKey.OP_READ, this);
    }

    /** Called by the payload budget when memory may be there for the request this connection waits on. */
    void memoryReleased() {
        loop.execute(() -> {
            if (!closed && waitingForMemory) {
                waitingForMemory = false;
                frameStartedNanos = System.nanoTime();
                if (!inBatch) { // else once the batch's replies have gone (afterOutput)
                    process();
                    updateInterest();
                }
            }
        });
    }

    /** The socket has bytes (or EOF): read once and execute what they complete. */
    void onReadable() {
        if (closed || closing || waitingForMemory || inputEnded || inBatch) {
            return;
        }
        int n;
        try {
            n = channel.read(in);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "connection " + peer + " ended: " + e);
            close();
            return;
        }
        if (n < 0) {
            inputEnded = true;
        }
        process();
        if (!inBatch) {
            finishIfDone();
            updateInterest();
        }
    }

    /** Executes what the input buffer holds; queues this connection in the round's batch if it replied. */
    void process() {
        if (closed || inBatch || detached) {
            return;
        }
        in.flip();
        boolean keepOpen;
        try {
            keepOpen = handler.process(in, MAX_BATCH_REPLY_BYTES);
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "connection " + peer + " failed unexpectedly", e);
            in.clear();
            close();
            return;
        } finally {
            if (!closed) {
                in.compact();
            }
        }
        if (!keepOpen) {
            closing = true;
            in.clear(); // nothing after the request that closes it is read
        }
        waitingForMemory = handler.waitingForMemory();
        if (waitingForMemory || handler.idle()) {
            frameStartedNanos = 0; // waiting for the budget is the daemon's doing, not a client stall
        } else if (frameStartedNanos == 0) {
            frameStartedNanos = System.nanoTime();
        }
        if (handler.queuedReplyBytes() > 0 && !inBatch) {
            inBatch = true;
            loop.batch(this);
        }
    }

    /**
     * Whether input is buffered that a round stopped decoding because replies piled up. A framer
     * consumes every byte it is given otherwise (a partial request is kept inside it), so leftover
     * input means exactly that, or a wait for memory, or a closing connection.
     */
    private boolean moreToProcess() {
        return in.position() > 0 && !waitingForMemory && !closing;
    }

    long neededVersion() {
        return handler.neededVersion();
    }

    /** The round's batch is durable (or the journal failed): send this connection's replies. */
    void committed(long durable, @Nullable JournalFailedException failure) {
        inBatch = false;
        if (closed) {
            return;
        }
        handler.takeReplies(durable, failure, output);
        afterOutput();
    }

    /** The socket can take more: write what waits. */
    void onWritable() {
        if (!closed) {
            afterOutput();
        }
    }

    /** Writes what waits; then decodes the rest of a long pipeline, or closes, or waits for the socket. */
    private void afterOutput() {
        flushOutput();
        if (closed) {
            return;
        }
        if (!outputPending() && moreToProcess()) {
            process(); // joins the loop's next batch
            if (inBatch || closed) {
                return;
            }
        }
        finishIfDone();
        updateInterest();
    }

    /** Writes without blocking until everything is out or the socket is full. */
    private void flushOutput() {
        try {
            while (true) {
                if (!out.hasRemaining()) {
                    if (output.isEmpty()) {
                        writeStartedNanos = 0;
                        return;
                    }
                    out.clear();
                    output.fillInto(out);
                    out.flip();
                }
                int n = channel.write(out);
                if (n > 0 && writeStartedNanos != 0) {
                    writeStartedNanos = System.nanoTime(); // progress: a slow reader is not a stalled one
                }
                if (out.hasRemaining()) {
                    if (writeStartedNanos == 0) {
                        writeStartedNanos = System.nanoTime();
                    }
                    return; // the socket is full: OP_WRITE tells when it is not
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "connection " + peer + " ended writing: " + e);
            close();
        }
    }

    private boolean outputPending() {
        return out.hasRemaining() || !output.isEmpty();
    }

    /** Closes once the client's input has ended or the protocol asked to, and every reply is out. */
    private void finishIfDone() {
        if (closed || detached || outputPending() || inBatch) {
            return;
        }
        if (closing && !inputEnded && handOver()) {
            return;
        }
        if (closing || inputEnded && !moreToProcess()) {
            close(); // a request cut short by the end of input is dropped, as it never arrived
        }
    }

    /**
     * Leaves the loop for the thread the protocol asks for (a watch's push stream), which owns the
     * socket from then on; the connection is closed on its loop when that work ends. False if the
     * protocol asks for none.
     */
    private boolean handOver() {
        Runnable work = handler.handOver();
        if (work == null) {
            return false;
        }
        detached = true;
        SelectionKey k = key;
        if (k != null) {
            k.cancel(); // the loop no longer serves it; the thread writes with a selector of its own
        }
        frameStartedNanos = 0; // from now on only the thread's writes can stall
        try {
            Thread.ofPlatform().name("sharedmap-watch-" + peer).daemon(true).start(() -> {
                try {
                    work.run();
                } catch (RuntimeException | Error e) {
                    LOG.log(System.Logger.Level.ERROR, "the push stream of " + peer + " failed unexpectedly", e);
                } finally {
                    loop.execute(this::close);
                }
            });
        } catch (OutOfMemoryError | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot start a thread for the push stream of " + peer + ": " + e);
            close();
        }
        return true;
    }

    /** The push stream's writes ({@link WatchPump}): when one started ({@code System.nanoTime()}), 0 when it ended. */
    void writing(long startedNanos) {
        writeStartedNanos = startedNanos;
    }

    /** Reads while nothing waits to be written (backpressure), nothing waits for memory, and input may come. */
    private void updateInterest() {
        SelectionKey k = key;
        if (closed || detached || k == null) {
            return;
        }
        int ops = 0;
        if (outputPending()) {
            ops = SelectionKey.OP_WRITE;
        } else if (!closing && !inputEnded && !waitingForMemory && !inBatch) { // replies first, then more requests
            ops = SelectionKey.OP_READ;
        }
        try {
            if (k.interestOps() != ops) {
                k.interestOps(ops);
            }
        } catch (CancelledKeyException | ClosedSelectorException e) {
            close();
        }
    }

    /** Ends the connection: releases what it holds and tells the server (loop thread). */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        output.clear();
        SelectionKey k = key;
        if (k != null) {
            k.cancel();
        }
        handler.releasePayload();
        server.closed(this);
    }
}
