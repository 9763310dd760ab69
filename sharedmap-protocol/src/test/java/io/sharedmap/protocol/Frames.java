package io.sharedmap.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** Builds raw byte streams for framer tests and feeds them in chosen pieces. */
final class Frames {
    private Frames() {}

    static byte[] hello() {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.HELLO_LENGTH);
        HelloCodec.writeClientHello(b, FrameDescriptor.PROTOCOL_VERSION);
        return b.array();
    }

    static byte[] sessionHello(long clientId) {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.SESSION_HELLO_LENGTH);
        HelloCodec.writeSessionHello(b, FrameDescriptor.PROTOCOL_VERSION, clientId);
        return b.array();
    }

    /** A SET, CAS or DELETE carrying a sequence number (request flag SEQUENCED), as a session client sends it. */
    static byte[] sequenced(Opcode op, long sequence, byte[] key, byte[] value, long arg) {
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.sequencedLength(key.length, value.length));
        FrameEncoder.writeSequencedRequest(b, op, sequence, key, value, arg);
        return b.array();
    }

    static byte[] sequenced(Opcode op, long sequence, String key, String value, long arg) {
        return sequenced(op, sequence, bytes(key), bytes(value), arg);
    }

    static byte[] rawHello(int magic, int version, int flags) {
        return ByteBuffer.allocate(8)
                .putInt(magic)
                .putShort((short) version)
                .putShort((short) flags)
                .array();
    }

    static byte[] request(Opcode op, byte[] key, byte[] value, long arg) {
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.encodedLength(key.length, value.length));
        FrameEncoder.writeRequest(b, op, key, value, arg);
        return b.array();
    }

    static byte[] request(Opcode op, String key, String value, long arg) {
        return request(op, bytes(key), bytes(value), arg);
    }

    /** A header with every field chosen by the caller, consistent or not. */
    static byte[] rawHeader(int frameLength, int type, int flags, int keyLength, int valueLength, long arg) {
        return ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH)
                .putInt(frameLength)
                .put((byte) type)
                .put((byte) flags)
                .putShort((short) keyLength)
                .putInt(valueLength)
                .putLong(arg)
                .array();
    }

    /** A header whose frame length is consistent with its key and value lengths. */
    static byte[] header(int type, int flags, int keyLength, int valueLength, long arg) {
        return rawHeader(FrameDescriptor.frameLength(keyLength, valueLength), type, flags, keyLength, valueLength, arg);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] filled(int length, byte b) {
        byte[] a = new byte[length];
        Arrays.fill(a, b);
        return a;
    }

    /** Feeds {@code stream} cut at the given offsets and returns every event, in order. */
    static List<RequestFramer.Event> feed(RequestFramer framer, byte[] stream, int... cuts) {
        List<RequestFramer.Event> events = new ArrayList<>();
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : stream.length;
            drain(framer, ByteBuffer.wrap(stream, from, to - from), events);
            from = to;
        }
        return events;
    }

    /** Feeds {@code stream} one byte at a time. */
    static List<RequestFramer.Event> feedByteByByte(RequestFramer framer, byte[] stream) {
        List<RequestFramer.Event> events = new ArrayList<>();
        for (byte b : stream) {
            drain(framer, ByteBuffer.wrap(new byte[] {b}), events);
        }
        return events;
    }

    /** Polls until the framer asks for more bytes; fails if it returns without consuming the buffer. */
    static void drain(RequestFramer framer, ByteBuffer buf, List<RequestFramer.Event> events) {
        // Every event consumes at least one byte except a zero-payload rejection or request after a
        // header; a bound of remaining + 2 polls per buffer keeps a looping framer from hanging the test.
        int bound = buf.remaining() + 2;
        for (int i = 0; i < bound; i++) {
            RequestFramer.Event e = framer.poll(buf);
            if (e == null) {
                if (buf.hasRemaining()) {
                    throw new AssertionError("poll returned null with " + buf.remaining() + " bytes left unconsumed");
                }
                return;
            }
            events.add(e);
        }
        throw new AssertionError("framer produced more than " + bound + " events from one buffer");
    }

    /** A comparable description of an event (records holding arrays compare by identity). */
    static String describe(RequestFramer.Event e) {
        return switch (e) {
            case RequestFramer.Hello h ->
                "Hello(" + h.version() + (h.clientId() != 0 ? ", client=" + h.clientId() : "") + ")";
            case RequestFramer.Request r ->
                "Request(" + r.opcode() + ", " + HexFormat.of().formatHex(r.key()) + ", "
                        + HexFormat.of().formatHex(r.value()) + ", " + r.arg()
                        + (r.sequence() != 0 ? ", seq=" + r.sequence() : "")
                        + ")";
            case RequestFramer.Rejected r -> "Rejected(" + r.code() + ", fatal=" + r.fatal() + ")";
        };
    }

    static List<String> describeAll(List<RequestFramer.Event> events) {
        return events.stream().map(Frames::describe).toList();
    }
}
