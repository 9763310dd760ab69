package io.sharedmap.server.resp;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * Turns the bytes a Redis client sends into commands, incrementally and without I/O: feed it
 * whatever arrived, in pieces of any size, and poll events until it returns {@code null} (the model
 * is {@code io.sharedmap.protocol.RequestFramer}).
 *
 * <p>A request is either an array of bulk strings ({@code *<n>\r\n} then {@code n} times {@code
 * $<len>\r\n<len bytes>\r\n}), which is what every client library sends, or an <em>inline</em>
 * command: one line of words separated by spaces, with {@code "..."} and {@code '...'} quoting, as
 * typed into {@code telnet} (Redis's rules; a line ends with {@code \n}, an optional {@code \r}
 * before it is dropped). An empty line, {@code *0} and {@code *-1} are no command and are skipped.
 *
 * <p>Limits, each named in the rejection: at most {@code maxArgs} arguments, a bulk string of at most
 * {@code maxBulkBytes}, a whole command of at most {@code maxCommandBytes} (arguments' bytes summed,
 * and {@value #ARG_OVERHEAD_BYTES} for each argument),
 * an inline line of at most {@value #MAX_INLINE_BYTES} bytes, a length line of at most {@value
 * #MAX_LENGTH_LINE_BYTES}. A broken limit or a malformed stream is a {@link Rejected} event, after
 * which the framer yields nothing more: the caller answers with the error and closes the
 * connection, as Redis does for a protocol error. No limit is checked after the bytes were
 * buffered: a bulk length over the limit is rejected when its header arrives, before any of its
 * payload is read.
 *
 * <p>Not thread-safe: one framer per connection, used by the thread that reads it.
 */
public final class RespFramer {
    /** Longest inline command line, as in Redis (64 KiB). */
    public static final int MAX_INLINE_BYTES = 64 * 1024;
    /** Longest {@code *<n>} or {@code $<len>} line: a 64-bit number fits in 20 characters. */
    public static final int MAX_LENGTH_LINE_BYTES = 32;

    /**
     * What one argument costs beyond its bytes (its array's header and its slot in the list), counted
     * towards {@code maxCommandBytes}, so that a million empty arguments are as bounded as a large one.
     */
    public static final int ARG_OVERHEAD_BYTES = 32;

    /** What the framer found in the byte stream. */
    public sealed interface Event permits Command, Rejected {}

    /** A complete command: its name and arguments (at least one element), owned by the receiver. */
    public record Command(List<byte[]> args) implements Event {}

    /** The stream broke the protocol or a limit; the message is the error line without the {@code -}. */
    public record Rejected(String message) implements Event {}

    private enum State {
        START,
        INLINE,
        ARRAY_LENGTH,
        BULK_LENGTH,
        /** A bulk string's length is accepted but its array could not be had yet ("not now"). */
        BULK_ALLOCATE,
        BULK_DATA,
        BULK_CR,
        BULK_LF,
        CLOSED
    }

    private static final byte[] EMPTY = new byte[0];

    private final int maxArgs;
    private final int maxBulkBytes;
    private final long maxCommandBytes;
    private final IntFunction<byte @Nullable []> allocator;

    private State state = State.START;
    private byte[] line = new byte[64];
    private int lineLength;
    private List<byte[]> args = new ArrayList<>();
    private int argsExpected;
    private long commandBytes;
    private byte[] bulk = EMPTY;
    private int bulkFilled;
    private int bulkLength; // the length waiting for its array, in BULK_ALLOCATE

    /**
     * @param maxArgs most arguments of one command (its name included), at least 1
     * @param maxBulkBytes largest bulk string
     * @param maxCommandBytes largest sum of a command's argument lengths
     * @param allocator makes the array a bulk string of the given length (0 too) is read into, once
     *     its header has been accepted; a server bounds the memory of commands being received with it
     *     (it may throw to abandon the connection, or return {@code null} for "not now": {@link #poll}
     *     then returns {@code null} with {@link #isWaitingForMemory()} true, consumes nothing more, and
     *     asks again on the next {@code poll})
     */
    public RespFramer(int maxArgs, int maxBulkBytes, long maxCommandBytes, IntFunction<byte @Nullable []> allocator) {
        if (maxArgs < 1 || maxBulkBytes < 0 || maxCommandBytes < maxBulkBytes) {
            throw new IllegalArgumentException("limits out of range: maxArgs " + maxArgs + ", maxBulkBytes "
                    + maxBulkBytes + ", maxCommandBytes " + maxCommandBytes);
        }
        this.maxArgs = maxArgs;
        this.maxBulkBytes = maxBulkBytes;
        this.maxCommandBytes = maxCommandBytes;
        this.allocator = allocator;
    }

    /** Whether the framer is between commands (nothing of a next command buffered). */
    public boolean isIdle() {
        return state == State.START;
    }

    /** Whether the last {@link #poll} stopped because the allocator had no memory to give yet. */
    public boolean isWaitingForMemory() {
        return state == State.BULK_ALLOCATE;
    }

    /** Whether the framer has rejected the stream and will yield nothing more. */
    public boolean isClosed() {
        return state == State.CLOSED;
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
                case START -> {
                    if (!src.hasRemaining()) {
                        return null;
                    }
                    lineLength = 0;
                    if (src.get(src.position()) == '*') {
                        src.get();
                        state = State.ARRAY_LENGTH;
                    } else {
                        state = State.INLINE;
                    }
                }
                case INLINE -> {
                    int r = readLine(src, MAX_INLINE_BYTES);
                    if (r == 0) {
                        return null;
                    }
                    if (r < 0) {
                        return reject("Protocol error: too big inline request (more than " + MAX_INLINE_BYTES
                                + " bytes without a newline)");
                    }
                    state = State.START;
                    List<byte[]> words = Inline.split(line, lineLength);
                    if (words == null) {
                        return reject("Protocol error: unbalanced quotes in request");
                    }
                    if (words.size() > maxArgs) {
                        return reject("Protocol error: inline request of " + words.size() + " arguments; the limit is "
                                + maxArgs);
                    }
                    if (!words.isEmpty()) {
                        return new Command(words);
                    }
                }
                case ARRAY_LENGTH -> {
                    long n = lineLength == 0 ? quickLength(src, src.position()) : -1;
                    if (n < 0) {
                        int r = readLine(src, MAX_LENGTH_LINE_BYTES);
                        if (r == 0) {
                            return null;
                        }
                        n = r < 0 ? Long.MIN_VALUE : parseLength();
                    }
                    if (n == Long.MIN_VALUE) {
                        return reject("Protocol error: invalid multibulk length");
                    }
                    if (n > maxArgs) {
                        return reject("Protocol error: invalid multibulk length " + n + " (at most " + maxArgs
                                + " arguments per command)");
                    }
                    if (n <= 0) {
                        state = State.START; // *0 and *-1: no command
                        continue;
                    }
                    argsExpected = (int) n;
                    args = new ArrayList<>(Math.min(argsExpected, 1024));
                    commandBytes = 0;
                    state = State.BULK_LENGTH;
                    lineLength = 0;
                }
                case BULK_LENGTH -> {
                    if (lineLength == 0 && src.hasRemaining() && src.get(src.position()) != '$') {
                        byte b = src.get(src.position());
                        return reject("Protocol error: expected '$', got '" + printable(b) + "'");
                    }
                    long n = lineLength == 0 && src.hasRemaining() ? quickLength(src, src.position() + 1) : -1;
                    if (n < 0) {
                        int r = readLine(src, MAX_LENGTH_LINE_BYTES);
                        if (r == 0) {
                            return null;
                        }
                        n = Long.MIN_VALUE;
                        if (r > 0) {
                            System.arraycopy(line, 1, line, 0, lineLength - 1); // drop the '$'
                            lineLength--;
                            n = parseLength();
                        }
                    }
                    if (n == Long.MIN_VALUE || n < 0) {
                        return reject("Protocol error: invalid bulk length");
                    }
                    if (n > maxBulkBytes) {
                        return reject("Protocol error: invalid bulk length " + n + ": a bulk string may have at most "
                                + maxBulkBytes + " bytes (the daemon's --max-value-bytes)");
                    }
                    if (commandBytes + n + ARG_OVERHEAD_BYTES > maxCommandBytes) {
                        return reject("Protocol error: command of more than " + maxCommandBytes
                                + " bytes (its arguments summed, " + ARG_OVERHEAD_BYTES
                                + " bytes each for overhead; the limit is --max-value-bytes + 1 MiB)");
                    }
                    commandBytes += n + ARG_OVERHEAD_BYTES;
                    bulkLength = (int) n;
                    state = State.BULK_ALLOCATE;
                }
                case BULK_ALLOCATE -> {
                    byte[] b = allocator.apply(bulkLength);
                    if (b == null) {
                        return null; // asked again on the next poll
                    }
                    bulk = b;
                    bulkFilled = 0;
                    state = State.BULK_DATA;
                }
                case BULK_DATA -> {
                    int n = Math.min(src.remaining(), bulk.length - bulkFilled);
                    src.get(bulk, bulkFilled, n);
                    bulkFilled += n;
                    if (bulkFilled < bulk.length) {
                        return null;
                    }
                    int at = src.position();
                    if (src.limit() - at < 2 || src.get(at) != '\r' || src.get(at + 1) != '\n') {
                        state = State.BULK_CR; // checked byte by byte, as it arrives
                        continue;
                    }
                    src.position(at + 2);
                    Command done = argumentDone();
                    if (done != null) {
                        return done;
                    }
                }
                case BULK_CR, BULK_LF -> {
                    if (!src.hasRemaining()) {
                        return null;
                    }
                    byte b = src.get();
                    if (b != (state == State.BULK_CR ? '\r' : '\n')) {
                        return reject("Protocol error: a bulk string of " + bulk.length
                                + " bytes is not followed by CRLF (got '" + printable(b) + "')");
                    }
                    if (state == State.BULK_CR) {
                        state = State.BULK_LF;
                        continue;
                    }
                    Command done = argumentDone();
                    if (done != null) {
                        return done;
                    }
                }
            }
        }
    }

    /** The bulk string just read (CRLF and all) is an argument: the command if it was the last one. */
    private @Nullable Command argumentDone() {
        args.add(bulk);
        bulk = EMPTY;
        lineLength = 0;
        if (args.size() < argsExpected) {
            state = State.BULK_LENGTH;
            return null;
        }
        state = State.START;
        List<byte[]> done = args;
        args = new ArrayList<>();
        return new Command(done);
    }

    /**
     * The common case of a length line, read in place: if {@code src} holds, from {@code from}, a
     * whole line of 1 to 18 decimal digits without a leading zero (or "0") ending in CRLF, consumes
     * it (and whatever lies between the position and {@code from}) and returns its value. Otherwise
     * returns -1 and consumes nothing: {@link #readLine} then takes the line byte by byte, and judges
     * it, as for any other line.
     */
    private static long quickLength(ByteBuffer src, int from) {
        int limit = Math.min(src.limit(), from + 20);
        long v = 0;
        int i = from;
        for (; i < limit; i++) {
            int d = src.get(i) - '0';
            if (d < 0 || d > 9) {
                break;
            }
            v = v * 10 + d;
        }
        int digits = i - from;
        if (digits == 0 || digits > 18 || digits > 1 && src.get(from) == '0') {
            return -1;
        }
        if (i + 1 >= src.limit() || src.get(i) != '\r' || src.get(i + 1) != '\n') {
            return -1;
        }
        src.position(i + 2);
        return v;
    }

    private Rejected reject(String message) {
        state = State.CLOSED;
        args = new ArrayList<>();
        bulk = EMPTY;
        return new Rejected("ERR " + message);
    }

    /**
     * Appends bytes up to a {@code \n} to {@code line} (without it, and without a {@code \r} before
     * it): 1 when the line is complete, 0 when more bytes are needed, -1 when it is longer than
     * {@code max}.
     */
    private int readLine(ByteBuffer src, int max) {
        while (src.hasRemaining()) {
            byte b = src.get();
            if (b == '\n') {
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return 1;
            }
            if (lineLength >= max + 1) { // one more for a '\r' that may end it
                return -1;
            }
            if (lineLength == line.length) {
                line = Arrays.copyOf(line, Math.min(line.length * 2, max + 1));
            }
            line[lineLength++] = b;
        }
        return 0;
    }

    /** The line as a decimal integer ({@code -} allowed, nothing else); {@link Long#MIN_VALUE} if it is not one. */
    private long parseLength() {
        return RespNumbers.parseLong(line, 0, lineLength, Long.MIN_VALUE);
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f
                ? new String(new byte[] {b}, StandardCharsets.US_ASCII)
                : String.format("\\x%02x", b & 0xff);
    }

    /** Redis's inline splitting: words separated by blanks, double quotes with escapes, single quotes. */
    static final class Inline {
        private Inline() {}

        /** The words of {@code line[0, length)}; null when a quote is not closed (or not followed by a blank). */
        static @Nullable List<byte[]> split(byte[] line, int length) {
            List<byte[]> words = new ArrayList<>();
            int i = 0;
            byte[] word = new byte[length];
            while (true) {
                while (i < length && isBlank(line[i])) {
                    i++;
                }
                if (i >= length) {
                    return words;
                }
                int w = 0;
                boolean inDouble = false;
                boolean inSingle = false;
                while (true) {
                    if (inDouble) {
                        if (i >= length) {
                            return null;
                        }
                        byte c = line[i];
                        if (c == '\\'
                                && i + 3 < length
                                && line[i + 1] == 'x'
                                && hex(line[i + 2]) >= 0
                                && hex(line[i + 3]) >= 0) {
                            word[w++] = (byte) (hex(line[i + 2]) * 16 + hex(line[i + 3]));
                            i += 4;
                        } else if (c == '\\' && i + 1 < length) {
                            byte e = line[i + 1];
                            word[w++] = switch (e) {
                                case 'n' -> (byte) '\n';
                                case 'r' -> (byte) '\r';
                                case 't' -> (byte) '\t';
                                case 'b' -> (byte) '\b';
                                case 'a' -> (byte) 7;
                                default -> e;
                            };
                            i += 2;
                        } else if (c == '"') {
                            if (i + 1 < length && !isBlank(line[i + 1])) {
                                return null; // a closing quote must be followed by a blank
                            }
                            i++;
                            break;
                        } else {
                            word[w++] = c;
                            i++;
                        }
                    } else if (inSingle) {
                        if (i >= length) {
                            return null;
                        }
                        byte c = line[i];
                        if (c == '\\' && i + 1 < length && line[i + 1] == '\'') {
                            word[w++] = '\'';
                            i += 2;
                        } else if (c == '\'') {
                            if (i + 1 < length && !isBlank(line[i + 1])) {
                                return null;
                            }
                            i++;
                            break;
                        } else {
                            word[w++] = c;
                            i++;
                        }
                    } else {
                        if (i >= length || isBlank(line[i])) {
                            break;
                        }
                        byte c = line[i++];
                        if (c == '"') {
                            inDouble = true;
                        } else if (c == '\'') {
                            inSingle = true;
                        } else {
                            word[w++] = c;
                        }
                    }
                }
                words.add(Arrays.copyOf(word, w));
            }
        }

        private static boolean isBlank(byte b) {
            return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == 0 || b == 0x0b || b == '\f';
        }

        private static int hex(byte b) {
            return b >= '0' && b <= '9'
                    ? b - '0'
                    : b >= 'a' && b <= 'f' ? b - 'a' + 10 : b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;
        }
    }
}
