package io.sharedmap.server;

import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameHeader;
import io.sharedmap.protocol.HelloCodec;
import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.ProtocolException;
import io.sharedmap.protocol.RequestFramer;
import io.sharedmap.protocol.ScanCodec;
import io.sharedmap.protocol.StatsCodec;
import io.sharedmap.protocol.Status;
import io.sharedmap.protocol.ViewCodec;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.Entry;
import io.sharedmap.server.engine.JournalFailedException;
import io.sharedmap.server.engine.Results;
import io.sharedmap.server.security.Accounts;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.security.PermissionDeniedException;
import io.sharedmap.server.security.QuotaExceededException;
import io.sharedmap.server.security.RefusedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The binary protocol of one connection: decodes its requests ({@link RequestFramer}), executes each
 * against the engine ({@link #execute}, the one place requests meet the engine), and keeps the
 * replies until its {@link EventLoop} has made the round's batch durable. The socket, the rounds
 * and the writing belong to {@link ServedConnection}.
 *
 * <p>A reply is never sent before the journal holds, as durably as the mode promises, every change
 * whose effect it shows ({@code visibleVersion}); if the journal has failed, such replies become
 * STORAGE_FAILURE errors instead.
 *
 * <p>Memory: a value of more than {@value PayloadBudget#SMALL_BYTES} bytes takes its size from the
 * daemon's payload budget before it is read; when the budget is spent the framer waits ("not now")
 * and the connection stops reading until the budget wakes it, so neither its loop nor any other
 * connection waits.
 *
 * <p>Loop thread only.
 */
final class Connection implements ProtocolHandler {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    private static final byte[] EMPTY = new byte[0];

    /** A reply waiting for its batch to be durable. */
    private record Reply(Status status, int flags, byte[] key, byte[] value, long version, long visibleVersion) {}

    private final SharedMapServer server;
    private final ServedConnection connection;
    private final Engine engine;
    private final ServerStats stats;
    private final String peer;
    private final Caller caller;
    private final Owner created;
    private final RequestFramer framer;
    private final List<Reply> replies = new ArrayList<>();
    private final PayloadBudget budget;
    private long clientId;
    private int heldKib;
    private long pendingReplyBytes;
    private long neededVersion;
    /** The WATCH that ends this connection's requests: served by a {@link WatchPump} after the replies. */
    private RequestFramer.@Nullable Request watch;

    Connection(
            SharedMapServer server,
            ServedConnection connection,
            Engine engine,
            ServerStats stats,
            PayloadBudget budget,
            Caller caller,
            Owner created,
            String peer) {
        this.caller = caller;
        this.created = created;
        this.server = server;
        this.connection = connection;
        this.engine = engine;
        this.stats = stats;
        this.budget = budget;
        this.peer = peer;
        this.framer = new RequestFramer(server.config().maxValueBytes(), this::allocateValue);
    }

    /** The array for a value; null ("not now") when the payload budget cannot cover it yet. */
    private byte @Nullable [] allocateValue(int length) {
        int kib = PayloadBudget.kibFor(length);
        if (kib > 0) {
            if (!budget.tryAcquire(kib)) {
                budget.whenAvailable(kib, connection::memoryReleased);
                return null;
            }
            heldKib = kib;
        }
        return new byte[length];
    }

    @Override
    public void releasePayload() {
        budget.release(heldKib);
        heldKib = 0;
    }

    @Override
    public Caller caller() {
        return caller;
    }

    @Override
    public boolean process(ByteBuffer in, long maxReplyBytes) {
        RequestFramer.Event event;
        while (pendingReplyBytes < maxReplyBytes && (event = framer.poll(in)) != null) {
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
    public @Nullable Runnable handOver() {
        RequestFramer.Request q = watch;
        if (q == null) {
            return null;
        }
        return () -> {
            try {
                new WatchPump(
                                connection.channel(),
                                engine.watches(),
                                caller,
                                server::stopping,
                                peer,
                                connection::writing)
                        .run(q);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "watch of " + peer + " ended: " + e);
            }
        };
    }

    @Override
    public byte[] closingError(String message) {
        return refusal(ErrorCode.SHUTTING_DOWN, message).array();
    }

    /** Queues the reply to one event; false when the connection must close after the replies. */
    private boolean handle(RequestFramer.Event event) {
        switch (event) {
            case RequestFramer.Hello h -> {
                clientId = Engine.sessionKey(caller.uid(), h.clientId()); // per user: ids are not secrets between users
                ByteBuffer b = ByteBuffer.allocate(HelloCodec.SERVER_HELLO_LENGTH);
                HelloCodec.writeServerHello(
                        b,
                        new HelloCodec.ServerHello(
                                h.version(),
                                FrameDescriptor.MAX_KEY_LENGTH,
                                server.config().maxValueBytes(),
                                FrameDescriptor.MAX_SCAN_LIMIT));
                queue(new Reply(Status.HELLO, 0, EMPTY, b.array(), 0, 0));
                return true;
            }
            case RequestFramer.Rejected r -> {
                stats.clientErrors.increment();
                if (r.fatal()) {
                    LOG.log(System.Logger.Level.DEBUG, "closing connection " + peer + ": " + r.message());
                }
                queue(error(r.code(), r.message(), r.fatal()));
                return !r.fatal();
            }
            case RequestFramer.Request q -> {
                stats.ops[q.opcode().ordinal()].increment();
                if (q.opcode() == Opcode.WATCH) {
                    // The connection becomes the watch's push stream once the replies owed have gone.
                    watch = q;
                    return false;
                }
                queue(execute(q));
                return true;
            }
        }
    }

    private void queue(Reply r) {
        replies.add(r);
        pendingReplyBytes += FrameDescriptor.HEADER_LENGTH + r.key().length + r.value().length;
        neededVersion = Math.max(neededVersion, r.visibleVersion());
    }

    private static Reply error(ErrorCode code, String message, boolean closing) {
        return new Reply(
                Status.ERROR,
                closing ? FrameDescriptor.FLAG_CLOSING : 0,
                EMPTY,
                ErrorCodec.encode(code, message),
                0,
                0);
    }

    /** The one place requests meet the engine: every failure becomes an ERROR reply, never a dead daemon. */
    private Reply execute(RequestFramer.Request q) {
        try {
            return switch (q.opcode()) {
                case GET -> {
                    Results.Lookup l = engine.get(caller, q.key());
                    yield l.entry() == null
                            ? new Reply(Status.NOT_FOUND, 0, EMPTY, EMPTY, 0, l.visibleVersion())
                            : new Reply(
                                    Status.FOUND,
                                    0,
                                    EMPTY,
                                    Objects.requireNonNull(l.entry().value()), // a GET reads the value
                                    l.entry().version(),
                                    l.visibleVersion());
                }
                case SET -> write(engine.set(caller, created, q.key(), q.value(), clientId, q.sequence()));
                case CAS ->
                    write(engine.compareAndSet(caller, created, q.key(), q.arg(), q.value(), clientId, q.sequence()));
                case DELETE -> write(engine.delete(caller, q.key(), q.arg(), clientId, q.sequence()));
                case PUT_EXPIRING -> putExpiring(q);
                case EXPIRE -> write(engine.setDeadline(caller, q.key(), q.arg(), deadlineOf(q, 0)));
                case DEADLINE -> deadline(q);
                case WATCH -> throw new IllegalStateException("WATCH is served by WatchPump, not execute");
                case SCAN -> scan(q);
                case PING -> new Reply(Status.PONG, 0, EMPTY, q.value(), 0, 0);
                case STATS -> new Reply(Status.STATS, 0, EMPTY, StatsCodec.encode(server.statsSnapshot()), 0, 0);
                case CHMOD ->
                    changed(engine.chmod(caller, q.key(), (q.arg() & FrameDescriptor.ARG_PREFIX) != 0, (int)
                            (q.arg() & FrameDescriptor.MAX_KEY_MODE)));
                case CHOWN -> {
                    ByteBuffer ids = ByteBuffer.wrap(q.value());
                    long uid = Integer.toUnsignedLong(ids.getInt());
                    long gid = Integer.toUnsignedLong(ids.getInt());
                    yield changed(engine.chown(
                            caller,
                            q.key(),
                            (q.arg() & FrameDescriptor.ARG_PREFIX) != 0,
                            uid == 0xFFFF_FFFFL ? -1 : uid,
                            gid == 0xFFFF_FFFFL ? -1 : gid));
                }
                case LIMIT -> limit(q);
                case VIEW -> {
                    Engine.StoreInfo v = engine.storeInfo();
                    yield new Reply(
                            Status.VIEW,
                            0,
                            EMPTY,
                            ViewCodec.encode(v == null ? null : new ViewCodec.ViewLocation(v.dir(), v.generation())),
                            0,
                            0);
                }
            };
        } catch (RefusedException e) {
            stats.clientErrors.increment();
            return error(
                    e instanceof QuotaExceededException ? ErrorCode.QUOTA_EXCEEDED : ErrorCode.PERMISSION_DENIED,
                    q.opcode() + " refused: " + e.getMessage(),
                    false);
        } catch (ProtocolException e) { // the client's request, decoded or checked here: its mistake, named
            stats.clientErrors.increment();
            return error(e.code(), q.opcode() + ": " + e.getMessage(), false);
        } catch (JournalFailedException e) {
            stats.serverErrors.increment();
            return error(ErrorCode.STORAGE_FAILURE, q.opcode() + " not applied: " + e.getMessage(), false);
        } catch (IOException e) {
            stats.serverErrors.increment();
            return error(ErrorCode.STORAGE_FAILURE, q.opcode() + " not applied: " + e.getMessage(), false);
        } catch (Engine.SequenceException e) {
            stats.clientErrors.increment();
            return error(
                    e.expired() ? ErrorCode.SEQUENCE_EXPIRED : ErrorCode.INVALID_ARGUMENT,
                    q.opcode() + " sequence " + q.sequence() + ": " + e.getMessage(),
                    false);
        } catch (RuntimeException e) { // IllegalArgumentException too: a client's mistake is a ProtocolException
            stats.serverErrors.increment();
            LOG.log(System.Logger.Level.ERROR, "internal error executing " + q.opcode() + " for " + peer, e);
            return error(
                    ErrorCode.INTERNAL, q.opcode() + " failed: internal error (" + e + "); see the daemon log", false);
        }
    }

    /** The deadline at the start of a PUT_EXPIRING or EXPIRE value: at least {@code min}. */
    private static long deadlineOf(RequestFramer.Request q, long min) throws ProtocolException {
        long d = ByteBuffer.wrap(q.value()).getLong();
        if (d < min) {
            throw new ProtocolException(
                    ErrorCode.INVALID_ARGUMENT,
                    "deadline " + d + " must be " + (min == 0 ? "0 (never) or" : "") + " a time in Unix epoch"
                            + " milliseconds (> 0)");
        }
        return d;
    }

    /** PUT_EXPIRING: a SET (arg -1) or CAS (arg: expected version) that gives the key a deadline. */
    private Reply putExpiring(RequestFramer.Request q)
            throws ProtocolException, JournalFailedException, Engine.SequenceException, RefusedException {
        long deadline = deadlineOf(q, 1);
        byte[] value = Arrays.copyOfRange(q.value(), FrameDescriptor.DEADLINE_LENGTH, q.value().length);
        return write(
                q.arg() == FrameDescriptor.ARG_ANY_VERSION
                        ? engine.set(caller, created, q.key(), value, deadline, clientId, q.sequence())
                        : engine.compareAndSet(
                                caller, created, q.key(), q.arg(), value, deadline, clientId, q.sequence()));
    }

    /** DEADLINE: FOUND with the key's deadline (int64, 0: never) and its version, or NOT_FOUND. */
    private Reply deadline(RequestFramer.Request q) throws RefusedException {
        Results.Lookup l = engine.get(caller, q.key());
        Entry e = l.entry();
        return e == null
                ? new Reply(Status.NOT_FOUND, 0, EMPTY, EMPTY, 0, l.visibleVersion())
                : new Reply(
                        Status.FOUND,
                        0,
                        EMPTY,
                        ByteBuffer.allocate(8).putLong(e.deadline()).array(),
                        e.version(),
                        l.visibleVersion());
    }

    private static Reply write(Results.Write w) {
        Status s = switch (w.outcome()) {
            case CREATED -> Status.CREATED;
            case UPDATED -> Status.UPDATED;
            case DELETED -> Status.DELETED;
            case NOT_FOUND -> Status.NOT_FOUND;
            case CONFLICT -> Status.CONFLICT;
        };
        return new Reply(s, 0, EMPTY, EMPTY, w.version(), w.visibleVersion());
    }

    private static Reply changed(Results.Changed c) {
        if (!c.found()) {
            return new Reply(Status.NOT_FOUND, 0, EMPTY, EMPTY, 0, c.visibleVersion());
        }
        return new Reply(
                Status.CHANGED,
                0,
                EMPTY,
                ByteBuffer.allocate(8).putLong(c.skipped()).array(),
                c.changed(),
                c.visibleVersion());
    }

    /**
     * LIMIT: anyone may SHOW their own user's and groups' rows, the default and the default group
     * (root and administrators: every row); only root and administrators may SET and UNSET. Changes are saved before the reply.
     */
    private Reply limit(RequestFramer.Request q) throws IOException, PermissionDeniedException, ProtocolException {
        Accounts accounts = engine.accounts();
        String key = new String(q.key(), StandardCharsets.US_ASCII);
        if (q.arg() == LimitCodec.SHOW) {
            List<LimitCodec.Row> rows;
            if (key.isEmpty()) {
                rows = caller.admin() ? accounts.rows() : ownRows(accounts);
            } else {
                LimitCodec.Principal p = principal(key);
                boolean own = p.kind() == LimitCodec.Kind.DEFAULT
                        || p.kind() == LimitCodec.Kind.DEFAULT_GROUP
                        || p.kind() == LimitCodec.Kind.USER && p.id() == caller.uid()
                        || p.kind() == LimitCodec.Kind.GROUP && caller.inGroup(p.id());
                if (!own && !caller.admin()) {
                    throw new PermissionDeniedException("only root and the admin group may see the limits of " + key);
                }
                rows = List.of(accounts.row(p));
            }
            byte[] encoded = LimitCodec.encodeRows(rows);
            if (encoded.length > FrameDescriptor.MAX_CONTROL_REPLY_LENGTH) { // the bound a client sizes its buffer by
                throw new ProtocolException(
                        ErrorCode.INVALID_ARGUMENT,
                        "the " + rows.size() + " rows of limits do not fit" + " one reply ("
                                + FrameDescriptor.MAX_CONTROL_REPLY_LENGTH + " bytes); show one principal at a time");
            }
            return new Reply(Status.LIMITS, 0, EMPTY, encoded, rows.size(), 0);
        }
        if (!caller.admin()) {
            throw new PermissionDeniedException(
                    "user " + UnixAccounts.system().userName(caller.uid()) + " (uid " + caller.uid()
                            + ") may not change limits: only root and the daemon's admin group (--admin-group) may");
        }
        LimitCodec.Principal p = principal(key);
        LimitCodec.Amounts change = LimitCodec.decodeChange(q.value());
        checkChange(q.arg() == LimitCodec.SET, change);
        LimitCodec.Row row = q.arg() == LimitCodec.SET ? accounts.set(p, change) : accounts.unset(p, change);
        LOG.log(System.Logger.Level.INFO, "limits of " + p.wire() + " changed by " + peer + ": " + row.limits());
        return new Reply(Status.LIMITS, 0, EMPTY, LimitCodec.encodeRows(List.of(row)), 1, 0);
    }

    /** The principal a LIMIT request names; a malformed one is the client's mistake (INVALID_ARGUMENT). */
    private static LimitCodec.Principal principal(String key) throws ProtocolException {
        try {
            return LimitCodec.Principal.parse(key);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, String.valueOf(e.getMessage()));
        }
    }

    /**
     * A SET's amounts are each a limit {@code >= 0} or {@code -1} (leave it); an UNSET's each {@code 1}
     * (remove that limit) or {@code 0} (keep it). Anything else is INVALID_ARGUMENT naming the field.
     */
    private static void checkChange(boolean set, LimitCodec.Amounts change) throws ProtocolException {
        long[] values = {change.keys(), change.bytes(), change.connections()};
        String[] names = {"keys", "bytes", "connections"};
        for (int i = 0; i < values.length; i++) {
            long v = values[i];
            if (set ? v < -1 : v != 0 && v != 1) {
                throw new ProtocolException(
                        ErrorCode.INVALID_ARGUMENT,
                        (set ? "SET" : "UNSET") + " of " + names[i] + ": "
                                + v
                                + (set
                                        ? " is below -1 (a limit is >= 0, or -1 to leave it as it is)"
                                        : " is neither 1 (remove the limit) nor 0 (keep it)"));
            }
        }
    }

    /** What a caller who is not an administrator sees of the limits: its own user, its groups, the defaults. */
    private List<LimitCodec.Row> ownRows(Accounts accounts) {
        List<LimitCodec.Row> rows = new ArrayList<>();
        rows.add(accounts.row(new LimitCodec.Principal(LimitCodec.Kind.USER, caller.uid())));
        rows.add(accounts.row(new LimitCodec.Principal(LimitCodec.Kind.GROUP, caller.gid())));
        for (long g : caller.groups()) {
            if (g != caller.gid()) {
                rows.add(accounts.row(new LimitCodec.Principal(LimitCodec.Kind.GROUP, g)));
            }
        }
        rows.add(accounts.row(LimitCodec.Principal.DEFAULT));
        rows.add(accounts.row(LimitCodec.Principal.DEFAULT_GROUP));
        return rows;
    }

    private Reply scan(RequestFramer.Request q) {
        boolean owners = (q.arg() & FrameDescriptor.ARG_SCAN_OWNERS) != 0;
        long size = q.arg() & ~FrameDescriptor.ARG_SCAN_OWNERS;
        int limit = size == 0 ? FrameDescriptor.DEFAULT_SCAN_LIMIT : (int) size;
        Results.ScanPage page = engine.scan(
                caller,
                q.key(),
                q.value(),
                limit,
                FrameDescriptor.SCAN_PAGE_BYTES,
                ScanCodec.ENTRY_OVERHEAD + (owners ? ScanCodec.OWNER_FIELDS_LENGTH : 0));
        List<ScanCodec.ScanEntry> entries = new ArrayList<>(page.keys().size());
        int bytes = 0;
        for (Results.ScannedKey k : page.keys()) {
            ScanCodec.ScanEntry e = new ScanCodec.ScanEntry(
                    k.key(),
                    k.version(),
                    k.valueLength(),
                    k.owner().uidLong(),
                    k.owner().gidLong(),
                    k.owner().mode());
            entries.add(e);
            bytes += ScanCodec.encodedLength(e, owners);
        }
        ByteBuffer b = ByteBuffer.allocate(bytes);
        ScanCodec.encode(b, entries, owners);
        return new Reply(Status.SCAN_PAGE, 0, page.nextCursor(), b.array(), entries.size(), page.visibleVersion());
    }

    @Override
    public void takeReplies(long durable, @Nullable JournalFailedException failure, Output out) {
        for (Reply r : replies) {
            if (failure != null && r.visibleVersion() > durable) {
                stats.serverErrors.increment();
                r = error(ErrorCode.STORAGE_FAILURE, "not acknowledged: " + failure.getMessage(), false);
            }
            byte[] head = new byte[FrameDescriptor.HEADER_LENGTH + r.key().length];
            ByteBuffer b = ByteBuffer.wrap(head);
            FrameHeader.write(b, r.status().code(), r.flags(), r.key().length, r.value().length, r.version());
            b.put(r.key());
            out.add(head);
            out.add(r.value());
        }
        replies.clear();
        pendingReplyBytes = 0;
        neededVersion = 0;
    }

    /**
     * Sends one ERROR frame with the CLOSING flag, for a connection that is refused before its hello,
     * and closes it. The frame is small: one write of a fresh socket takes it whole, blocking or not.
     */
    static void refuse(SocketChannel channel, ErrorCode code, String message) {
        LOG.log(System.Logger.Level.INFO, "refused a connection: " + code + ": " + message);
        try (channel) {
            channel.write(refusal(code, message));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not tell a refused client why: " + e);
        }
    }

    private static ByteBuffer refusal(ErrorCode code, String message) {
        byte[] payload = ErrorCodec.encode(code, message);
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH + payload.length);
        FrameHeader.write(b, Status.ERROR.code(), FrameDescriptor.FLAG_CLOSING, 0, payload.length, 0);
        return b.put(payload).flip();
    }
}
