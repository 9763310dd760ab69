package io.sharedmap.protocol;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * Turns the bytes a client sends into hello, request and rejection events, incrementally: feed it
 * whatever arrived, in pieces of any size, and poll events until it returns {@code null}. It does
 * no I/O, so every partial-frame and malformed case can be tested from memory.
 *
 * <p>Rejections come in two kinds. A request whose framing is sound but whose content breaks a
 * limit (key too long, value too large, bad argument) is rejected <em>without buffering its
 * payload</em>: the framer reports it as soon as the header arrives, then discards the payload as
 * it streams in, and the connection stays usable. A stream whose framing cannot be trusted (bad
 * hello, unknown opcode, inconsistent lengths, non-zero flags) gets a fatal rejection, after which
 * the framer yields nothing more; the caller answers with the error and closes.
 *
 * <p>Not thread-safe: one framer per connection, used by the thread that reads it.
 */
public final class RequestFramer {

    /** What the framer found in the byte stream. */
    public sealed interface Event permits Hello, Request, Rejected {}

    /** The client hello was valid and asks for this protocol version; {@code clientId} is 0 without a session. */
    public record Hello(int version, long clientId) implements Event {}

    /**
     * A complete, valid request. {@code key} and {@code value} are owned by the receiver; {@code
     * sequence} is 0 unless the request was sequenced.
     */
    public record Request(Opcode opcode, byte[] key, byte[] value, long arg, long sequence) implements Event {
        public Request(Opcode opcode, byte[] key, byte[] value, long arg) {
            this(opcode, key, value, arg, 0);
        }
    }

    /** A request or stream broke the protocol; {@code fatal} means the connection must be closed. */
    public record Rejected(ErrorCode code, String message, boolean fatal) implements Event {}

    private enum State {
        HELLO,
        SESSION_ID,
        HEADER,
        SEQUENCE,
        PAYLOAD,
        /** A value's header is accepted but its array could not be had yet: the allocator said "not now". */
        ALLOCATE,
        SKIP,
        CLOSED
    }

    private static final byte[] EMPTY = new byte[0];

    private final int maxValueLength;
    private final IntFunction<byte @Nullable []> valueAllocator;
    private final ByteBuffer headerBuffer = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH);
    private State state = State.HELLO;

    private Opcode opcode = Opcode.PING; // the frame being read: meaningful in SEQUENCE and PAYLOAD only
    private long arg;
    private long sequence;
    private int helloVersion;
    private long clientId;
    private byte[] key = EMPTY; // the frame being read; EMPTY between frames, so no payload is held
    private byte[] value = EMPTY;
    private int keyFilled;
    private int valueFilled;
    private int allocateLength; // the value length waiting for its array, in ALLOCATE
    private boolean allocateSequenced;
    private long skipRemaining;

    /**
     * @param maxValueLength the largest value accepted, 0 to {@link FrameDescriptor#ABSOLUTE_MAX_VALUE_LENGTH}
     */
    public RequestFramer(int maxValueLength) {
        this(maxValueLength, byte[]::new);
    }

    /**
     * @param maxValueLength the largest value accepted, 0 to {@link FrameDescriptor#ABSOLUTE_MAX_VALUE_LENGTH}
     * @param valueAllocator makes the array a non-empty value is read into, once its header has been
     *     accepted; a server uses it to bound the memory of values being received. It may return {@code
     *     null} for "not now": {@link #poll} then returns {@code null} with {@link #isWaitingForMemory()}
     *     true, consumes nothing more, and asks the allocator again on the next {@code poll}
     */
    public RequestFramer(int maxValueLength, IntFunction<byte @Nullable []> valueAllocator) {
        if (maxValueLength < 0 || maxValueLength > FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException(
                    "maxValueLength " + maxValueLength + " outside 0.." + FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH);
        }
        this.maxValueLength = maxValueLength;
        this.valueAllocator = valueAllocator;
    }

    /** Whether the framer has seen a fatal error and will yield nothing more. */
    public boolean isClosed() {
        return state == State.CLOSED;
    }

    /** Whether the last {@link #poll} stopped because the value allocator had no memory to give yet. */
    public boolean isWaitingForMemory() {
        return state == State.ALLOCATE;
    }

    /** Whether the framer is between frames (no partial frame buffered or being skipped). */
    public boolean isIdle() {
        return state == State.HEADER && headerBuffer.position() == 0;
    }

    /**
     * Consumes bytes from {@code src} until one event is complete, and returns it; returns {@code
     * null} once {@code src} is exhausted without completing an event (call again with more bytes).
     */
    public @Nullable Event poll(ByteBuffer src) {
        while (true) {
            switch (state) {
                case CLOSED -> {
                    src.position(src.limit());
                    return null;
                }
                case HELLO -> {
                    if (!fillHeader(src, FrameDescriptor.HELLO_LENGTH)) {
                        return null;
                    }
                    headerBuffer.flip();
                    try {
                        int flags = HelloCodec.readClientHello(headerBuffer);
                        headerBuffer.flip();
                        helloVersion = headerBuffer.getShort(4) & 0xFFFF;
                        headerBuffer.clear();
                        if ((flags & FrameDescriptor.HELLO_FLAG_SESSION) == 0) {
                            state = State.HEADER;
                            return new Hello(helloVersion, 0);
                        }
                        state = State.SESSION_ID;
                    } catch (ProtocolException e) {
                        return fatal(e.code(), String.valueOf(e.getMessage()));
                    }
                }
                case SESSION_ID -> {
                    if (!fillHeader(src, Long.BYTES)) {
                        return null;
                    }
                    long id = headerBuffer.getLong(0);
                    headerBuffer.clear();
                    if (id == 0) {
                        return fatal(ErrorCode.BAD_HANDSHAKE, "bad handshake: a session's client id must be non-zero");
                    }
                    clientId = id;
                    state = State.HEADER;
                    return new Hello(helloVersion, id);
                }
                case SEQUENCE -> {
                    if (!fillHeader(src, FrameDescriptor.SEQUENCE_LENGTH)) {
                        return null;
                    }
                    sequence = headerBuffer.getLong(0);
                    headerBuffer.clear();
                    if (sequence <= 0) {
                        return skip(
                                key.length + (long) value.length,
                                ErrorCode.INVALID_ARGUMENT,
                                opcode + ": sequence number " + sequence + " must be positive");
                    }
                    state = State.PAYLOAD;
                }
                case HEADER -> {
                    if (!fillHeader(src, FrameDescriptor.HEADER_LENGTH)) {
                        return null;
                    }
                    headerBuffer.flip();
                    FrameHeader h = FrameHeader.read(headerBuffer);
                    headerBuffer.clear();
                    Event rejected = checkHeader(h);
                    if (rejected != null) {
                        return rejected;
                    }
                    key = h.keyLength() == 0 ? EMPTY : new byte[h.keyLength()];
                    keyFilled = 0;
                    valueFilled = 0;
                    sequence = 0;
                    allocateLength = h.valueLength();
                    allocateSequenced = (h.flags() & FrameDescriptor.FLAG_SEQUENCED) != 0;
                    state = State.ALLOCATE;
                }
                case ALLOCATE -> {
                    byte[] v = allocateLength == 0 ? EMPTY : valueAllocator.apply(allocateLength);
                    if (v == null) {
                        return null; // asked again on the next poll
                    }
                    value = v;
                    state = allocateSequenced ? State.SEQUENCE : State.PAYLOAD;
                }
                case PAYLOAD -> {
                    keyFilled += copy(src, key, keyFilled);
                    if (keyFilled == key.length) {
                        valueFilled += copy(src, value, valueFilled);
                    }
                    if (keyFilled < key.length || valueFilled < value.length) {
                        return null;
                    }
                    state = State.HEADER;
                    Request r = new Request(opcode, key, value, arg, sequence);
                    key = EMPTY;
                    value = EMPTY;
                    return r;
                }
                case SKIP -> {
                    int n = (int) Math.min(skipRemaining, src.remaining());
                    src.position(src.position() + n);
                    skipRemaining -= n;
                    if (skipRemaining > 0) {
                        return null;
                    }
                    state = State.HEADER;
                }
            }
        }
    }

    private boolean fillHeader(ByteBuffer src, int length) {
        int n = Math.min(length - headerBuffer.position(), src.remaining());
        headerBuffer.put(headerBuffer.position(), src, src.position(), n);
        headerBuffer.position(headerBuffer.position() + n);
        src.position(src.position() + n);
        return headerBuffer.position() == length;
    }

    private static int copy(ByteBuffer src, byte[] dst, int filled) {
        int n = Math.min(dst.length - filled, src.remaining());
        src.get(dst, filled, n);
        return n;
    }

    private Rejected fatal(ErrorCode code, String message) {
        state = State.CLOSED;
        return new Rejected(code, message, true);
    }

    private Rejected skip(FrameHeader h, ErrorCode code, String message) {
        long extra = (h.flags() & FrameDescriptor.FLAG_SEQUENCED) != 0 ? FrameDescriptor.SEQUENCE_LENGTH : 0;
        return skip(extra + h.keyLength() + h.valueLength(), code, message);
    }

    private Rejected skip(long bytes, ErrorCode code, String message) {
        skipRemaining = bytes;
        key = EMPTY;
        value = EMPTY;
        state = skipRemaining == 0 ? State.HEADER : State.SKIP;
        return new Rejected(code, message, false);
    }

    private @Nullable Rejected checkHeader(FrameHeader h) {
        if ((h.flags() & ~FrameDescriptor.FLAG_SEQUENCED) != 0) {
            return fatal(
                    ErrorCode.MALFORMED_FRAME,
                    "malformed frame: unknown request flags 0x"
                            + Integer.toHexString(h.flags()) + "; only 0x01 (sequenced) is defined in protocol version "
                            + FrameDescriptor.PROTOCOL_VERSION);
        }
        boolean sequenced = (h.flags() & FrameDescriptor.FLAG_SEQUENCED) != 0;
        String framing = h.framingProblem(sequenced ? FrameDescriptor.SEQUENCE_LENGTH : 0);
        if (framing != null) {
            return fatal(ErrorCode.MALFORMED_FRAME, "malformed frame: " + framing);
        }
        Opcode op = Opcode.fromCode(h.type());
        if (op == null) {
            return fatal(ErrorCode.UNKNOWN_OPCODE, String.format("unknown opcode 0x%02X", h.type()));
        }
        if (sequenced && clientId == 0) {
            return skip(h, ErrorCode.INVALID_ARGUMENT, op + ": a sequenced request needs a session hello");
        }
        if (sequenced && op != Opcode.SET && op != Opcode.CAS && op != Opcode.DELETE && op != Opcode.PUT_EXPIRING) {
            return skip(
                    h, ErrorCode.INVALID_ARGUMENT, op + ": only SET, CAS, DELETE and PUT_EXPIRING may be sequenced");
        }
        if (h.keyLength() > FrameDescriptor.MAX_KEY_LENGTH) {
            return skip(
                    h,
                    ErrorCode.KEY_TOO_LONG,
                    op + ": key of " + h.keyLength() + " bytes exceeds the limit of " + FrameDescriptor.MAX_KEY_LENGTH
                            + " bytes");
        }
        if (op.requiresKey() && h.keyLength() == 0) {
            return skip(
                    h,
                    ErrorCode.KEY_EMPTY,
                    op + ": key is empty; keys are 1 to " + FrameDescriptor.MAX_KEY_LENGTH + " bytes");
        }
        boolean prefixed = (op == Opcode.CHMOD || op == Opcode.CHOWN) && (h.arg() & FrameDescriptor.ARG_PREFIX) != 0;
        if ((op == Opcode.CHMOD || op == Opcode.CHOWN) && !prefixed && h.keyLength() == 0) {
            return skip(
                    h,
                    ErrorCode.KEY_EMPTY,
                    op + ": key is empty; give a key of 1 to " + FrameDescriptor.MAX_KEY_LENGTH
                            + " bytes, or set ARG_PREFIX to change every key under a prefix");
        }
        if (op == Opcode.CHOWN && h.valueLength() != 8) {
            return skip(
                    h,
                    ErrorCode.INVALID_ARGUMENT,
                    "CHOWN: value of " + h.valueLength() + " bytes; expected 8 (uid u32, gid u32)");
        }
        if ((op == Opcode.PUT_EXPIRING && h.valueLength() < FrameDescriptor.DEADLINE_LENGTH)
                || (op == Opcode.EXPIRE && h.valueLength() != FrameDescriptor.DEADLINE_LENGTH)) {
            return skip(
                    h,
                    ErrorCode.INVALID_ARGUMENT,
                    op + ": value of " + h.valueLength() + " bytes; expected "
                            + (op == Opcode.EXPIRE
                                    ? "8 (the deadline, int64)"
                                    : "the deadline (int64), then the value"));
        }
        if (op == Opcode.WATCH && h.valueLength() != 1) {
            return skip(
                    h,
                    ErrorCode.INVALID_ARGUMENT,
                    "WATCH: value of " + h.valueLength() + " bytes; expected 1 (the options)");
        }
        if (op == Opcode.LIMIT && (h.arg() < LimitCodec.SET || h.arg() > LimitCodec.SHOW)) {
            // before the value's length, which depends on the operation: name the real problem
            return skip(
                    h,
                    ErrorCode.INVALID_ARGUMENT,
                    "LIMIT: operation " + h.arg() + " is not 1 (set), 2 (unset) or" + " 3 (show)");
        }
        if (op == Opcode.LIMIT && h.valueLength() != (h.arg() == LimitCodec.SHOW ? 0 : LimitCodec.CHANGE_LENGTH)) {
            return skip(
                    h,
                    ErrorCode.INVALID_ARGUMENT,
                    "LIMIT: value of " + h.valueLength() + " bytes; expected "
                            + (h.arg() == LimitCodec.SHOW ? 0 : LimitCodec.CHANGE_LENGTH) + " for this operation");
        }
        if (!op.requiresKey()
                && op != Opcode.SCAN
                && op != Opcode.CHMOD
                && op != Opcode.CHOWN
                && op != Opcode.LIMIT
                && op != Opcode.WATCH
                && h.keyLength() != 0) {
            return skip(h, ErrorCode.INVALID_ARGUMENT, op + ": takes no key but got " + h.keyLength() + " bytes");
        }
        if (!op.carriesValue() && h.valueLength() != 0) {
            return skip(h, ErrorCode.INVALID_ARGUMENT, op + ": takes no value but got " + h.valueLength() + " bytes");
        }
        if (op == Opcode.SCAN && h.valueLength() > FrameDescriptor.MAX_KEY_LENGTH) {
            return skip(
                    h,
                    ErrorCode.INVALID_ARGUMENT,
                    "SCAN: cursor of " + h.valueLength() + " bytes exceeds the key limit of "
                            + FrameDescriptor.MAX_KEY_LENGTH + " bytes");
        }
        if (op == Opcode.PING && h.valueLength() > FrameDescriptor.MAX_PING_LENGTH) {
            return skip(
                    h,
                    ErrorCode.INVALID_ARGUMENT,
                    "PING: value of " + h.valueLength() + " bytes exceeds the limit of "
                            + FrameDescriptor.MAX_PING_LENGTH + " bytes for an echo");
        }
        long ownValue = op == Opcode.PUT_EXPIRING || op == Opcode.EXPIRE
                ? h.valueLength() - FrameDescriptor.DEADLINE_LENGTH
                : h.valueLength();
        if (ownValue > maxValueLength) {
            return skip(
                    h,
                    ErrorCode.VALUE_TOO_LARGE,
                    op + ": value of " + ownValue + " bytes exceeds the limit of " + maxValueLength + " bytes");
        }
        String argProblem = switch (op) {
            case DELETE, CAS, EXPIRE -> h.arg() < 0 ? "expected version " + h.arg() + " is negative" : null;
            case WATCH -> h.arg() < -1 ? "from version " + h.arg() + " is below -1 (-1: from now)" : null;
            case PUT_EXPIRING ->
                h.arg() < FrameDescriptor.ARG_ANY_VERSION
                        ? "expected version " + h.arg() + " is below -1 (-1: any version, a SET)"
                        : null;
            case SCAN -> {
                long size = h.arg() & ~FrameDescriptor.ARG_SCAN_OWNERS;
                yield size < 0 || size > FrameDescriptor.MAX_SCAN_LIMIT
                        ? "page size " + size + " is outside 0.." + FrameDescriptor.MAX_SCAN_LIMIT
                                + " (bit 32 may be set to ask for owners)"
                        : null;
            }
            case CHMOD -> {
                long mode = h.arg() & ~FrameDescriptor.ARG_PREFIX;
                yield mode < 0 || (mode & ~FrameDescriptor.MAX_KEY_MODE) != 0
                        ? "mode 0" + Long.toOctalString(mode)
                                + " has bits outside 0666 (keys have read and write bits only)"
                        : null; // no String.format: a rejected frame's message must stay small
                // (RequestFramerPropertyTest)
            }
            case CHOWN ->
                (h.arg() & ~FrameDescriptor.ARG_PREFIX) != 0
                        ? "arg must be 0 or ARG_PREFIX (1 << 32) but was " + h.arg()
                        : null;
            case LIMIT ->
                h.arg() < LimitCodec.SET || h.arg() > LimitCodec.SHOW
                        ? "operation " + h.arg() + " is not 1 (set), 2 (unset) or 3 (show)"
                        : null;
            default -> h.arg() != 0 ? "arg must be 0 but was " + h.arg() : null;
        };
        if (argProblem != null) {
            return skip(h, ErrorCode.INVALID_ARGUMENT, op + ": " + argProblem);
        }
        opcode = op;
        arg = h.arg();
        return null;
    }
}
