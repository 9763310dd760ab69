package io.sharedmap.client;

import io.sharedmap.os.transport.SpinChannel;
import io.sharedmap.os.transport.SpinLimiter;
import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.FrameHeader;
import io.sharedmap.protocol.HelloCodec;
import io.sharedmap.protocol.HelloCodec.ServerHello;
import io.sharedmap.protocol.ProtocolException;
import io.sharedmap.protocol.Status;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.Serial;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One connection to the daemon: a Unix domain socket that has done the hello, and the buffers it
 * reuses for every request. Waiting for a reply spins for the client's spin time, then blocks (see
 * {@link SpinChannel}); at most {@link SpinLimiter#defaultMax()} threads of this process spin at once.
 *
 * <p>Threading: used by one thread at a time; the pool hands a connection to exactly one caller,
 * which writes its request and reads the reply itself (no hand-off to another thread).
 *
 * <p>Buffers: {@code out} holds whole requests (or a batch of pipelined requests) and goes out in
 * one write; a request too large for it goes out as a gather write of header+key and the caller's
 * value array. {@code in} is kept in read mode between replies, so bytes read past one reply (the
 * next pipelined replies) stay buffered for the next {@link #readReply}. Values larger than {@code
 * in} are streamed through it into their own array.
 *
 * <p>Failure: any I/O error or malformed reply closes the connection, and {@link #usable} turns
 * false; the pool never hands out an unusable connection again.
 *
 * <p>Reply timeout: with a timeout, each wait on the daemon (connecting and the hello; a request
 * from the start of its write until its reply is read; each further pipelined reply from the end of
 * the previous one) is marked in {@link #waitState}, and {@link ReplyWatchdog} closes the socket of a
 * wait that outlasts the timeout; the wait then throws {@link ReplyTimeoutException}. A reply that
 * is already buffered is not a wait. Only the owner thread writes {@link #usable}; the watchdog
 * only claims the wait state and closes the socket.
 */
final class Connection implements AutoCloseable {
    /** Size of each of the two buffers; also the largest pipelined batch sent in one write. */
    static final int BUFFER_BYTES = 64 * 1024;

    /** Longest reply value accepted: the largest value any daemon may be configured for, plus slack. */
    private static final int MAX_REPLY_VALUE = FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH + BUFFER_BYTES;

    /** Shared by every connection of this process. */
    private static final SpinLimiter SPINNERS = new SpinLimiter(SpinLimiter.defaultMax());

    /** {@link #waitState} once the watchdog gave up on the wait (even, so not a wait in progress). */
    private static final long EXPIRED = -2;

    private static final VarHandle WAIT_STATE;

    static {
        try {
            WAIT_STATE = MethodHandles.lookup().findVarHandle(Connection.class, "waitState", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Path socket;
    private final SpinChannel channel;
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES).limit(0);
    private static final ByteBuffer NO_BYTES = ByteBuffer.allocate(0);
    private final ByteBuffer[] gather = {NO_BYTES, NO_BYTES};
    private @Nullable ServerHello hello;
    private boolean usable = true;
    private boolean pooled;

    /** The reply timeout; 0: none (never watched, waits are not marked). */
    private final long replyTimeoutNs;
    /** This connection's entry in the watchdog's registry; null without a timeout. */
    private final ReplyWatchdog.@Nullable Watch watch;
    /**
     * {@code 2n - 1} (odd) during this connection's n-th wait on the daemon, {@code 2n} after it,
     * {@link #EXPIRED} once the watchdog gave up on a wait. Written by the owner (one volatile store to
     * begin a wait, one compareAndExchange to end it); the watchdog reads it and claims an expired wait.
     */
    private volatile long waitState;
    /** Owner only: how many waits have begun. */
    private long waits;
    /** Owner only: whether a wait is in progress. */
    private boolean waiting;
    /** Owner only: whether the watchdog gave up on a wait. */
    private boolean expired;
    /** Owner only: index in the last batch sent of its last request that is not read-only; -1 if none. */
    private int lastChangeSent = -1;
    /** Owner only: replies read since the last batch was sent. */
    private int repliesRead;

    private Connection(Path socket, SpinChannel channel, long replyTimeoutNs) {
        this.socket = socket;
        this.channel = channel;
        this.replyTimeoutNs = replyTimeoutNs;
        this.watch = replyTimeoutNs > 0 ? ReplyWatchdog.SHARED.watch(this, replyTimeoutNs) : null;
    }

    /**
     * Connects and does the hello: a session hello for {@code clientId} when it is non-zero. With a
     * reply timeout ({@code replyTimeoutNs > 0}), connecting and the hello together may take that long.
     *
     * @throws DaemonUnavailableException when nothing accepts the connection or it breaks during the
     *     hello, or when the socket is the per-user default in a directory another user could have made
     *     ({@link SharedMapPaths#checkSocketDirectory})
     * @throws ReplyTimeoutException when the daemon does not accept or answer the hello within the timeout
     * @throws SharedMapException when the daemon refuses the connection (its ERROR reply, mapped)
     */
    static Connection open(Path socket, long clientId, long spinNs, long replyTimeoutNs) {
        SharedMapPaths.checkSocketDirectory(socket);
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw Errors.cannotConnect(socket, e);
        }
        SpinChannel spinning;
        try {
            spinning = SpinChannel.open(channel, spinNs, SPINNERS); // before connect, so the watchdog can close it
        } catch (IOException e) {
            closeQuietly(channel);
            throw Errors.cannotConnect(socket, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
        Connection c;
        try {
            c = new Connection(socket, spinning, replyTimeoutNs);
        } catch (RuntimeException | Error e) {
            closeQuietly(spinning); // the socket and the selector
            throw e;
        }
        try {
            c.beginWait(); // a daemon that does not accept (its backlog full) blocks connect
            channel.connect(UnixDomainSocketAddress.of(socket));
            c.handshake(clientId);
            if (c.expired) { // the hello's reply came as the watchdog gave up on it: the socket is closed
                throw Errors.replyTimeout(socket, replyTimeoutNs, Errors.Waiting.HELLO, null);
            }
            return c;
        } catch (IOException e) {
            c.close();
            if (c.endWait()) {
                throw Errors.replyTimeout(socket, replyTimeoutNs, Errors.Waiting.HELLO, e);
            }
            throw Errors.cannotConnect(socket, e);
        } catch (RuntimeException | Error e) {
            c.close();
            c.endWait();
            throw e;
        }
    }

    private void handshake(long clientId) throws IOException {
        out.clear();
        if (clientId == 0) {
            HelloCodec.writeClientHello(out, FrameDescriptor.PROTOCOL_VERSION);
        } else {
            HelloCodec.writeSessionHello(out, FrameDescriptor.PROTOCOL_VERSION, clientId);
        }
        out.flip();
        try {
            channel.write(out);
        } catch (IOException helloFailed) {
            // A daemon that refuses a connection (at its limit, stopping) answers before reading the hello
            // and closes, so the hello can fail with a broken pipe while the refusal waits to be read.
            Reply refusal;
            try {
                refusal = readReply();
            } catch (IOException | RuntimeException nothingThere) {
                throw helloFailed;
            }
            if (refusal.statusOrNull() == Status.ERROR) {
                throw Errors.forReply(ErrorCodec.decode(refusal.value()));
            }
            throw helloFailed;
        }
        Reply reply = readReply();
        Status status = reply.statusOrNull();
        if (status == Status.ERROR) {
            throw Errors.forReply(ErrorCodec.decode(reply.value()));
        }
        if (status != Status.HELLO) {
            throw fail(String.format(
                    "daemon on %s answered the hello with status 0x%02X instead of HELLO; is it a"
                            + " sharedmap daemon?",
                    socket, reply.status()));
        }
        ServerHello h;
        try {
            h = HelloCodec.readServerHello(ByteBuffer.wrap(reply.value()));
        } catch (ProtocolException e) {
            throw fail("daemon on " + socket + " sent a bad HELLO: " + e.getMessage());
        }
        if (h.protocolVersion() != FrameDescriptor.PROTOCOL_VERSION) {
            throw fail("daemon on " + socket + " speaks protocol version " + h.protocolVersion() + ", this client "
                    + FrameDescriptor.PROTOCOL_VERSION);
        }
        hello = h;
    }

    // ---- waits on the daemon, for the reply timeout (see ReplyWatchdog) ----

    /** Marks the start of a wait on the daemon, unless one is in progress: one volatile store. */
    private void beginWait() {
        if (watch != null && !waiting && !expired) { // once expired, the state stays EXPIRED: the socket is closed
            waiting = true;
            waitState = 2 * ++waits - 1;
        }
    }

    /**
     * Ends the wait in progress, if any. Returns true when the watchdog gave up on it (or on an earlier
     * one) first: it has closed (or is closing) the socket, and this connection must not be used again.
     */
    private boolean endWait() {
        if (waiting) {
            waiting = false;
            long began = 2 * waits - 1;
            expired |= (long) WAIT_STATE.compareAndExchange(this, began, began + 1) != began; // sticky
        }
        return expired;
    }

    /** The wait state, for the watchdog. */
    long waitState() {
        return waitState;
    }

    /**
     * Watchdog: gives up on the wait that {@code state} marks, if it is still in progress, by closing
     * the socket; the owner's blocked read, write or connect then throws.
     */
    void expire(long state) {
        if (WAIT_STATE.compareAndSet(this, state, EXPIRED)) {
            closeQuietly(channel);
        }
    }

    /** The exception for a wait the watchdog gave up on, saying what may have been applied. */
    private ReplyTimeoutException timedOut(Throwable cause) {
        Errors.Waiting what = hello == null
                ? Errors.Waiting.HELLO
                : repliesRead <= lastChangeSent ? Errors.Waiting.CHANGE : Errors.Waiting.READS;
        return Errors.replyTimeout(socket, replyTimeoutNs, what, cause);
    }

    /** What the daemon said in its HELLO. */
    ServerHello hello() {
        return Objects.requireNonNull(hello, "the handshake has not been answered");
    }

    /** The socket this connection goes to. */
    Path socket() {
        return socket;
    }

    /** Whether the stream is intact and may be used (and pooled) again. */
    boolean usable() {
        return usable;
    }

    /** Whether this connection has been in the pool, i.e. may have gone stale while idle. */
    boolean pooled() {
        return pooled;
    }

    void markPooled() {
        pooled = true;
    }

    /** Whether a request of {@code encodedLength} bytes fits in one buffer (and so in one batch). */
    static boolean fitsBuffer(int encodedLength) {
        return encodedLength <= BUFFER_BYTES;
    }

    /** Sends one request: one write when it fits the buffer, else a gather write of head and value. */
    void send(Request r) throws SendFailure {
        lastChangeSent = r.readsOnly() ? -1 : 0;
        repliesRead = 0;
        out.clear();
        if (fitsBuffer(r.encodedLength())) {
            encode(r);
            out.flip();
            write(out, null);
        } else {
            int flags = r.sequence() == 0 ? 0 : FrameDescriptor.FLAG_SEQUENCED;
            FrameHeader.writeRequest(out, r.opcode().code(), flags, r.key().length, r.value().length, r.arg());
            if (r.sequence() != 0) {
                out.putLong(r.sequence());
            }
            out.put(r.key());
            out.flip();
            write(out, ByteBuffer.wrap(r.value()));
        }
    }

    /** Sends {@code requests} (which together fit the buffer) in one write. */
    void sendBatch(List<Request> requests) throws SendFailure {
        lastChangeSent = -1;
        repliesRead = 0;
        out.clear();
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            encode(r);
            if (!r.readsOnly()) {
                lastChangeSent = i;
            }
        }
        out.flip();
        write(out, null);
    }

    private void encode(Request r) {
        if (r.sequence() == 0) {
            FrameEncoder.writeRequest(out, r.opcode(), r.key(), r.value(), r.arg());
        } else {
            FrameEncoder.writeSequencedRequest(out, r.opcode(), r.sequence(), r.key(), r.value(), r.arg());
        }
    }

    /** Writes a request; the wait it begins lasts until its reply is read (or the write fails). */
    private void write(ByteBuffer head, @Nullable ByteBuffer tail) throws SendFailure {
        int headBefore = head.position();
        int tailBefore = tail == null ? 0 : tail.position();
        beginWait();
        try {
            if (tail == null) {
                channel.write(head);
            } else {
                gather[0] = head;
                gather[1] = tail;
                channel.write(gather);
            }
        } catch (IOException e) {
            close();
            if (endWait()) {
                throw timedOut(e); // the daemon stopped reading: part of the request may be in its socket
            }
            boolean partlySent = head.position() != headBefore || (tail != null && tail.position() != tailBefore);
            throw new SendFailure(e, partlySent);
        } catch (RuntimeException | Error e) {
            close(); // part of a request may have left: never reuse this stream
            endWait();
            throw e;
        } finally {
            gather[0] = NO_BYTES; // keep no caller's buffer reachable
            gather[1] = NO_BYTES;
        }
    }

    /**
     * Reads the next reply.
     *
     * @throws IOException when the stream ends or breaks (the connection is then closed)
     * @throws ReplyTimeoutException when the reply timeout ran out first (the connection is then closed)
     * @throws ProtocolViolationException when the reply is malformed (the connection is then closed)
     */
    Reply readReply() throws IOException {
        try {
            fill(FrameDescriptor.HEADER_LENGTH);
            FrameHeader h = FrameHeader.read(in);
            String problem = h.framingProblem();
            if (problem != null) {
                throw fail("daemon on " + socket + " sent a malformed frame: " + problem);
            }
            if (h.valueLength() > MAX_REPLY_VALUE) {
                throw fail("daemon on " + socket + " sent a reply of " + h.valueLength()
                        + " bytes, more than any daemon" + " may send (" + MAX_REPLY_VALUE + ")");
            }
            byte[] key = take(h.keyLength());
            byte[] value = take(h.valueLength());
            repliesRead++;
            if (endWait()) {
                close(); // the whole reply came as the watchdog gave up on it: use it, but not this connection
            }
            return new Reply(h.type(), h.flags(), key, value, h.arg());
        } catch (IOException | RuntimeException | Error e) {
            close(); // half a reply may be unread (e.g. out of memory for a large value): never reuse this stream
            if (endWait()) {
                throw timedOut(e);
            }
            throw e;
        }
    }

    /** Makes at least {@code n <= BUFFER_BYTES} unread bytes available in {@code in}. */
    private void fill(int n) throws IOException {
        if (in.remaining() >= n) {
            return;
        }
        in.compact();
        try {
            while (in.position() < n) {
                readSome();
            }
        } finally {
            in.flip();
        }
    }

    /** Takes the next {@code length} bytes of the stream, reading through {@code in} as needed. */
    private byte[] take(int length) throws IOException {
        if (length == 0) {
            return Bytes.EMPTY;
        }
        byte[] bytes = new byte[length];
        int have = Math.min(length, in.remaining());
        in.get(bytes, 0, have);
        while (have < length) {
            in.clear();
            readSome();
            in.flip();
            int n = Math.min(length - have, in.remaining());
            in.get(bytes, have, n);
            have += n;
        }
        return bytes;
    }

    private void readSome() throws IOException {
        beginWait(); // usually begun by the request's write already
        if (channel.read(in) < 0) {
            throw new EOFException("the daemon closed the connection");
        }
    }

    private ProtocolViolationException fail(String message) {
        close();
        return Errors.violation(message);
    }

    /** Closes the socket and stops watching it; idempotent. Owner only (the watchdog uses {@link #expire}). */
    @Override
    public void close() {
        usable = false;
        if (watch != null) {
            ReplyWatchdog.SHARED.unwatch(watch);
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing a socket we are abandoning: nothing to do
        }
    }

    /** Writing a request failed. {@link #partlySent} says whether any of its bytes left. */
    static final class SendFailure extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        private final boolean partlySent;

        private final IOException failure;

        SendFailure(IOException cause, boolean partlySent) {
            super(cause);
            this.partlySent = partlySent;
            this.failure = cause;
        }

        boolean partlySent() {
            return partlySent;
        }

        @Override
        public synchronized IOException getCause() {
            return failure;
        }
    }
}
