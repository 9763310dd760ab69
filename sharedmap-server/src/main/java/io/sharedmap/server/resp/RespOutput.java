package io.sharedmap.server.resp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes replies in RESP2 or RESP3, without I/O: small items are appended to a growing array, a
 * large bulk string is kept by reference (never copied), and {@link #forEachPiece} hands the bytes
 * out in order. Where RESP3 has a type RESP2 lacks, the RESP2 form is Redis's: a map is a flat array
 * of keys and values, a null is {@code $-1} (or {@code *-1} for an array), a double a bulk string.
 *
 * <p>Not thread-safe.
 */
public final class RespOutput {
    /** A bulk string longer than this is written from the caller's array, not copied. */
    static final int COPY_BYTES = 16 * 1024;

    private static final byte[] CRLF = {'\r', '\n'};

    /** Receives the encoded bytes, in order. */
    @FunctionalInterface
    public interface PieceSink<E extends Exception> {
        void accept(byte[] bytes, int offset, int length) throws E;
    }

    private final int protocol;
    private static final byte[] NONE = new byte[0];
    /** The first array a reply gets, unless it says how much it needs: room for "+OK", ":1", "$-1". */
    private static final int FIRST_BYTES = 16;

    // Allocated on first use, at the size the first item needs: a daemon makes one of these per
    // command, and most replies are a few bytes.
    private byte[] buf = NONE;
    private int length;
    /** Pieces before {@code buf}: copies of earlier small items and large bulk strings by reference. */
    private List<byte[]> pieces = List.of(); // an ArrayList once the first piece is added

    /** @param protocol 2 or 3 */
    public RespOutput(int protocol) {
        if (protocol != 2 && protocol != 3) {
            throw new IllegalArgumentException("protocol " + protocol + " is neither 2 nor 3");
        }
        this.protocol = protocol;
    }

    public int protocol() {
        return protocol;
    }

    /** Bytes encoded so far. */
    public long size() {
        long n = length;
        for (byte[] p : pieces) {
            n += p.length;
        }
        return n;
    }

    /** {@code +text}: {@code text} must hold no CR or LF. */
    public RespOutput simple(String text) {
        put('+');
        putLine(text);
        return this;
    }

    /**
     * {@code -text}: the first word is the error's code ({@code ERR}, {@code NOPERM}, ...). A CR or
     * LF in {@code text} (which would end the line early) becomes a space.
     */
    public RespOutput error(String text) {
        put('-');
        putLine(text.replace('\r', ' ').replace('\n', ' '));
        return this;
    }

    public RespOutput integer(long v) {
        put(':');
        putNumberLine(v);
        return this;
    }

    public RespOutput bulk(byte[] value) {
        ensure(value.length > COPY_BYTES ? 16 : value.length + 16); // the header, the value and CRLF at once
        put('$');
        putNumberLine(value.length);
        if (value.length > COPY_BYTES) {
            addPiece(Arrays.copyOf(buf, length));
            length = 0;
            addPiece(value);
        } else {
            put(value);
        }
        put(CRLF);
        return this;
    }

    public RespOutput bulk(String value) {
        return bulk(value.getBytes(StandardCharsets.UTF_8));
    }

    /** The null bulk string: {@code $-1} in RESP2, {@code _} in RESP3. */
    public RespOutput nullBulk() {
        if (protocol == 3) {
            put('_');
            put(CRLF);
        } else {
            putLine("$-1");
        }
        return this;
    }

    /** The null array: {@code *-1} in RESP2, {@code _} in RESP3. */
    public RespOutput nullArray() {
        if (protocol == 3) {
            put('_');
            put(CRLF);
        } else {
            putLine("*-1");
        }
        return this;
    }

    public RespOutput array(int n) {
        put('*');
        putNumberLine(n);
        return this;
    }

    /** A map of {@code n} pairs: {@code %n} in RESP3, an array of {@code 2n} in RESP2. */
    public RespOutput map(int n) {
        if (protocol == 3) {
            put('%');
            putNumberLine(n);
        } else {
            array(2 * n);
        }
        return this;
    }

    /** A set of {@code n}: {@code ~n} in RESP3, an array in RESP2. */
    public RespOutput set(int n) {
        if (protocol == 3) {
            put('~');
            putNumberLine(n);
        } else {
            array(n);
        }
        return this;
    }

    /** A double written as {@code text}: {@code ,text} in RESP3, a bulk string in RESP2. */
    public RespOutput doubleValue(String text) {
        if (protocol == 3) {
            put(',');
            putLine(text);
            return this;
        }
        return bulk(text);
    }

    /** Appends everything {@code other} encoded (an element of an aggregate: EXEC's replies). */
    public RespOutput append(RespOutput other) {
        for (byte[] p : other.pieces) {
            if (p.length > COPY_BYTES) {
                addPiece(Arrays.copyOf(buf, length));
                length = 0;
                addPiece(p);
            } else {
                put(p);
            }
        }
        ensure(other.length);
        System.arraycopy(other.buf, 0, buf, length, other.length);
        length += other.length;
        return this;
    }

    /** Hands every encoded byte to {@code sink}, in order. */
    public <E extends Exception> void forEachPiece(PieceSink<E> sink) throws E {
        for (byte[] p : pieces) {
            sink.accept(p, 0, p.length);
        }
        if (length > 0) {
            sink.accept(buf, 0, length);
        }
    }

    /** Everything encoded, as one array (tests). */
    public byte[] toByteArray() {
        byte[] all = new byte[Math.toIntExact(size())];
        int[] at = {0};
        forEachPiece((b, off, len) -> {
            System.arraycopy(b, off, all, at[0], len);
            at[0] += len;
        });
        return all;
    }

    private void addPiece(byte[] p) {
        if (pieces.isEmpty()) {
            pieces = new ArrayList<>(4);
        }
        pieces.add(p);
    }

    /** {@code v} in decimal, then CRLF, without making a String. */
    private void putNumberLine(long v) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                putLine(Long.toString(v));
                return;
            }
            put('-');
            putNumberLine(-v);
            return;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        ensure(digits + 2);
        for (int i = length + digits - 1; i >= length; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        length += digits;
        buf[length++] = '\r';
        buf[length++] = '\n';
    }

    private void putLine(String s) {
        int n = s.length();
        ensure(n + 2);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf[length++] = (byte) c;
            } else {
                put(s.substring(i).getBytes(StandardCharsets.UTF_8));
                break;
            }
        }
        put(CRLF);
    }

    private void put(char c) {
        ensure(1);
        buf[length++] = (byte) c;
    }

    private void put(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, length, b.length);
        length += b.length;
    }

    private void ensure(int more) {
        if (length + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(Math.max(buf.length * 2, FIRST_BYTES), length + more));
        }
    }
}
