package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.SharedMap;
import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec.ErrorReply;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameHeader;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.Status;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.Deadline;
import io.sharedmap.tests.support.RawConnection;
import io.sharedmap.tests.support.RawConnection.Response;
import io.sharedmap.tests.support.SystemTestEnv;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input over a raw socket: the daemon answers with a clear error, stores nothing, never holds
 * an oversize payload in memory, closes only when the stream can no longer be trusted, and one
 * client's misbehaviour never disturbs another client.
 *
 * <p>Every daemon here runs with a 64 MiB heap and a 1 MiB value limit, so buffering a large
 * payload would show up as an OutOfMemoryError (which the log check rejects) or as resident memory.
 */
class BadInputTest {
    private static final int MAX_VALUE = 1 << 20;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private DaemonProcess startDaemon(String... moreServerArgs) {
        return env.startDaemon(env.daemonSpec()
                .withServerArgs("--max-value-bytes", Integer.toString(MAX_VALUE))
                .withServerArgs(moreServerArgs)
                .withJvmArgs("-Xmx64m"));
    }

    private static byte[] header(int type, int flags, int keyLength, int valueLength, long arg) {
        return rawHeader(FrameDescriptor.frameLength(keyLength, valueLength), type, flags, keyLength, valueLength, arg);
    }

    private static byte[] rawHeader(int frameLength, int type, int flags, int keyLength, int valueLength, long arg) {
        return ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH)
                .putInt(frameLength)
                .put((byte) type)
                .put((byte) flags)
                .putShort((short) keyLength)
                .putInt(valueLength)
                .putLong(arg)
                .array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Arrays.stream(parts).forEach(out::writeBytes);
        return out.toByteArray();
    }

    private static void assertError(Response r, ErrorCode code, boolean closing) {
        assertThat(r.status()).as("reply %s", r).isEqualTo(Status.ERROR);
        ErrorReply e = r.error();
        assertThat(e.code()).as("error %s", e).isEqualTo(code);
        assertThat(e.message()).as("error message").isNotBlank();
        assertThat(r.closing()).as("CLOSING flag on %s", r).isEqualTo(closing);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void set_200MiBValueOverLimit_rejectedUnbufferedAndSameConnectionServes() throws Exception {
        DaemonProcess daemon = startDaemon();
        try (RawConnection c = RawConnection.openWithHello(daemon.socket())) {
            assertThat(c.call(Opcode.PING, "", "warm", 0).status()).isEqualTo(Status.PONG);
            long rssBeforeKiB = daemon.peakRssKiB();

            int valueLength = 200 << 20;
            byte[] key = "big".getBytes(StandardCharsets.UTF_8);
            c.send(concat(header(Opcode.SET.code(), 0, key.length, valueLength, 0), key));
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            for (int sent = 0; sent < valueLength; sent += chunk.capacity()) {
                chunk.clear();
                c.send(chunk, Duration.ofSeconds(30));
            }
            Response r = c.read();
            assertError(r, ErrorCode.VALUE_TOO_LARGE, false);
            assertThat(r.error().message()).as("the error names the limit").contains(Integer.toString(MAX_VALUE));

            // The same connection goes on: nothing was stored, and the next requests are answered.
            assertThat(c.call(Opcode.GET, "big", "", 0).status()).isEqualTo(Status.NOT_FOUND);
            assertThat(c.call(Opcode.SET, "small", "ok", 0).status()).isEqualTo(Status.CREATED);
            Response got = c.call(Opcode.GET, "small", "", 0);
            assertThat(got.status()).isEqualTo(Status.FOUND);
            assertThat(got.valueAsString()).isEqualTo("ok");

            long rssAfterKiB = daemon.peakRssKiB();
            if (rssBeforeKiB > 0 && rssAfterKiB > 0) {
                assertThat(rssAfterKiB - rssBeforeKiB)
                        .as("growth of the daemon's peak RSS (KiB) while it skipped 200 MiB")
                        .isLessThan(100 * 1024);
            }
        }
        assertThat(daemon.isAlive()).isTrue();
        assertThat(daemon.isAlive()).as("daemon alive after bad input").isTrue();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void set_valueJustOverLimit_rejectedNothingStored() {
        DaemonProcess daemon = startDaemon();
        try (RawConnection c = RawConnection.openWithHello(daemon.socket())) {
            byte[] atLimit = new byte[MAX_VALUE];
            assertThat(c.call(Opcode.SET, "k".getBytes(StandardCharsets.UTF_8), atLimit, 0)
                            .status())
                    .as("a value of exactly the limit")
                    .isEqualTo(Status.CREATED);
            Response r = c.call(Opcode.SET, "k".getBytes(StandardCharsets.UTF_8), new byte[MAX_VALUE + 1], 0);
            assertError(r, ErrorCode.VALUE_TOO_LARGE, false);
            Response got = c.call(Opcode.GET, "k", "", 0);
            assertThat(got.status()).isEqualTo(Status.FOUND);
            assertThat(got.value()).hasSize(MAX_VALUE);
        }
        assertThat(daemon.isAlive()).as("daemon alive after bad input").isTrue();
    }

    static Stream<Arguments> fatalInputs() {
        byte[] hello = RawConnection.clientHello();
        byte[] get = RawConnection.request(Opcode.GET, "k", "", 0);
        return Stream.of(
                Arguments.argumentSet(
                        "bad magic (an HTTP client)",
                        concat("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)),
                        ErrorCode.BAD_HANDSHAKE),
                Arguments.argumentSet(
                        "hello with an unknown flag",
                        concat(
                                ByteBuffer.allocate(8)
                                        .putInt(FrameDescriptor.MAGIC)
                                        .putShort((short) 1)
                                        .putShort((short) 2)
                                        .array(),
                                get),
                        ErrorCode.BAD_HANDSHAKE),
                Arguments.argumentSet(
                        "session hello with client id 0",
                        concat(
                                ByteBuffer.allocate(16)
                                        .putInt(FrameDescriptor.MAGIC)
                                        .putShort((short) 1)
                                        .putShort((short) FrameDescriptor.HELLO_FLAG_SESSION)
                                        .putLong(0)
                                        .array(),
                                get),
                        ErrorCode.BAD_HANDSHAKE),
                Arguments.argumentSet(
                        "hello for version 2",
                        concat(
                                ByteBuffer.allocate(8)
                                        .putInt(FrameDescriptor.MAGIC)
                                        .putShort((short) 2)
                                        .putShort((short) 0)
                                        .array(),
                                get),
                        ErrorCode.UNSUPPORTED_VERSION),
                Arguments.argumentSet(
                        "unknown opcode 0x0F",
                        concat(hello, header(0x0F, 0, 1, 0, 0), "k".getBytes(), get),
                        ErrorCode.UNKNOWN_OPCODE),
                Arguments.argumentSet(
                        "unknown opcode 0xFF", concat(hello, header(0xFF, 0, 0, 0, 0), get), ErrorCode.UNKNOWN_OPCODE),
                Arguments.argumentSet(
                        "frame length mismatch",
                        concat(hello, rawHeader(16 + 1 + 5, Opcode.SET.code(), 0, 1, 1, 0), "kv".getBytes(), get),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "negative value length",
                        concat(hello, rawHeader(16 + 1 - 1, Opcode.SET.code(), 0, 1, -1, 0), get),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "unknown request flag",
                        concat(hello, header(Opcode.GET.code(), 0x02, 1, 0, 0), "k".getBytes(), get),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "SEQUENCED whose frame length leaves out the sequence number",
                        concat(
                                hello,
                                header(Opcode.SET.code(), FrameDescriptor.FLAG_SEQUENCED, 1, 1, 0),
                                "kv".getBytes(),
                                get),
                        ErrorCode.MALFORMED_FRAME),
                Arguments.argumentSet(
                        "bad frame after good requests",
                        concat(hello, get, get, header(0x42, 0, 0, 0, 0), get),
                        ErrorCode.UNKNOWN_OPCODE));
    }

    @ParameterizedTest
    @MethodSource("fatalInputs")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void send_untrustworthyStream_errorWithClosingThenEof(byte[] stream, ErrorCode code) {
        DaemonProcess daemon = startDaemon();
        try (RawConnection c = RawConnection.open(daemon.socket())) {
            c.send(stream);
            Response r = c.read();
            boolean helloSent = code != ErrorCode.BAD_HANDSHAKE && code != ErrorCode.UNSUPPORTED_VERSION;
            if (helloSent) {
                assertThat(r.status()).as("hello reply").isEqualTo(Status.HELLO);
                r = c.read();
                while (r.status() == Status.NOT_FOUND) { // replies to the good requests before the bad frame
                    r = c.read();
                }
            }
            assertError(r, code, true);
            assertThat(c.awaitEof(Duration.ofSeconds(10)))
                    .as("EOF after a CLOSING error (and no reply to what followed)")
                    .isTrue();
        }
        // The daemon is unharmed.
        try (RawConnection c = RawConnection.openWithHello(daemon.socket())) {
            assertThat(c.call(Opcode.PING, "", "still here", 0).valueAsString()).isEqualTo("still here");
        }
        assertThat(daemon.isAlive()).as("daemon alive after bad input").isTrue();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void send_pipelinedInvalidRequests_eachAnsweredInItsPlaceConnectionStaysOpen() {
        DaemonProcess daemon = startDaemon();
        byte[] longKey = new byte[FrameDescriptor.MAX_KEY_LENGTH + 1];
        Arrays.fill(longKey, (byte) 'x');
        byte[] none = new byte[0];
        byte[] k = "k".getBytes(StandardCharsets.UTF_8);
        List<byte[]> requests = List.of(
                RawConnection.request(Opcode.SET, "k", "v", 0),
                RawConnection.request(Opcode.GET, "", "", 0),
                RawConnection.request(Opcode.GET, longKey, none, 0),
                RawConnection.request(Opcode.SET, k, new byte[MAX_VALUE + 1], 0),
                RawConnection.request(Opcode.PING, "k", "", 0),
                RawConnection.request(Opcode.GET, "k", "v", 0),
                RawConnection.request(Opcode.SCAN, "", "", FrameDescriptor.MAX_SCAN_LIMIT + 1),
                RawConnection.request(Opcode.DELETE, "k", "", -1),
                RawConnection.request(Opcode.CAS, "", "v", 0),
                RawConnection.request(Opcode.STATS, "", "x", 0),
                RawConnection.sequenced(Opcode.SET, 1, "k", "sequenced-without-session", 0),
                RawConnection.request(Opcode.GET, "k", "", 0));
        List<Object> expected = List.of(
                Status.CREATED,
                ErrorCode.KEY_EMPTY,
                ErrorCode.KEY_TOO_LONG,
                ErrorCode.VALUE_TOO_LARGE,
                ErrorCode.INVALID_ARGUMENT,
                ErrorCode.INVALID_ARGUMENT,
                ErrorCode.INVALID_ARGUMENT,
                ErrorCode.INVALID_ARGUMENT,
                ErrorCode.KEY_EMPTY,
                ErrorCode.INVALID_ARGUMENT,
                ErrorCode.INVALID_ARGUMENT,
                Status.FOUND);
        try (RawConnection c = RawConnection.openWithHello(daemon.socket())) {
            c.send(concat(requests.toArray(byte[][]::new)));
            for (int i = 0; i < expected.size(); i++) {
                Response r = c.read();
                if (expected.get(i) instanceof ErrorCode code) {
                    assertError(r, code, false);
                } else {
                    assertThat(r.status()).as("reply %d: %s", i, r).isEqualTo(expected.get(i));
                }
                if (i == expected.size() - 1) {
                    assertThat(r.valueAsString()).isEqualTo("v");
                }
            }
            assertThat(c.call(Opcode.PING, "", "", 0).status()).isEqualTo(Status.PONG);
        }
        assertThat(daemon.isAlive()).as("daemon alive after bad input").isTrue();
    }

    /**
     * Hundreds of connections that stop mid-hello, mid-header, mid-key, mid-value or right after a
     * whole request (so the daemon's reply meets a closed socket), while an honest client works.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void disconnect_midFrame_doesNotDisturbAnHonestClient() throws Exception {
        DaemonProcess daemon = startDaemon();
        byte[] value = new byte[64 * 1024];
        byte[] stream = concat(
                RawConnection.clientHello(),
                RawConnection.request(Opcode.SET, "abandoned".getBytes(StandardCharsets.UTF_8), value, 0));
        List<Integer> cuts =
                new ArrayList<>(List.of(1, 4, 7, 8, 9, 15, 27, 28, 29, 33, 37, 1000, stream.length - 1, stream.length));
        for (int i = 0; i < 186; i++) {
            cuts.add(1 + (int) ((long) i * 7919 % (stream.length - 1)));
        }
        int abandoned = 0;
        try (HonestClient honest = new HonestClient(daemon.socket(), "honest")) {
            // Pass over every cut, again and again, until the honest client has worked alongside for a
            // while (bounded: at most 20 passes or 30 s).
            Deadline deadline = Deadline.in(Duration.ofSeconds(30));
            for (int pass = 0; pass < 20 && (pass == 0 || honest.ops() < 300) && !deadline.expired(); pass++) {
                for (int cut : cuts) {
                    RawConnection c = RawConnection.open(daemon.socket());
                    c.send(ByteBuffer.wrap(stream, 0, cut), Duration.ofSeconds(10));
                    c.close();
                    abandoned++;
                }
            }
            honest.stopAndCheck(300, Duration.ofSeconds(5));
        }
        assertThat(daemon.isAlive()).isTrue();
        try (SharedMap map = SharedMap.connect(daemon.socket())) {
            Await.until(
                    "the daemon has closed the " + abandoned + " abandoned connections",
                    () -> Integer.parseInt(map.stats().get("connections")) <= 1,
                    Duration.ofSeconds(20));
            map.set("after", "fine");
            assertThat(map.get("after").orElseThrow().valueAsString()).isEqualTo("fine");
        }
        assertThat(daemon.isAlive()).as("daemon alive after bad input").isTrue();
    }

    /**
     * Clients that pipeline requests and never read the replies stall only themselves: an honest
     * client keeps working, the daemon's memory stays bounded, and SIGTERM still drains and exits 0.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void pipeline_clientThatNeverReads_doesNotDisturbAnHonestClient() throws Exception {
        DaemonProcess daemon = startDaemon("--drain-timeout-ms", "2000");
        long rssBeforeKiB = daemon.peakRssKiB();
        byte[] pingValue = new byte[64 * 1024];
        byte[] ping = RawConnection.request(Opcode.PING, new byte[0], pingValue, 0);
        ByteBuffer bigPings = ByteBuffer.allocate(ping.length * 512);
        while (bigPings.remaining() >= ping.length) {
            bigPings.put(ping);
        }
        bigPings.flip();
        byte[] get = RawConnection.request(Opcode.GET, "k", "", 0);
        ByteBuffer smallGets = ByteBuffer.allocate(get.length * 50_000);
        while (smallGets.remaining() >= get.length) {
            smallGets.put(get);
        }
        smallGets.flip();

        List<RawConnection> flooders = new ArrayList<>();
        try (HonestClient honest = new HonestClient(daemon.socket(), "honest")) {
            for (ByteBuffer flood :
                    List.of(bigPings, smallGets, bigPings.duplicate().rewind())) {
                RawConnection c = RawConnection.openWithHello(daemon.socket());
                flooders.add(c);
                long written = c.sendUntilStalled(flood.duplicate(), Duration.ofSeconds(2));
                assertThat(written)
                        .as("bytes a non-reading client got in before stalling")
                        .isPositive();
            }
            long opsBefore = honest.ops();
            // New clients can still connect and work while the flooders sit there.
            try (SharedMap other = SharedMap.connect(daemon.socket())) {
                for (int i = 0; i < 200; i++) {
                    other.set("other/k" + (i % 10), "v" + i);
                }
            }
            Await.until(
                    "the honest client makes progress beside the stalled flooders",
                    () -> honest.ops() >= opsBefore + 200,
                    Duration.ofSeconds(30));
            honest.stopAndCheck(200, Duration.ofSeconds(5));
        }
        long rssAfterKiB = daemon.peakRssKiB();
        if (rssBeforeKiB > 0 && rssAfterKiB > 0) {
            assertThat(rssAfterKiB - rssBeforeKiB)
                    .as("growth of the daemon's peak RSS (KiB) with stalled flooders")
                    .isLessThan(100 * 1024);
        }
        // Stop with the flooders still connected and still not reading.
        daemon.sigterm();
        assertThat(daemon.awaitExit(DaemonProcess.STOP_TIMEOUT))
                .as("exit code of a SIGTERM with stalled clients\n" + daemon.output())
                .isZero();
        for (RawConnection c : flooders) {
            c.close();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void hello_clientThatSendsNothing_doesNotBlockOthers() throws IOException {
        DaemonProcess daemon = startDaemon();
        List<RawConnection> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                silent.add(RawConnection.open(daemon.socket()));
            }
            try (RawConnection c = RawConnection.openWithHello(daemon.socket())) {
                assertThat(c.call(Opcode.SET, "k", "v", 0).status()).isEqualTo(Status.CREATED);
            }
        } finally {
            silent.forEach(RawConnection::close);
        }
        assertThat(daemon.isAlive()).as("daemon alive after bad input").isTrue();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void response_framesAreWellFormed() {
        DaemonProcess daemon = startDaemon();
        try (RawConnection c = RawConnection.openWithHello(daemon.socket())) {
            Response created = c.call(Opcode.SET, "k", "v", 0);
            assertThat(created.status()).isEqualTo(Status.CREATED);
            assertThat(created.version()).isPositive();
            assertThat(created.key()).isEmpty();
            assertThat(created.value()).isEmpty();
            FrameHeader h = created.header();
            assertThat(h.flags()).isZero();
            Response updated = c.call(Opcode.SET, "k", "w", 0);
            assertThat(updated.status()).isEqualTo(Status.UPDATED);
            assertThat(updated.version()).isGreaterThan(created.version());
            Response conflict = c.call(Opcode.CAS, "k", "x", created.version());
            assertThat(conflict.status()).isEqualTo(Status.CONFLICT);
            assertThat(conflict.version()).isEqualTo(updated.version());
            Response deleted = c.call(Opcode.DELETE, "k", "", updated.version());
            assertThat(deleted.status()).isEqualTo(Status.DELETED);
            assertThat(deleted.version()).isEqualTo(updated.version());
            Response notFound = c.call(Opcode.GET, "k", "", 0);
            assertThat(notFound.status()).isEqualTo(Status.NOT_FOUND);
            assertThat(notFound.version()).isZero();
        }
        assertThat(daemon.isAlive()).as("daemon alive after bad input").isTrue();
    }
}
