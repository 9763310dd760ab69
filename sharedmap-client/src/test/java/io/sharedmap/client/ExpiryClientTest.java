package io.sharedmap.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.testing.TestDaemon;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Java API of expiry against a real daemon: TTLs, deadlines, keep-alives, the errors, over both read paths. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExpiryClientTest {
    private TestDaemon daemon;
    private SharedMap map;
    private SharedMap socketOnly;

    @BeforeEach
    void start() throws Exception {
        daemon = TestDaemon.start();
        map = SharedMap.connect(daemon.socket);
        socketOnly = SharedMap.connect(daemon.socket, Options.defaults().directReads(false));
    }

    @AfterEach
    void stop() throws Exception {
        map.close();
        socketOnly.close();
        daemon.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    /** Waits (bounded) until both read paths find the key absent. */
    private void awaitAbsent(String key) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (map.get(key).isPresent() || socketOnly.get(key).isPresent()) {
            assertThat(System.nanoTime()).as(key + " still present after 30 s").isLessThan(until);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    @Test
    void aDeadline_isSetReadRenewedAndRemoved() {
        Instant deadline = Instant.now().plusSeconds(3600);
        SetResult created = map.setUntil(b("k"), b("v"), deadline);
        assertThat(created.created()).isTrue();
        assertThat(map.deadline(b("k"))).contains(Instant.ofEpochMilli(deadline.toEpochMilli()));
        long before = map.readStats().direct();
        assertThat(map.get("k").orElseThrow().valueAsString())
                .as("a direct read returns the value alone")
                .isEqualTo("v");
        assertThat(map.readStats().direct()).isEqualTo(before + 1);
        assertThat(map.get("k")).isEqualTo(socketOnly.get("k"));

        assertThat(map.expire(b("k"), created.version(), Duration.ofHours(2))).isTrue();
        assertThat(map.expire(b("k"), created.version() + 1000, Duration.ofHours(2)))
                .as("another holder's version")
                .isFalse();
        assertThat(map.get("k").orElseThrow().version())
                .as("a keep-alive keeps the version")
                .isEqualTo(created.version());
        assertThat(map.persist(b("k"))).isTrue();
        assertThat(map.deadline(b("k"))).isEmpty();
        assertThat(map.get("k")).isPresent();
        assertThat(map.expire(b("absent"), Duration.ofSeconds(1))).isFalse();
        assertThat(map.deadline(b("absent"))).isEmpty();

        map.set(b("k"), b("v2"), Duration.ofHours(1));
        map.set("k", "v3");
        assertThat(map.deadline(b("k")))
                .as("a SET without a TTL removes the deadline")
                .isEmpty();
    }

    @Test
    void keysExpire_forDirectAndSocketReads() {
        map.set(b("short"), b("x"), Duration.ofSeconds(2));
        CasResult lock = map.compareAndSet(b("lock"), 0, b("me"), Duration.ofSeconds(2));
        assertThat(lock).isInstanceOf(CasResult.Applied.class);
        assertThat(map.compareAndSet(b("lock"), 0, b("you"), Duration.ofSeconds(2)))
                .isInstanceOf(CasResult.Conflict.class);
        map.expireAt(b("now"), Instant.now()); // absent key: nothing
        map.set("past", "p");
        assertThat(map.expireAt(b("past"), Instant.ofEpochMilli(1))).isTrue();
        assertThat(map.get("past")).as("a deadline long past").isEmpty();
        awaitAbsent("short");
        awaitAbsent("lock");
        assertThat(map.compareAndSet(b("lock"), 0, b("you"), Duration.ofSeconds(30)))
                .as("an expired lock is free")
                .isInstanceOf(CasResult.Applied.class);
    }

    @Test
    void badTtlsAndDeadlines_areRefusedNamingTheLimit() {
        assertThatThrownBy(() -> map.set(b("k"), b("v"), Duration.ZERO))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("under 1 ms");
        assertThatThrownBy(() -> map.setUntil(b("k"), b("v"), Instant.EPOCH))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not after the Unix epoch");
        assertThatThrownBy(() -> map.set(b("k"), new byte[map.maxValueLength() + 1], Duration.ofSeconds(1)))
                .isInstanceOf(LimitExceededException.class);
    }
}
