package io.sharedmap.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.protocol.ScanCodec.ScanEntry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Round trips and malformed inputs for the small codecs: hello, error, scan page, stats, header. */
class CodecTest {

    // ---------------------------------------------------------------- HelloCodec

    @Test
    void clientHello_roundTrip() {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.HELLO_LENGTH);
        HelloCodec.writeClientHello(b, FrameDescriptor.PROTOCOL_VERSION);
        assertThat(b.position()).isEqualTo(8);
        assertThat(HexFormat.of().formatHex(b.array())).isEqualTo("534d415000010000");
        b.flip();
        assertThat(HelloCodec.readClientHello(b)).as("flags").isZero();
        assertThat(b.hasRemaining()).isFalse();
    }

    @Test
    void sessionHello_roundTrip() {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.SESSION_HELLO_LENGTH);
        HelloCodec.writeSessionHello(b, FrameDescriptor.PROTOCOL_VERSION, 0x0102030405060708L);
        assertThat(HexFormat.of().formatHex(b.array())).isEqualTo("534d4150000100010102030405060708");
        b.flip();
        assertThat(HelloCodec.readClientHello(b)).as("flags").isEqualTo(FrameDescriptor.HELLO_FLAG_SESSION);
        assertThat(b.getLong()).isEqualTo(0x0102030405060708L);
    }

    @Test
    void readClientHello_badMagic_badHandshake() {
        ByteBuffer b = ByteBuffer.wrap(Frames.rawHello(0x12345678, 1, 0));
        assertThatThrownBy(() -> HelloCodec.readClientHello(b))
                .isInstanceOfSatisfying(
                        ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_HANDSHAKE))
                .hasMessageContaining("0x12345678");
    }

    @Test
    void readClientHello_nonZeroFlags_badHandshake() {
        ByteBuffer b = ByteBuffer.wrap(Frames.rawHello(FrameDescriptor.MAGIC, 1, 4));
        assertThatThrownBy(() -> HelloCodec.readClientHello(b))
                .isInstanceOfSatisfying(
                        ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_HANDSHAKE));
    }

    @Test
    void readClientHello_otherVersion_unsupportedVersion() {
        ByteBuffer b = ByteBuffer.allocate(8);
        HelloCodec.writeClientHello(b, 2);
        b.flip();
        assertThatThrownBy(() -> HelloCodec.readClientHello(b))
                .isInstanceOfSatisfying(
                        ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION));
    }

    @Test
    void serverHello_roundTrip() {
        HelloCodec.ServerHello hello = new HelloCodec.ServerHello(1, 1024, 16_777_216, 1000);
        ByteBuffer b = ByteBuffer.allocate(HelloCodec.SERVER_HELLO_LENGTH);
        HelloCodec.writeServerHello(b, hello);
        assertThat(b.hasRemaining()).isFalse();
        assertThat(HexFormat.of().formatHex(b.array())).isEqualTo("00010000" + "00000400" + "01000000" + "000003e8");
        b.flip();
        assertThat(HelloCodec.readServerHello(b)).isEqualTo(hello);
    }

    @Test
    void readServerHello_short_malformed() {
        ByteBuffer b = ByteBuffer.allocate(HelloCodec.SERVER_HELLO_LENGTH - 1);
        assertThatThrownBy(() -> HelloCodec.readServerHello(b))
                .isInstanceOfSatisfying(
                        ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    // ---------------------------------------------------------------- ErrorCodec

    @Test
    void error_roundTripEveryCode() {
        for (ErrorCode code : ErrorCode.values()) {
            String message = "what went wrong with " + code + " — ünïcode";
            ErrorCodec.ErrorReply reply = ErrorCodec.decode(ErrorCodec.encode(code, message));
            assertThat(reply).isEqualTo(new ErrorCodec.ErrorReply(code, code.code(), message));
        }
    }

    @Test
    void error_wireLayout() {
        assertThat(HexFormat.of().formatHex(ErrorCodec.encode(ErrorCode.VALUE_TOO_LARGE, "big")))
                .isEqualTo("0003626967");
    }

    @Test
    void error_emptyMessage() {
        assertThat(ErrorCodec.decode(ErrorCodec.encode(ErrorCode.INTERNAL, "")))
                .isEqualTo(new ErrorCodec.ErrorReply(ErrorCode.INTERNAL, 12, ""));
    }

    @Test
    void error_unknownCode_keepsRawCode() {
        ErrorCodec.ErrorReply reply = ErrorCodec.decode(new byte[] {(byte) 0xFF, (byte) 0xFE, 'x'});
        assertThat(reply.code()).isNull();
        assertThat(reply.rawCode()).isEqualTo(0xFFFE);
        assertThat(reply.message()).isEqualTo("x");
    }

    @Test
    void error_payloadShorterThanCode_decodesToUnknown() {
        assertThat(ErrorCodec.decode(new byte[0]).code()).isNull();
        assertThat(ErrorCodec.decode(new byte[] {3}).code()).isNull();
    }

    @Test
    void errorCode_codesAreTheSpecTable() {
        int[] expected = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        ErrorCode[] values = ErrorCode.values();
        assertThat(values).hasSize(expected.length);
        for (int i = 0; i < values.length; i++) {
            assertThat(values[i].code()).isEqualTo(expected[i]);
            assertThat(ErrorCode.fromCode(expected[i])).isEqualTo(values[i]);
        }
        assertThat(ErrorCode.fromCode(0)).isNull();
        assertThat(ErrorCode.fromCode(16)).isNull();
    }

    @Test
    void watchCodec_eventsAndEnds_roundTrip_andBadBytesAreNamed() throws ProtocolException {
        byte[] e = WatchCodec.event(WatchCodec.Kind.SET, new byte[] {7, 8});
        assertThat(e).containsExactly(1, 7, 8);
        assertThat(WatchCodec.kindOf(e)).isEqualTo(WatchCodec.Kind.SET);
        assertThat(WatchCodec.valueOf(e)).containsExactly(7, 8);
        assertThat(WatchCodec.kindOf(WatchCodec.event(WatchCodec.Kind.PROGRESS, new byte[0])))
                .isEqualTo(WatchCodec.Kind.PROGRESS);
        byte[] end = WatchCodec.end(WatchCodec.EndReason.FELL_BEHIND, "slow");
        assertThat(WatchCodec.reasonOf(end)).isEqualTo(WatchCodec.EndReason.FELL_BEHIND);
        assertThat(WatchCodec.messageOf(end)).isEqualTo("slow");
        assertThatThrownBy(() -> WatchCodec.kindOf(new byte[] {9}))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("kind 9");
        assertThatThrownBy(() -> WatchCodec.reasonOf(new byte[0])).isInstanceOf(ProtocolException.class);
    }

    @Test
    void opcodeAndStatus_codesAreTheSpecTable() {
        assertThat(Opcode.fromCode(0x00)).isEqualTo(Opcode.GET);
        assertThat(Opcode.fromCode(0x01)).isEqualTo(Opcode.SET);
        assertThat(Opcode.fromCode(0x02)).isEqualTo(Opcode.DELETE);
        assertThat(Opcode.fromCode(0x03)).isEqualTo(Opcode.CAS);
        assertThat(Opcode.fromCode(0x04)).isEqualTo(Opcode.SCAN);
        assertThat(Opcode.fromCode(0x05)).isEqualTo(Opcode.PING);
        assertThat(Opcode.fromCode(0x06)).isEqualTo(Opcode.STATS);
        assertThat(Opcode.fromCode(0x07)).isEqualTo(Opcode.CHMOD);
        assertThat(Opcode.fromCode(0x08)).isEqualTo(Opcode.CHOWN);
        assertThat(Opcode.fromCode(0x09)).isEqualTo(Opcode.LIMIT);
        assertThat(Opcode.fromCode(0x0A)).isEqualTo(Opcode.VIEW);
        assertThat(Opcode.fromCode(0x0B)).isEqualTo(Opcode.PUT_EXPIRING);
        assertThat(Opcode.fromCode(0x0C)).isEqualTo(Opcode.EXPIRE);
        assertThat(Opcode.fromCode(0x0D)).isEqualTo(Opcode.DEADLINE);
        assertThat(Opcode.fromCode(0x0E)).isEqualTo(Opcode.WATCH);
        assertThat(Opcode.fromCode(0x0F)).isNull();
        assertThat(Opcode.fromCode(-1)).isNull();
        assertThat(Opcode.fromCode(256)).isNull();
        Map<Status, Integer> status = new LinkedHashMap<>();
        status.put(Status.FOUND, 0x20);
        status.put(Status.CREATED, 0x21);
        status.put(Status.UPDATED, 0x22);
        status.put(Status.NOT_FOUND, 0x23);
        status.put(Status.DELETED, 0x24);
        status.put(Status.CONFLICT, 0x25);
        status.put(Status.SCAN_PAGE, 0x26);
        status.put(Status.PONG, 0x27);
        status.put(Status.STATS, 0x28);
        status.put(Status.CHANGED, 0x29);
        status.put(Status.WATCHING, 0x2C);
        status.put(Status.EVENT, 0x2D);
        status.put(Status.WATCH_END, 0x2E);
        status.put(Status.LIMITS, 0x2A);
        status.put(Status.VIEW, 0x2B);
        status.put(Status.HELLO, 0x2F);
        status.put(Status.ERROR, 0x40);
        assertThat(Status.values()).hasSize(status.size());
        status.forEach((s, code) -> {
            assertThat(s.code()).as("%s", s).isEqualTo(code);
            assertThat(Status.fromCode(code)).isEqualTo(s);
        });
        assertThat(Status.fromCode(0x00)).isNull();
        assertThat(Status.fromCode(999)).isNull();
    }

    // ---------------------------------------------------------------- ViewCodec

    @Test
    void viewLocation_roundTrips_andEmptyMeansNoDirectReads() {
        ViewCodec.ViewLocation v =
                new ViewCodec.ViewLocation(Path.of("/dev/shm/sharedmap-1000/0123456789abcdef/public"), -5L);
        assertThat(ViewCodec.decode(ViewCodec.encode(v))).isEqualTo(v);
        assertThat(ViewCodec.encode(null)).isEmpty();
        assertThat(ViewCodec.decode(new byte[0])).isNull();
        assertThatThrownBy(() -> ViewCodec.decode(new byte[8]))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("VIEW payload of 8 bytes");
    }

    // ---------------------------------------------------------------- ScanCodec

    private static byte[] encodeScan(List<ScanEntry> entries) {
        int length = entries.stream().mapToInt(ScanCodec::encodedLength).sum();
        ByteBuffer b = ByteBuffer.allocate(length);
        ScanCodec.encode(b, entries);
        assertThat(b.hasRemaining()).isFalse();
        return b.array();
    }

    private static List<String> describe(List<ScanEntry> entries) {
        return entries.stream()
                .map(e -> HexFormat.of().formatHex(e.key()) + "@" + e.version() + "/" + e.valueLength())
                .toList();
    }

    @Test
    void scan_roundTrip() {
        List<ScanEntry> entries = List.of(
                new ScanEntry(new byte[] {'a'}, 1, 0),
                new ScanEntry("b/long key".getBytes(StandardCharsets.UTF_8), Long.MAX_VALUE, Integer.MAX_VALUE),
                new ScanEntry(Frames.filled(FrameDescriptor.MAX_KEY_LENGTH, (byte) 0xFF), 42, 7));
        assertThat(describe(ScanCodec.decode(encodeScan(entries), entries.size())))
                .isEqualTo(describe(entries));
    }

    @Test
    void scan_emptyPage() {
        assertThat(ScanCodec.decode(new byte[0], 0)).isEmpty();
    }

    @Test
    void scan_fullPage() {
        List<ScanEntry> entries = new ArrayList<>();
        for (int i = 0; i < FrameDescriptor.MAX_SCAN_LIMIT; i++) {
            entries.add(new ScanEntry(("key" + i).getBytes(StandardCharsets.UTF_8), i + 1, i));
        }
        assertThat(describe(ScanCodec.decode(encodeScan(entries), entries.size())))
                .isEqualTo(describe(entries));
    }

    @Test
    void scan_wireLayout() {
        assertThat(HexFormat.of().formatHex(encodeScan(List.of(new ScanEntry(new byte[] {'k'}, 7, 3)))))
                .isEqualTo("0001" + "6b" + "0000000000000007" + "00000003");
    }

    private static void assertMalformed(byte[] payload, long count) {
        assertThatThrownBy(() -> ScanCodec.decode(payload, count))
                .as("payload %s with count %d", HexFormat.of().formatHex(payload), count)
                .isInstanceOfSatisfying(
                        ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    @Test
    void scan_truncatedAtEveryOffset_malformed() {
        byte[] whole =
                encodeScan(List.of(new ScanEntry(new byte[] {'a', 'b'}, 1, 2), new ScanEntry(new byte[] {'c'}, 3, 4)));
        for (int length = 0; length < whole.length; length++) {
            assertMalformed(Arrays.copyOf(whole, length), 2);
        }
    }

    @Test
    void scan_trailingBytes_malformed() {
        byte[] whole = encodeScan(List.of(new ScanEntry(new byte[] {'a'}, 1, 2)));
        assertMalformed(Frames.concat(whole, new byte[] {0}), 1);
        assertMalformed(whole, 0);
    }

    @Test
    void scan_countOutOfRange_malformed() {
        assertMalformed(new byte[0], -1);
        assertMalformed(new byte[0], FrameDescriptor.MAX_SCAN_LIMIT + 1);
        assertMalformed(new byte[0], Long.MAX_VALUE);
        assertMalformed(new byte[0], Long.MIN_VALUE);
    }

    @Test
    void scan_keyLengthClaimsMoreThanThePage_malformed() {
        assertMalformed(new byte[] {(byte) 0xFF, (byte) 0xFF, 'a'}, 1);
    }

    // ---------------------------------------------------------------- StatsCodec

    @Test
    void stats_roundTripKeepsOrder() {
        Map<String, String> stats = new LinkedHashMap<>();
        stats.put("zeta", "1");
        stats.put("alpha.beta_2", "some text with spaces = and equals");
        stats.put("empty", "");
        Map<String, String> decoded = StatsCodec.decode(StatsCodec.encode(stats));
        assertThat(decoded).containsExactlyEntriesOf(stats);
    }

    @Test
    void stats_wireLayout() {
        Map<String, String> stats = new LinkedHashMap<>();
        stats.put("keys", "3");
        stats.put("uptime_ms", "10");
        assertThat(new String(StatsCodec.encode(stats), StandardCharsets.UTF_8)).isEqualTo("keys=3\nuptime_ms=10\n");
    }

    @Test
    void stats_newlineInValue_doesNotInjectALine() {
        Map<String, String> stats = Map.of("a", "1\nevil=2");
        assertThat(StatsCodec.decode(StatsCodec.encode(stats))).containsOnlyKeys("a");
    }

    @Test
    void stats_decode_ignoresLinesWithoutName() {
        byte[] payload = "=x\nnoequals\nk=v\n\n".getBytes(StandardCharsets.UTF_8);
        assertThat(StatsCodec.decode(payload)).containsExactlyEntriesOf(Map.of("k", "v"));
    }

    @Test
    void stats_empty() {
        assertThat(StatsCodec.encode(Map.of())).isEmpty();
        assertThat(StatsCodec.decode(new byte[0])).isEmpty();
    }

    // ---------------------------------------------------------------- FrameHeader / FrameEncoder

    @Test
    void header_roundTrip() {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH);
        FrameHeader.write(b, 0xFF, 0x01, 0xFFFF, Integer.MAX_VALUE - 0xFFFF - 16, Long.MIN_VALUE);
        assertThat(b.hasRemaining()).isFalse();
        b.flip();
        FrameHeader h = FrameHeader.read(b);
        assertThat(h)
                .isEqualTo(new FrameHeader(
                        Integer.MAX_VALUE, 0xFF, 0x01, 0xFFFF, Integer.MAX_VALUE - 0xFFFF - 16, Long.MIN_VALUE));
        assertThat(h.framingProblem()).isNull();
    }

    @Test
    void encoder_specExample() {
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.encodedLength(1, 1));
        FrameEncoder.writeRequest(b, Opcode.SET, new byte[] {'k'}, new byte[] {'v'}, 0);
        assertThat(HexFormat.of().formatHex(b.array()))
                .isEqualTo("00000012" + "01" + "00" + "0001" + "00000001" + "0000000000000000" + "6b" + "76");
        ByteBuffer r = ByteBuffer.allocate(FrameEncoder.encodedLength(0, 0));
        FrameEncoder.writeResponse(r, Status.CREATED, 0, new byte[0], new byte[0], 7);
        assertThat(HexFormat.of().formatHex(r.array()))
                .isEqualTo("00000010" + "21" + "00" + "0000" + "00000000" + "0000000000000007");
    }

    @Test
    void encoder_responseWithClosingFlag() {
        byte[] payload = ErrorCodec.encode(ErrorCode.UNKNOWN_OPCODE, "x");
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.encodedLength(0, payload.length));
        FrameEncoder.writeResponse(b, Status.ERROR, FrameDescriptor.FLAG_CLOSING, new byte[0], payload, 0);
        b.flip();
        FrameHeader h = FrameHeader.read(b);
        assertThat(h.type()).isEqualTo(0x40);
        assertThat(h.flags()).isEqualTo(FrameDescriptor.FLAG_CLOSING);
        assertThat(h.valueLength()).isEqualTo(payload.length);
        assertThat(h.framingProblem()).isNull();
        byte[] value = new byte[h.valueLength()];
        b.get(value);
        assertThat(ErrorCodec.decode(value).code()).isEqualTo(ErrorCode.UNKNOWN_OPCODE);
    }

    @Test
    void encoder_sequencedRequestWireLayout() {
        ByteBuffer b = ByteBuffer.allocate(FrameEncoder.sequencedLength(1, 1));
        FrameEncoder.writeSequencedRequest(b, Opcode.SET, 5, new byte[] {'k'}, new byte[] {'v'}, 0);
        assertThat(b.hasRemaining()).isFalse();
        // frame length 26 = 24 + key 1 + value 1; flags 0x01; sequence number between header and key
        assertThat(HexFormat.of().formatHex(b.array()))
                .isEqualTo("0000001a" + "01" + "01" + "0001" + "00000001" + "0000000000000000" + "0000000000000005"
                        + "6b" + "76");
        b.flip();
        FrameHeader h = FrameHeader.read(b);
        assertThat(h.framingProblem(FrameDescriptor.SEQUENCE_LENGTH)).isNull();
        assertThat(h.framingProblem())
                .as("without counting the sequence number")
                .isNotNull();
    }

    @Test
    void frameLength_countsTheSequenceNumberOnlyWhenSequenced() {
        assertThat(FrameDescriptor.frameLength(0, 3, 4)).isEqualTo(23);
        assertThat(FrameDescriptor.frameLength(FrameDescriptor.FLAG_SEQUENCED, 3, 4))
                .isEqualTo(31);
    }

    @Test
    void sessionHello_zeroClientId_refusedByTheEncoder() {
        assertThatThrownBy(() -> HelloCodec.writeSessionHello(ByteBuffer.allocate(16), 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readClientHello_unknownFlagBits_badHandshake() {
        for (int flags : new int[] {0x0002, 0x0003, 0x8001}) {
            ByteBuffer b = ByteBuffer.wrap(Frames.rawHello(FrameDescriptor.MAGIC, 1, flags));
            assertThatThrownBy(() -> HelloCodec.readClientHello(b))
                    .as("flags 0x%04x", flags)
                    .isInstanceOfSatisfying(
                            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_HANDSHAKE));
        }
    }

    @Test
    void framingProblem_lengthMismatch() {
        assertThat(new FrameHeader(17, 0, 0, 1, 1, 0).framingProblem()).isNotNull();
        assertThat(new FrameHeader(19, 0, 0, 1, 1, 0).framingProblem()).isNotNull();
        assertThat(new FrameHeader(18, 0, 0, 1, 1, 0).framingProblem()).isNull();
        assertThat(new FrameHeader(16, 0, 0, 0, 0, 0).framingProblem()).isNull();
    }

    @Test
    void framingProblem_negativeValueLength() {
        assertThat(new FrameHeader(15, 0, 0, 0, -1, 0).framingProblem()).contains("negative");
        assertThat(new FrameHeader(16 + Integer.MIN_VALUE, 0, 0, 0, Integer.MIN_VALUE, 0).framingProblem())
                .isNotNull();
    }

    @Test
    void framingProblem_overflowingLengths() {
        // 16 + 0xFFFF + MAX_VALUE wraps around as an int32; the check must not be fooled by the wrap.
        int wrapped = 16 + 0xFFFF + Integer.MAX_VALUE;
        assertThat(new FrameHeader(wrapped, 0, 0, 0xFFFF, Integer.MAX_VALUE, 0).framingProblem())
                .isNotNull();
    }

    @Test
    void frameDescriptor_constantsMatchTheSpec() {
        assertThat(FrameDescriptor.MAGIC).isEqualTo(0x534D4150);
        assertThat(FrameDescriptor.HEADER_LENGTH).isEqualTo(20);
        assertThat(FrameDescriptor.HELLO_LENGTH).isEqualTo(8);
        assertThat(FrameDescriptor.MAX_KEY_LENGTH).isEqualTo(1024);
        assertThat(FrameDescriptor.DEFAULT_MAX_VALUE_LENGTH).isEqualTo(16_777_216);
        assertThat(FrameDescriptor.ABSOLUTE_MAX_VALUE_LENGTH).isEqualTo(256 * 1024 * 1024);
        assertThat(FrameDescriptor.MAX_SCAN_LIMIT).isEqualTo(1000);
        assertThat(FrameDescriptor.frameLength(3, 4)).isEqualTo(23);
    }
}
