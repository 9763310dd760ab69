package io.sharedmap.protocol;

import static io.sharedmap.protocol.Frames.bytes;
import static io.sharedmap.protocol.Frames.concat;
import static io.sharedmap.protocol.Frames.describeAll;
import static io.sharedmap.protocol.Frames.feed;
import static io.sharedmap.protocol.Frames.feedByteByByte;
import static io.sharedmap.protocol.Frames.header;
import static io.sharedmap.protocol.Frames.hello;
import static io.sharedmap.protocol.Frames.rawHeader;
import static io.sharedmap.protocol.Frames.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.ThreadMXBean;
import io.sharedmap.protocol.RequestFramer.Event;
import io.sharedmap.protocol.RequestFramer.Hello;
import io.sharedmap.protocol.RequestFramer.Rejected;
import io.sharedmap.protocol.RequestFramer.Request;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RequestFramer} fed from memory, in the manner of netty's LengthFieldBasedFrameDecoderTest:
 * every frame whole, byte by byte and split at every offset; pipelined frames; every malformed case
 * of docs/PROTOCOL.md.
 */
class RequestFramerTest {
    private static final int MAX_VALUE = 4096;

    private static RequestFramer framer() {
        return new RequestFramer(MAX_VALUE);
    }

    /** One valid request of each opcode, with the event description it must decode to. */
    static Stream<Arguments> validRequests() {
        return Stream.of(
                Arguments.of(request(Opcode.GET, "k", "", 0), "Request(GET, 6b, , 0)"),
                Arguments.of(request(Opcode.SET, "key", "value", 0), "Request(SET, 6b6579, 76616c7565, 0)"),
                Arguments.of(request(Opcode.SET, "k", "", 0), "Request(SET, 6b, , 0)"),
                Arguments.of(request(Opcode.DELETE, "k", "", 0), "Request(DELETE, 6b, , 0)"),
                Arguments.of(request(Opcode.DELETE, "k", "", 42), "Request(DELETE, 6b, , 42)"),
                Arguments.of(request(Opcode.CAS, "k", "v", 0), "Request(CAS, 6b, 76, 0)"),
                Arguments.of(
                        request(Opcode.CAS, "k", "v", Long.MAX_VALUE), "Request(CAS, 6b, 76, 9223372036854775807)"),
                Arguments.of(request(Opcode.SCAN, "", "", 0), "Request(SCAN, , , 0)"),
                Arguments.of(request(Opcode.SCAN, "p", "pa", 1000), "Request(SCAN, 70, 7061, 1000)"),
                Arguments.of(request(Opcode.PING, "", "", 0), "Request(PING, , , 0)"),
                Arguments.of(request(Opcode.PING, "", "hi", 0), "Request(PING, , 6869, 0)"),
                Arguments.of(request(Opcode.STATS, "", "", 0), "Request(STATS, , , 0)"),
                Arguments.of(
                        request(Opcode.GET, Frames.filled(FrameDescriptor.MAX_KEY_LENGTH, (byte) 'a'), new byte[0], 0),
                        "Request(GET, " + "61".repeat(FrameDescriptor.MAX_KEY_LENGTH) + ", , 0)"),
                Arguments.of(
                        request(Opcode.SET, bytes("k"), Frames.filled(MAX_VALUE, (byte) 0), 0),
                        "Request(SET, 6b, " + "00".repeat(MAX_VALUE) + ", 0)"));
    }

    @ParameterizedTest
    @MethodSource("validRequests")
    void poll_wholeFrame(byte[] frame, String expected) {
        List<Event> events = feed(framer(), concat(hello(), frame));
        assertThat(describeAll(events)).containsExactly("Hello(1)", expected);
    }

    @ParameterizedTest
    @MethodSource("validRequests")
    void poll_byteByByte(byte[] frame, String expected) {
        RequestFramer framer = framer();
        List<Event> events = feedByteByByte(framer, concat(hello(), frame));
        assertThat(describeAll(events)).containsExactly("Hello(1)", expected);
        assertThat(framer.isIdle()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("validRequests")
    void poll_splitAtEveryOffset(byte[] frame, String expected) {
        byte[] stream = concat(hello(), frame);
        int step = Math.max(1, stream.length / 200); // the big frames: every offset would be slow, not wrong
        for (int cut = 0; cut <= stream.length; cut += step) {
            List<Event> events = feed(framer(), stream, cut);
            assertThat(describeAll(events)).as("cut at %d", cut).containsExactly("Hello(1)", expected);
        }
    }

    @Test
    void poll_splitAtEveryPairOfOffsets() {
        byte[] stream = concat(hello(), request(Opcode.SET, "key", "value", 0), request(Opcode.GET, "key", "", 0));
        for (int a = 0; a <= stream.length; a++) {
            for (int b = a; b <= stream.length; b++) {
                List<Event> events = feed(framer(), stream, a, b);
                assertThat(describeAll(events))
                        .as("cuts at %d, %d", a, b)
                        .containsExactly(
                                "Hello(1)", "Request(SET, 6b6579, 76616c7565, 0)", "Request(GET, 6b6579, , 0)");
            }
        }
    }

    @Test
    void poll_pipelinedFramesInOneBuffer() {
        byte[] stream = concat(
                hello(),
                request(Opcode.SET, "a", "1", 0),
                request(Opcode.SET, "b", "22", 0),
                request(Opcode.PING, "", "", 0),
                request(Opcode.GET, "a", "", 0),
                request(Opcode.DELETE, "b", "", 7),
                request(Opcode.STATS, "", "", 0));
        RequestFramer framer = framer();
        ByteBuffer buf = ByteBuffer.wrap(stream);
        List<Event> events = new ArrayList<>();
        Frames.drain(framer, buf, events);
        assertThat(describeAll(events))
                .containsExactly(
                        "Hello(1)",
                        "Request(SET, 61, 31, 0)",
                        "Request(SET, 62, 3232, 0)",
                        "Request(PING, , , 0)",
                        "Request(GET, 61, , 0)",
                        "Request(DELETE, 62, , 7)",
                        "Request(STATS, , , 0)");
        assertThat(framer.isIdle()).isTrue();
    }

    @Test
    void poll_returnsOneEventPerCallAndLeavesTheRestInTheBuffer() {
        byte[] first = request(Opcode.GET, "a", "", 0);
        byte[] stream = concat(hello(), first, request(Opcode.GET, "b", "", 0));
        RequestFramer framer = framer();
        ByteBuffer buf = ByteBuffer.wrap(stream);
        assertThat(framer.poll(buf)).isEqualTo(new Hello(1, 0));
        assertThat(buf.position()).isEqualTo(FrameDescriptor.HELLO_LENGTH);
        assertThat(framer.poll(buf)).isInstanceOf(Request.class);
        assertThat(buf.position()).isEqualTo(FrameDescriptor.HELLO_LENGTH + first.length);
        assertThat(framer.poll(buf)).isInstanceOf(Request.class);
        assertThat(framer.poll(buf)).isNull();
    }

    @Test
    void poll_emptyBuffer_returnsNullInEveryState() {
        RequestFramer framer = framer();
        assertThat(framer.poll(ByteBuffer.allocate(0))).isNull();
        feed(framer, hello());
        assertThat(framer.poll(ByteBuffer.allocate(0))).isNull();
        feed(framer, request(Opcode.SET, "k", "v", 0), 21);
        assertThat(framer.poll(ByteBuffer.allocate(0))).isNull();
        assertThat(framer.isIdle()).isTrue();
    }

    @Test
    void isIdle_falseInsideAFrame() {
        RequestFramer framer = framer();
        feed(framer, hello());
        assertThat(framer.isIdle()).isTrue();
        byte[] frame = request(Opcode.SET, "k", "v", 0);
        for (int i = 0; i < frame.length - 1; i++) {
            assertThat(framer.poll(ByteBuffer.wrap(frame, i, 1))).isNull();
            assertThat(framer.isIdle()).as("after %d bytes", i + 1).isFalse();
        }
        assertThat(framer.poll(ByteBuffer.wrap(frame, frame.length - 1, 1))).isInstanceOf(Request.class);
        assertThat(framer.isIdle()).isTrue();
    }

    @Test
    void request_ownsItsArrays() {
        byte[] stream = concat(hello(), request(Opcode.SET, "k", "v", 0));
        List<Event> events = feed(framer(), stream);
        stream[stream.length - 1] = 'X';
        assertThat(((Request) events.get(1)).value()).isEqualTo(bytes("v"));
    }

    // ---------------------------------------------------------------- hello

    static Stream<Arguments> badHellos() {
        return Stream.of(
                Arguments.of(Frames.rawHello(0x534D4151, 1, 0), ErrorCode.BAD_HANDSHAKE),
                Arguments.of(Frames.rawHello(0, 0, 0), ErrorCode.BAD_HANDSHAKE),
                Arguments.of(bytes("GET / HT"), ErrorCode.BAD_HANDSHAKE),
                Arguments.of(Frames.rawHello(FrameDescriptor.MAGIC, 1, 2), ErrorCode.BAD_HANDSHAKE),
                Arguments.of(Frames.rawHello(FrameDescriptor.MAGIC, 1, 0x8000), ErrorCode.BAD_HANDSHAKE),
                Arguments.of(Frames.rawHello(FrameDescriptor.MAGIC, 0, 0), ErrorCode.UNSUPPORTED_VERSION),
                Arguments.of(Frames.rawHello(FrameDescriptor.MAGIC, 2, 0), ErrorCode.UNSUPPORTED_VERSION),
                Arguments.of(Frames.rawHello(FrameDescriptor.MAGIC, 0xFFFF, 0), ErrorCode.UNSUPPORTED_VERSION));
    }

    @ParameterizedTest
    @MethodSource("badHellos")
    void hello_malformed_fatalAndNothingAfter(byte[] badHello, ErrorCode code) {
        RequestFramer framer = framer();
        List<Event> events = feed(framer, concat(badHello, request(Opcode.GET, "k", "", 0), hello()));
        assertThat(events).hasSize(1);
        Rejected r = (Rejected) events.get(0);
        assertThat(r.code()).isEqualTo(code);
        assertThat(r.fatal()).isTrue();
        assertThat(r.message()).isNotBlank();
        assertThat(framer.isClosed()).isTrue();
        assertThat(framer.poll(ByteBuffer.wrap(request(Opcode.GET, "k", "", 0))))
                .isNull();
    }

    @Test
    void hello_unsupportedVersion_messageNamesBothVersions() {
        List<Event> events = feed(framer(), Frames.rawHello(FrameDescriptor.MAGIC, 9, 0));
        assertThat(((Rejected) events.get(0)).message()).contains("9").contains("1");
    }

    @Test
    void hello_byteByByte_rejectedOnlyWhenComplete() {
        RequestFramer framer = framer();
        byte[] bad = Frames.rawHello(0xDEADBEEF, 1, 0);
        for (int i = 0; i < bad.length - 1; i++) {
            assertThat(framer.poll(ByteBuffer.wrap(bad, i, 1))).isNull();
        }
        assertThat(framer.poll(ByteBuffer.wrap(bad, bad.length - 1, 1))).isInstanceOf(Rejected.class);
    }

    // ---------------------------------------------------------------- sessions and sequence numbers

    private static byte[] sessionHello(long clientId) {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.SESSION_HELLO_LENGTH);
        HelloCodec.writeSessionHello(b, FrameDescriptor.PROTOCOL_VERSION, clientId);
        return b.array();
    }

    private static byte[] sequenced(Opcode op, long sequence, String key, String value, long arg) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.sequencedLength(k.length, v.length));
        FrameEncoder.writeSequencedRequest(b, op, sequence, k, v, arg);
        return b.array();
    }

    @Test
    void sessionHello_byteByByte_yieldsClientIdThenSequencedRequests() {
        byte[] stream = concat(
                sessionHello(0x1122334455667788L),
                sequenced(Opcode.SET, 7, "k", "v", 0),
                sequenced(Opcode.CAS, 8, "k", "w", 3),
                request(Opcode.GET, "k", "", 0));
        RequestFramer framer = framer();
        List<Event> events = new ArrayList<>();
        for (byte x : stream) {
            ByteBuffer one = ByteBuffer.wrap(new byte[] {x});
            Event e;
            while ((e = framer.poll(one)) != null) {
                events.add(e);
            }
        }
        assertThat(events).hasSize(4);
        assertThat(events.get(0)).isEqualTo(new Hello(1, 0x1122334455667788L));
        assertThat(((Request) events.get(1)).sequence()).isEqualTo(7);
        assertThat(((Request) events.get(2)).sequence()).isEqualTo(8);
        assertThat(((Request) events.get(2)).arg()).isEqualTo(3);
        assertThat(((Request) events.get(3)).sequence()).isZero();
        assertThat(framer.isIdle()).isTrue();
    }

    @Test
    void sessionHello_zeroClientId_fatal() {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.SESSION_HELLO_LENGTH);
        b.putInt(FrameDescriptor.MAGIC)
                .putShort((short) 1)
                .putShort((short) FrameDescriptor.HELLO_FLAG_SESSION)
                .putLong(0);
        assertThat(describeAll(feed(framer(), b.array()))).containsExactly("Rejected(BAD_HANDSHAKE, fatal=true)");
    }

    @Test
    void sequenced_withoutSession_rejectedAndSkipped() {
        List<Event> events =
                feed(framer(), concat(hello(), sequenced(Opcode.SET, 1, "k", "v", 0), request(Opcode.GET, "k", "", 0)));
        assertThat(describeAll(events))
                .containsExactly("Hello(1)", "Rejected(INVALID_ARGUMENT, fatal=false)", "Request(GET, 6b, , 0)");
    }

    @Test
    void sequenced_onGetOrNonPositiveSequence_rejectedAndSkipped() {
        List<Event> events = feed(
                framer(),
                concat(
                        sessionHello(5),
                        sequenced(Opcode.GET, 1, "k", "", 0),
                        sequenced(Opcode.SET, 0, "k", "v", 0),
                        sequenced(Opcode.DELETE, -3, "k", "", 0),
                        sequenced(Opcode.SET, 2, "k", "v", 0)));
        assertThat(describeAll(events))
                .containsExactly(
                        "Hello(1, client=5)",
                        "Rejected(INVALID_ARGUMENT, fatal=false)",
                        "Rejected(INVALID_ARGUMENT, fatal=false)",
                        "Rejected(INVALID_ARGUMENT, fatal=false)",
                        "Request(SET, 6b, 76, 0, seq=2)");
    }

    /** Session streams: a session hello, then sequenced and plain requests, each fed every way. */
    static Stream<Arguments> sessionStreams() {
        long id = 0x0102030405060708L;
        return Stream.of(
                Arguments.of(
                        concat(Frames.sessionHello(id), Frames.sequenced(Opcode.SET, 1, "k", "v", 0)),
                        List.of("Hello(1, client=" + id + ")", "Request(SET, 6b, 76, 0, seq=1)")),
                Arguments.of(
                        concat(
                                Frames.sessionHello(-1),
                                Frames.sequenced(Opcode.CAS, Long.MAX_VALUE, "k", "v", 9),
                                Frames.sequenced(Opcode.DELETE, 2, "k", "", 0),
                                request(Opcode.GET, "k", "", 0),
                                Frames.sequenced(Opcode.SET, 3, "k", "", 0)),
                        List.of(
                                "Hello(1, client=-1)",
                                "Request(CAS, 6b, 76, 9, seq=9223372036854775807)",
                                "Request(DELETE, 6b, , 0, seq=2)",
                                "Request(GET, 6b, , 0)",
                                "Request(SET, 6b, , 0, seq=3)")),
                Arguments.of(
                        concat(Frames.sessionHello(id), request(Opcode.SET, "plain", "v", 0)),
                        List.of("Hello(1, client=" + id + ")", "Request(SET, 706c61696e, 76, 0)")));
    }

    @ParameterizedTest
    @MethodSource("sessionStreams")
    void poll_sessionStream_wholeByteByByteAndSplitAtEveryOffset(byte[] stream, List<String> expected) {
        assertThat(describeAll(feed(framer(), stream))).containsExactlyElementsOf(expected);
        RequestFramer byteByByte = framer();
        assertThat(describeAll(feedByteByByte(byteByByte, stream))).containsExactlyElementsOf(expected);
        assertThat(byteByByte.isIdle()).isTrue();
        for (int cut = 0; cut <= stream.length; cut++) {
            assertThat(describeAll(feed(framer(), stream, cut)))
                    .as("cut at %d", cut)
                    .containsExactlyElementsOf(expected);
        }
    }

    @Test
    void sessionHello_unknownFlagBesideSession_fatal() {
        byte[] hello = ByteBuffer.allocate(FrameDescriptor.SESSION_HELLO_LENGTH)
                .putInt(FrameDescriptor.MAGIC)
                .putShort((short) 1)
                .putShort((short) 0x0003)
                .putLong(7)
                .array();
        assertThat(describeAll(feed(framer(), hello))).containsExactly("Rejected(BAD_HANDSHAKE, fatal=true)");
    }

    @Test
    void sessionHello_truncated_waitsForTheClientId() {
        byte[] hello = Frames.sessionHello(42);
        RequestFramer framer = framer();
        assertThat(framer.poll(ByteBuffer.wrap(hello, 0, FrameDescriptor.HELLO_LENGTH)))
                .as("no event before the id")
                .isNull();
        assertThat(framer.poll(ByteBuffer.wrap(hello, FrameDescriptor.HELLO_LENGTH, 8)))
                .isEqualTo(new Hello(1, 42));
        RequestFramer partial = framer();
        assertThat(partial.poll(ByteBuffer.wrap(hello, 0, hello.length - 1))).isNull();
        assertThat(partial.isIdle()).isFalse();
        assertThat(partial.poll(ByteBuffer.wrap(hello, hello.length - 1, 1))).isEqualTo(new Hello(1, 42));
    }

    static Stream<Arguments> rejectedSequencedRequests() {
        byte[] longKey = Frames.filled(FrameDescriptor.MAX_KEY_LENGTH + 1, (byte) 'k');
        return Stream.of(
                Arguments.argumentSet(
                        "sequence 0", Frames.sequenced(Opcode.SET, 0, "k", "v", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "sequence MIN_VALUE",
                        Frames.sequenced(Opcode.DELETE, Long.MIN_VALUE, "k", "", 0),
                        ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "sequenced GET", Frames.sequenced(Opcode.GET, 1, "k", "", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "sequenced SCAN", Frames.sequenced(Opcode.SCAN, 1, "", "", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "sequenced PING", Frames.sequenced(Opcode.PING, 1, "", "x", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "sequenced STATS", Frames.sequenced(Opcode.STATS, 1, "", "", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "sequenced SET with a key too long",
                        Frames.sequenced(Opcode.SET, 1, longKey, bytes("v"), 0),
                        ErrorCode.KEY_TOO_LONG),
                Arguments.argumentSet(
                        "sequenced SET with an empty key",
                        Frames.sequenced(Opcode.SET, 1, "", "v", 0),
                        ErrorCode.KEY_EMPTY),
                Arguments.argumentSet(
                        "sequenced SET with a value over the limit",
                        Frames.sequenced(Opcode.SET, 1, bytes("k"), new byte[MAX_VALUE + 1], 0),
                        ErrorCode.VALUE_TOO_LARGE),
                Arguments.argumentSet(
                        "sequenced CAS with a negative version",
                        Frames.sequenced(Opcode.CAS, 1, "k", "v", -1),
                        ErrorCode.INVALID_ARGUMENT));
    }

    /** The payload skipped after a rejection includes the sequence number: the next frame decodes. */
    @ParameterizedTest
    @MethodSource("rejectedSequencedRequests")
    void sequenced_invalid_rejectedSkippedAndNextRequestDecodes(byte[] bad, ErrorCode code) {
        byte[] stream = concat(Frames.sessionHello(9), bad, Frames.sequenced(Opcode.SET, 5, "next", "v", 0));
        List<String> expected = List.of(
                "Hello(1, client=9)", "Rejected(" + code + ", fatal=false)", "Request(SET, 6e657874, 76, 0, seq=5)");
        assertThat(describeAll(feed(framer(), stream))).containsExactlyElementsOf(expected);
        assertThat(describeAll(feedByteByByte(framer(), stream))).containsExactlyElementsOf(expected);
    }

    @Test
    void sequenced_withoutSession_rejectedForEveryOpcodeAndSkipped() {
        for (Opcode op : List.of(Opcode.SET, Opcode.CAS, Opcode.DELETE)) {
            byte[] stream = concat(
                    hello(),
                    Frames.sequenced(op, 1, "k", op == Opcode.DELETE ? "" : "v", 0),
                    request(Opcode.PING, "", "", 0));
            assertThat(describeAll(feedByteByByte(framer(), stream)))
                    .as("%s", op)
                    .containsExactly("Hello(1)", "Rejected(INVALID_ARGUMENT, fatal=false)", "Request(PING, , , 0)");
        }
    }

    @Test
    void sequenced_requestOwnsFreshArraysAfterARejectedOne() {
        // A rejected sequenced request (sequence 0) must not leak its key into the next request.
        byte[] stream = concat(
                Frames.sessionHello(1),
                Frames.sequenced(Opcode.SET, 0, "aaaa", "bbbb", 0),
                Frames.sequenced(Opcode.SET, 1, "c", "d", 0));
        List<Event> events = feed(framer(), stream);
        assertThat(describeAll(events))
                .containsExactly(
                        "Hello(1, client=1)",
                        "Rejected(INVALID_ARGUMENT, fatal=false)",
                        "Request(SET, 63, 64, 0, seq=1)");
    }

    @Test
    void hello_requestWithoutHello_isBadHandshake() {
        List<Event> events = feed(framer(), request(Opcode.GET, "k", "", 0));
        assertThat(describeAll(events)).containsExactly("Rejected(BAD_HANDSHAKE, fatal=true)");
    }

    // ---------------------------------------------------------------- fatal framing errors

    static Stream<Arguments> fatalHeaders() {
        return Stream.of(
                Arguments.argumentSet(
                        "frame length one short",
                        rawHeader(16 + 1 + 1 - 1, Opcode.SET.code(), 0, 1, 1, 0),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "frame length one long",
                        rawHeader(16 + 1 + 1 + 1, Opcode.SET.code(), 0, 1, 1, 0),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "frame length zero", rawHeader(0, Opcode.GET.code(), 0, 1, 0, 0), ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "frame length negative",
                        rawHeader(-1, Opcode.GET.code(), 0, 1, 0, 0),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "negative value length",
                        rawHeader(16 + 1 - 1, Opcode.SET.code(), 0, 1, -1, 0),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "value length MIN_VALUE",
                        rawHeader(16 + 1 + Integer.MIN_VALUE, Opcode.SET.code(), 0, 1, Integer.MIN_VALUE, 0),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "lengths that overflow int32",
                        rawHeader(16 + 1 + Integer.MAX_VALUE, Opcode.SET.code(), 0, 1, Integer.MAX_VALUE, 0),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet("unknown opcode 0x0F", header(0x0F, 0, 0, 0, 0), ErrorCode.UNKNOWN_OPCODE),
                Arguments.argumentSet(
                        "unknown opcode 0x20 (a status)", header(0x20, 0, 1, 0, 0), ErrorCode.UNKNOWN_OPCODE),
                Arguments.argumentSet("unknown opcode 0xFF", header(0xFF, 0, 1, 5, 0), ErrorCode.UNKNOWN_OPCODE),
                Arguments.argumentSet(
                        "request flags 0x02", header(Opcode.GET.code(), 0x02, 1, 0, 0), ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "request flags 0x03", header(Opcode.SET.code(), 0x03, 1, 0, 0), ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "request flags 0x80", header(Opcode.PING.code(), 0x80, 0, 0, 0), ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "SEQUENCED with a frame length that leaves out the sequence number",
                        header(Opcode.SET.code(), FrameDescriptor.FLAG_SEQUENCED, 1, 1, 0),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "SEQUENCED with a frame length that counts it twice",
                        rawHeader(16 + 16 + 1 + 1, Opcode.SET.code(), FrameDescriptor.FLAG_SEQUENCED, 1, 1, 0),
                        ErrorCode.MALFORMED_FRAME));
    }

    @ParameterizedTest
    @MethodSource("fatalHeaders")
    void header_malformed_fatalAndNothingAfter(byte[] badHeader, ErrorCode code) {
        RequestFramer framer = framer();
        byte[] stream = concat(
                hello(),
                request(Opcode.GET, "before", "", 0),
                badHeader,
                request(Opcode.GET, "k", "", 0),
                request(Opcode.SET, "k", "v", 0));
        List<Event> events = feed(framer, stream);
        assertThat(describeAll(events))
                .containsExactly("Hello(1)", "Request(GET, 6265666f7265, , 0)", "Rejected(" + code + ", fatal=true)");
        assertThat(((Rejected) events.get(2)).message()).isNotBlank();
        assertThat(framer.isClosed()).isTrue();
        assertThat(framer.isIdle()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("fatalHeaders")
    void header_malformed_byteByByte(byte[] badHeader, ErrorCode code) {
        RequestFramer framer = framer();
        List<Event> events = feedByteByByte(framer, concat(hello(), badHeader, request(Opcode.GET, "k", "", 0)));
        assertThat(describeAll(events)).containsExactly("Hello(1)", "Rejected(" + code + ", fatal=true)");
    }

    @Test
    void header_malformed_consumesTheRestOfTheBuffer() {
        RequestFramer framer = framer();
        feed(framer, hello());
        ByteBuffer buf = ByteBuffer.wrap(concat(header(0x0F, 0, 0, 0, 0), request(Opcode.GET, "k", "", 0)));
        assertThat(framer.poll(buf)).isInstanceOf(Rejected.class);
        assertThat(framer.poll(buf)).isNull();
        assertThat(buf.hasRemaining()).isFalse();
    }

    @Test
    void header_lengthMismatch_messageNamesTheLengths() {
        List<Event> events = feed(framer(), concat(hello(), rawHeader(99, Opcode.SET.code(), 0, 3, 4, 0)));
        assertThat(((Rejected) events.get(1)).message())
                .contains("99")
                .contains("3")
                .contains("4");
    }

    // ---------------------------------------------------------------- non-fatal rejections

    static Stream<Arguments> rejectedRequests() {
        byte[] longKey = Frames.filled(FrameDescriptor.MAX_KEY_LENGTH + 1, (byte) 'k');
        byte[] maxKey = Frames.filled(FrameDescriptor.MAX_KEY_LENGTH, (byte) 'k');
        return Stream.of(
                Arguments.argumentSet(
                        "GET key too long", request(Opcode.GET, longKey, new byte[0], 0), ErrorCode.KEY_TOO_LONG),
                Arguments.argumentSet(
                        "SET key too long", request(Opcode.SET, longKey, bytes("v"), 0), ErrorCode.KEY_TOO_LONG),
                Arguments.argumentSet(
                        "SET key of 65535 bytes",
                        request(Opcode.SET, Frames.filled(0xFFFF, (byte) 1), bytes("v"), 0),
                        ErrorCode.KEY_TOO_LONG),
                Arguments.argumentSet(
                        "SCAN prefix too long", request(Opcode.SCAN, longKey, new byte[0], 0), ErrorCode.KEY_TOO_LONG),
                Arguments.argumentSet("GET empty key", request(Opcode.GET, "", "", 0), ErrorCode.KEY_EMPTY),
                Arguments.argumentSet("SET empty key", request(Opcode.SET, "", "v", 0), ErrorCode.KEY_EMPTY),
                Arguments.argumentSet("DELETE empty key", request(Opcode.DELETE, "", "", 0), ErrorCode.KEY_EMPTY),
                Arguments.argumentSet("CAS empty key", request(Opcode.CAS, "", "v", 0), ErrorCode.KEY_EMPTY),
                Arguments.argumentSet(
                        "SET value over limit",
                        request(Opcode.SET, bytes("k"), new byte[MAX_VALUE + 1], 0),
                        ErrorCode.VALUE_TOO_LARGE),
                Arguments.argumentSet(
                        "CAS value over limit",
                        request(Opcode.CAS, bytes("k"), new byte[MAX_VALUE + 1], 0),
                        ErrorCode.VALUE_TOO_LARGE),
                Arguments.argumentSet(
                        "PING value over limit",
                        request(Opcode.PING, new byte[0], new byte[MAX_VALUE + 1], 0),
                        ErrorCode.VALUE_TOO_LARGE),
                Arguments.argumentSet("value on GET", request(Opcode.GET, "k", "v", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "value on DELETE", request(Opcode.DELETE, "k", "v", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet("value on STATS", request(Opcode.STATS, "", "v", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet("key on PING", request(Opcode.PING, "k", "", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet("key on STATS", request(Opcode.STATS, "k", "", 0), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet("arg on GET", request(Opcode.GET, "k", "", 1), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet("arg on SET", request(Opcode.SET, "k", "v", -1), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet("arg on PING", request(Opcode.PING, "", "", 5), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "arg on STATS", request(Opcode.STATS, "", "", Long.MIN_VALUE), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "DELETE negative version", request(Opcode.DELETE, "k", "", -1), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "CAS negative version",
                        request(Opcode.CAS, "k", "v", Long.MIN_VALUE),
                        ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "SCAN page size 1001", request(Opcode.SCAN, "", "", 1001), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "SCAN page size -1", request(Opcode.SCAN, "", "", -1), ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "SCAN cursor too long",
                        request(
                                Opcode.SCAN,
                                new byte[0],
                                Frames.filled(FrameDescriptor.MAX_KEY_LENGTH + 1, (byte) 'c'),
                                0),
                        ErrorCode.INVALID_ARGUMENT),
                Arguments.argumentSet(
                        "SCAN max prefix and cursor are fine, page size huge",
                        request(Opcode.SCAN, maxKey, maxKey, Long.MAX_VALUE),
                        ErrorCode.INVALID_ARGUMENT));
    }

    @ParameterizedTest
    @MethodSource("rejectedRequests")
    void request_invalid_rejectedAndNextRequestDecodes(byte[] bad, ErrorCode code) {
        RequestFramer framer = framer();
        byte[] stream = concat(hello(), bad, request(Opcode.GET, "next", "", 0));
        List<Event> events = feed(framer, stream);
        assertThat(describeAll(events))
                .containsExactly("Hello(1)", "Rejected(" + code + ", fatal=false)", "Request(GET, 6e657874, , 0)");
        assertThat(((Rejected) events.get(1)).message()).isNotBlank();
        assertThat(framer.isClosed()).isFalse();
        assertThat(framer.isIdle()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("rejectedRequests")
    void request_invalid_byteByByte(byte[] bad, ErrorCode code) {
        List<Event> events = feedByteByByte(framer(), concat(hello(), bad, request(Opcode.GET, "next", "", 0)));
        assertThat(describeAll(events))
                .containsExactly("Hello(1)", "Rejected(" + code + ", fatal=false)", "Request(GET, 6e657874, , 0)");
    }

    @Test
    void request_invalid_reportedAsSoonAsTheHeaderArrives() {
        RequestFramer framer = framer();
        feed(framer, hello());
        byte[] bad = request(Opcode.SET, bytes("k"), new byte[MAX_VALUE + 1], 0);
        assertThat(framer.poll(ByteBuffer.wrap(bad, 0, FrameDescriptor.HEADER_LENGTH - 1)))
                .isNull();
        Event e = framer.poll(ByteBuffer.wrap(bad, FrameDescriptor.HEADER_LENGTH - 1, 1));
        assertThat(e).isInstanceOf(Rejected.class);
        assertThat(framer.isIdle()).isFalse(); // still skipping the payload
    }

    @Test
    void request_valueTooLarge_messageNamesTheLimit() {
        List<Event> events =
                feed(framer(), concat(hello(), request(Opcode.SET, bytes("k"), new byte[MAX_VALUE + 1], 0)));
        Rejected r = (Rejected) events.get(1);
        assertThat(r.message()).contains(Integer.toString(MAX_VALUE)).contains(Integer.toString(MAX_VALUE + 1));
    }

    @Test
    void request_keyTooLong_messageNamesTheLimit() {
        byte[] longKey = Frames.filled(2000, (byte) 'k');
        List<Event> events = feed(framer(), concat(hello(), request(Opcode.GET, longKey, new byte[0], 0)));
        assertThat(((Rejected) events.get(1)).message()).contains("1024").contains("2000");
    }

    @Test
    void request_invalidPayloadLooksLikeFrames_isSkippedNotParsed() {
        // The rejected value holds bytes that would be a fatal frame if the framer parsed them.
        byte[] poison = concat(header(0x0F, 0x01, 0, 0, 0), header(0x0F, 0, 0, 0, 0));
        byte[] stream = concat(hello(), request(Opcode.GET, bytes("k"), poison, 0), request(Opcode.PING, "", "", 0));
        assertThat(describeAll(feed(framer(), stream)))
                .containsExactly("Hello(1)", "Rejected(INVALID_ARGUMENT, fatal=false)", "Request(PING, , , 0)");
    }

    @Test
    void request_rejectionsKeepTheirPlaceInAPipeline() {
        byte[] stream = concat(
                hello(),
                request(Opcode.SET, "a", "1", 0),
                request(Opcode.GET, "", "", 0),
                request(Opcode.SET, bytes("b"), new byte[MAX_VALUE + 10], 0),
                request(Opcode.GET, "a", "", 0),
                request(Opcode.SCAN, "", "", 5000),
                request(Opcode.PING, "", "x", 0));
        for (int cut = 0; cut <= stream.length; cut += 7) {
            assertThat(describeAll(feed(framer(), stream, cut)))
                    .as("cut at %d", cut)
                    .containsExactly(
                            "Hello(1)",
                            "Request(SET, 61, 31, 0)",
                            "Rejected(KEY_EMPTY, fatal=false)",
                            "Rejected(VALUE_TOO_LARGE, fatal=false)",
                            "Request(GET, 61, , 0)",
                            "Rejected(INVALID_ARGUMENT, fatal=false)",
                            "Request(PING, , 78, 0)");
        }
    }

    @Test
    void request_limitIsTheConfiguredOne() {
        RequestFramer small = new RequestFramer(3);
        assertThat(describeAll(feed(
                        small,
                        concat(hello(), request(Opcode.SET, "k", "abc", 0), request(Opcode.SET, "k", "abcd", 0)))))
                .containsExactly("Hello(1)", "Request(SET, 6b, 616263, 0)", "Rejected(VALUE_TOO_LARGE, fatal=false)");
        RequestFramer zero = new RequestFramer(0);
        assertThat(describeAll(
                        feed(zero, concat(hello(), request(Opcode.SET, "k", "", 0), request(Opcode.PING, "", "a", 0)))))
                .containsExactly("Hello(1)", "Request(SET, 6b, , 0)", "Rejected(VALUE_TOO_LARGE, fatal=false)");
    }

    @Test
    void expiryRequests_checkTheirDeadlineField_andTheValueLimitExcludesIt() {
        RequestFramer small = new RequestFramer(3);
        assertThat(describeAll(feed(
                        small,
                        concat(
                                hello(),
                                request(Opcode.PUT_EXPIRING, bytes("k"), bytes("12345678abc"), -1),
                                request(Opcode.PUT_EXPIRING, bytes("k"), bytes("12345678abcd"), 0),
                                request(Opcode.PUT_EXPIRING, bytes("k"), bytes("1234567"), -1),
                                request(Opcode.PUT_EXPIRING, bytes("k"), bytes("12345678"), -2),
                                request(Opcode.EXPIRE, bytes("k"), bytes("12345678"), 7),
                                request(Opcode.EXPIRE, bytes("k"), bytes("123456789"), 0),
                                request(Opcode.DEADLINE, bytes("k"), new byte[0], 0),
                                request(Opcode.DEADLINE, bytes(""), new byte[0], 0)))))
                .containsExactly(
                        "Hello(1)",
                        "Request(PUT_EXPIRING, 6b, 3132333435363738616263, -1)",
                        "Rejected(VALUE_TOO_LARGE, fatal=false)",
                        "Rejected(INVALID_ARGUMENT, fatal=false)",
                        "Rejected(INVALID_ARGUMENT, fatal=false)",
                        "Request(EXPIRE, 6b, 3132333435363738, 7)",
                        "Rejected(INVALID_ARGUMENT, fatal=false)",
                        "Request(DEADLINE, 6b, , 0)",
                        "Rejected(KEY_EMPTY, fatal=false)");
    }

    @Test
    void constructor_limitOutOfRange_throws() {
        assertThatThrownBy(() -> new RequestFramer(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RequestFramer(FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH + 1))
                .isInstanceOf(IllegalArgumentException.class);
        new RequestFramer(FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH);
    }

    /**
     * A header announcing a 1 GiB value is rejected at once and the payload, streamed in 64 KiB
     * chunks, is skipped without being buffered: the thread allocates far less than the value.
     */
    @Test
    void request_hugeValueStreamed_skippedWithoutBuffering() {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long oneGiB = 1L << 30;
        RequestFramer framer = new RequestFramer(FrameDescriptor.DEFAULT_MAX_VALUE_LENGTH);
        List<Event> events = new ArrayList<>();
        Frames.drain(
                framer, ByteBuffer.wrap(concat(hello(), header(Opcode.SET.code(), 0, 1, (int) oneGiB, 0))), events);
        assertThat(describeAll(events)).containsExactly("Hello(1)", "Rejected(VALUE_TOO_LARGE, fatal=false)");

        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long toSend = oneGiB + 1; // the key byte, then the value
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        while (toSend > 0) {
            chunk.clear();
            chunk.limit((int) Math.min(chunk.capacity(), toSend));
            toSend -= chunk.remaining();
            Event e = framer.poll(chunk);
            if (e != null) {
                throw new AssertionError("unexpected event while skipping: " + Frames.describe(e));
            }
            if (chunk.hasRemaining()) {
                throw new AssertionError("framer left " + chunk.remaining() + " bytes of a skipped payload unconsumed");
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        assertThat(allocated).as("bytes allocated while skipping 1 GiB").isLessThan(4L * 1024 * 1024);
        assertThat(framer.isIdle()).isTrue();
        assertThat(describeAll(feed(framer, request(Opcode.GET, "next", "", 0))))
                .containsExactly("Request(GET, 6e657874, , 0)");
    }

    /** The largest value the wire can describe after a max-length key is still only skipped. */
    @Test
    void request_largestDescribableValue_rejectedWithoutAllocating() {
        int valueLength = Integer.MAX_VALUE - 16 - 1;
        RequestFramer framer = new RequestFramer(FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH);
        List<Event> events = feed(framer, concat(hello(), header(Opcode.SET.code(), 0, 1, valueLength, 0)));
        assertThat(describeAll(events)).containsExactly("Hello(1)", "Rejected(VALUE_TOO_LARGE, fatal=false)");
        assertThat(framer.isClosed()).isFalse();
    }
}
