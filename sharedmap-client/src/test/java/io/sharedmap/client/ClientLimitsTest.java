package io.sharedmap.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.server.testing.TestDaemon;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Limits the client checks before sending: the same exceptions and codes the daemon would answer with. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClientLimitsTest {
    private static final int MAX_VALUE = 1000;
    private static TestDaemon daemon;
    private static SharedMap map;

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start(c -> c.withMaxValueBytes(MAX_VALUE));
        map = SharedMap.connect(daemon.socket);
    }

    @AfterAll
    static void stop() throws Exception {
        map.close();
        daemon.close();
    }

    @Test
    void set_emptyKey_invalidRequest() {
        assertThatThrownBy(() -> map.set(new byte[0], new byte[1]))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("key is empty")
                .satisfies(e -> assertThat(((SharedMapException) e).errorCode()).contains(ErrorCode.KEY_EMPTY));
    }

    @Test
    void get_keyTooLong_limitExceededNamingTheLimit() {
        byte[] key = new byte[FrameDescriptor.MAX_KEY_LENGTH + 1];

        assertThatThrownBy(() -> map.get(key))
                .isInstanceOf(LimitExceededException.class)
                .hasMessageContaining("1025 bytes")
                .hasMessageContaining("limit of 1024 bytes")
                .satisfies(e -> assertThat(((SharedMapException) e).errorCode()).contains(ErrorCode.KEY_TOO_LONG));
    }

    @Test
    void set_valueOverDaemonLimit_limitExceededNamingTheLimit() {
        assertThat(map.maxValueLength()).isEqualTo(MAX_VALUE);

        assertThatThrownBy(() -> map.set(new byte[] {1}, new byte[MAX_VALUE + 1]))
                .isInstanceOf(LimitExceededException.class)
                .hasMessageContaining("limit of " + MAX_VALUE + " bytes")
                .satisfies(e -> assertThat(((SharedMapException) e).errorCode()).contains(ErrorCode.VALUE_TOO_LARGE));
        assertThat(map.set(new byte[] {1}, new byte[MAX_VALUE]).created()).isTrue();
    }

    @Test
    void compareAndSet_valueOverLimitOrNegativeVersion_refused() {
        assertThatThrownBy(() -> map.compareAndSet(new byte[] {2}, 0, new byte[MAX_VALUE + 1]))
                .isInstanceOf(LimitExceededException.class);
        assertThatThrownBy(() -> map.compareAndSet("k", -1, "v"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("negative");
    }

    @Test
    void delete_conditionalWithVersionZero_invalidRequest() {
        assertThatThrownBy(() -> map.delete("k".getBytes(UTF_8), 0))
                .isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(((SharedMapException) e).errorCode()).contains(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void scan_argumentsOutOfRange_refused() {
        byte[] none = new byte[0];
        assertThatThrownBy(() -> map.scan(new byte[1025], none, 0)).isInstanceOf(LimitExceededException.class);
        assertThatThrownBy(() -> map.scan(none, new byte[1025], 0)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> map.scan(none, none, 1001)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> map.scan(none, none, -1)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> map.keys(new byte[1025])).isInstanceOf(LimitExceededException.class);
    }

    @Test
    void pipeline_badArgument_throwsWhenQueued() {
        Pipeline p = map.pipelined();

        assertThatThrownBy(() -> p.set(new byte[0], new byte[0])).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> p.set(new byte[1], new byte[MAX_VALUE + 1]))
                .isInstanceOf(LimitExceededException.class);
        assertThat(p.size()).isZero();
    }

    @Test
    void afterRefusal_connectionStillServes() {
        assertThatThrownBy(() -> map.get(new byte[0])).isInstanceOf(InvalidRequestException.class);

        map.ping();
    }
}
