package io.sharedmap.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.ErrorCodec.ErrorReply;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.Status;
import io.sharedmap.server.testing.TestDaemon;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The corners of docs/PROTOCOL.md that a client written from the spec alone depends on, against the
 * real daemon: each test names the sentence it checks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolSpecTest {
    private static final byte[] EMPTY = new byte[0];

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static ErrorReply error(RawClient.Reply r) {
        assertThat(r.status()).as("an ERROR reply").isEqualTo(Status.ERROR);
        return ErrorCodec.decode(r.value());
    }

    /** "CONFLICT (current version; 0 if the key is absent)": a conditional DELETE of an absent key. */
    @Test
    void delete_conditionalOnAbsentKey_conflictWithVersionZero() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RawClient c = new RawClient(d.socket, true)) {
            RawClient.Reply r = c.call(Opcode.DELETE, b("absent"), EMPTY, 42);

            assertThat(r.status()).isEqualTo(Status.CONFLICT);
            assertThat(r.version()).isZero();
            assertThat(c.call(Opcode.DELETE, b("absent"), EMPTY, 0).status())
                    .as("unconditional")
                    .isEqualTo(Status.NOT_FOUND);
        }
    }

    /** "A client numbers its changes from 1": a first number above the window is a forgotten session. */
    @Test
    void sequence_firstNumberAboveTheWindow_sequenceExpiredAndNotApplied() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RawClient c = new RawClient(d.socket, true, 77)) {
            RawClient.Reply r = c.callSequenced(Opcode.SET, FrameDescriptor.SESSION_WINDOW + 1, b("k"), b("v"), 0);

            assertThat(error(r).code()).isEqualTo(ErrorCode.SEQUENCE_EXPIRED);
            assertThat(c.call(Opcode.GET, b("k"), EMPTY, 0).status()).isEqualTo(Status.NOT_FOUND);
            assertThat(c.callSequenced(Opcode.SET, FrameDescriptor.SESSION_WINDOW, b("k"), b("v"), 0)
                            .status())
                    .as("any start within the first window: up to that many may be in flight, in any order")
                    .isEqualTo(Status.CREATED);
        }
    }

    /**
     * "A number not seen before and lower than the highest seen is evaluated while within the window
     * (the two were in flight at once); below it, SEQUENCE_EXPIRED", and gaps are allowed.
     */
    @Test
    void sequence_lowerNumberNeverSeen_appliedWithinTheWindowExpiredBelowIt() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RawClient c = new RawClient(d.socket, true, 78)) {
            assertThat(c.callSequenced(Opcode.SET, 5, b("k"), b("five"), 0).status())
                    .isEqualTo(Status.CREATED);
            assertThat(c.callSequenced(Opcode.SET, 3, b("k"), b("three"), 0).status())
                    .as("in the window")
                    .isEqualTo(Status.UPDATED);
            long high = 5 + FrameDescriptor.SESSION_WINDOW;
            assertThat(c.callSequenced(Opcode.SET, high, b("k"), b("high"), 0).status())
                    .as("a gap")
                    .isEqualTo(Status.UPDATED);

            RawClient.Reply late = c.callSequenced(Opcode.SET, 4, b("k"), b("four"), 0);

            assertThat(error(late).code()).isEqualTo(ErrorCode.SEQUENCE_EXPIRED);
            assertThat(new String(c.call(Opcode.GET, b("k"), EMPTY, 0).value(), UTF_8))
                    .isEqualTo("high");
        }
    }

    /** LIMIT with an operation other than 1..3: the error names the operation, not the value's length. */
    @Test
    void limit_unknownOperation_errorNamesTheOperation() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RawClient c = new RawClient(d.socket, true)) {
            ErrorReply e = error(c.call(Opcode.LIMIT, b("default"), EMPTY, 7));

            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.message()).contains("operation 7").doesNotContain("value of");
        }
    }

    /** "UNSET: 1 removes that limit, 0 keeps it": any other value is refused, naming the field. */
    @Test
    void limit_unsetWithAFlagOtherThanZeroOrOne_invalidArgument() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RawClient c = new RawClient(d.socket, true)) {
            byte[] change = LimitCodec.encodeChange(new LimitCodec.Amounts(0, 2, 0));

            ErrorReply e = error(c.call(Opcode.LIMIT, b("user:4242"), change, LimitCodec.UNSET));

            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.message()).contains("bytes", "2");
        }
    }

    /** "SET: each >= 0, or -1": -2 is the client's mistake, INVALID_ARGUMENT, not an internal error. */
    @Test
    void limit_setBelowMinusOne_invalidArgument() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RawClient c = new RawClient(d.socket, true)) {
            byte[] change = LimitCodec.encodeChange(new LimitCodec.Amounts(-2, -1, -1));

            ErrorReply e = error(c.call(Opcode.LIMIT, b("user:4242"), change, LimitCodec.SET));

            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.message()).contains("keys", "-2");
        }
    }

    /** A malformed principal is INVALID_ARGUMENT naming it. */
    @Test
    void limit_malformedPrincipal_invalidArgument() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RawClient c = new RawClient(d.socket, true)) {
            ErrorReply e = error(c.call(Opcode.LIMIT, b("user:x"), EMPTY, LimitCodec.SHOW));

            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.message()).contains("user:x");
        }
    }

    /**
     * "PING: over 65536 bytes INVALID_ARGUMENT; otherwise over the max value length VALUE_TOO_LARGE,
     * like any value".
     */
    @Test
    void ping_overASmallMaxValueLength_valueTooLargeNamingTheLimit() throws Exception {
        try (TestDaemon d = TestDaemon.start(c -> c.withMaxValueBytes(100));
                RawClient c = new RawClient(d.socket, true)) {
            assertThat(c.call(Opcode.PING, EMPTY, new byte[100], 0).status()).isEqualTo(Status.PONG);

            ErrorReply e = error(c.call(Opcode.PING, EMPTY, new byte[101], 0));
            ErrorReply over64k = error(c.call(Opcode.PING, EMPTY, new byte[FrameDescriptor.MAX_PING_LENGTH + 1], 0));

            assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE);
            assertThat(e.message()).contains("100 bytes");
            assertThat(over64k.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        }
    }

    /** "Any other reply's value is at most 2 MiB", whatever the max value length the hello announced. */
    @Test
    void stats_withASmallMaxValueLength_withinTheReplyBound() throws Exception {
        try (TestDaemon d = TestDaemon.start(c -> c.withMaxValueBytes(100));
                RawClient c = new RawClient(d.socket, true)) {
            RawClient.Reply r = c.call(Opcode.STATS, EMPTY, EMPTY, 0);

            assertThat(r.value().length)
                    .isGreaterThan(100)
                    .isLessThanOrEqualTo(FrameDescriptor.maxReplyValueLength(100));
        }
    }

    /** The stall reaper looks often enough that a stalled connection is closed by 1.1x the timeout. */
    @Test
    void reaperPeriod_aTenthOfTheStallTimeoutAtMostASecond() {
        assertThat(SharedMapServer.reaperPeriodMs(1_000)).isEqualTo(100);
        assertThat(SharedMapServer.reaperPeriodMs(30_000)).isEqualTo(1_000);
        assertThat(SharedMapServer.reaperPeriodMs(5)).isEqualTo(1);
    }
}
