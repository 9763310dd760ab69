package io.sharedmap.tests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.clients.LeaseMain;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Expiry in real time, with real daemon and client processes: a key set with {@code --ttl}
 * disappears (to direct reads and the daemon's, then deleted by the sweeper), deadlines survive
 * {@code kill -9} and restarts, and a lock whose holder is killed is released by its time to live.
 * Every wait is for a condition, bounded.
 */
class ExpiryTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aKeySetWithTtl_fromTheCli_disappears() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        String socket = daemon.socket().toString();
        Cli.Result set = Cli.run("set", "--socket", socket, "--ttl", "5s", "session/1", "alive");
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(set.out()).isEqualTo("created\n");
        Cli.Result kept = Cli.run("set", "--socket", socket, "plain", "stays");
        assertThat(kept.exitCode()).as(kept.err()).isZero();
        Cli.Result ttl = Cli.run("ttl", "--socket", socket, "session/1");
        assertThat(ttl.exitCode()).as(ttl.err()).isZero();
        assertThat(ttl.out()).matches("(?s)[0-9]+ ms \\(until .*Z\\)\n");
        assertThat(Cli.run("ttl", "--socket", socket, "plain").out()).isEqualTo("never\n");
        Cli.Result bad = Cli.run("set", "--socket", socket, "--ttl", "soon", "k", "v");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("time to live 'soon' is not a number with a unit");

        try (SharedMap map = SharedMap.connect(daemon.socket())) {
            Await.until("session/1 expires", () -> map.get("session/1").isEmpty(), WAIT);
            assertThat(map.readStats().direct())
                    .as("the client read the mapped store directly, deadline included")
                    .isPositive();
            Await.until(
                    "the sweeper deletes it", () -> Long.parseLong(map.stats().get("keys_expired")) == 1, WAIT);
            assertThat(map.get("plain")).isPresent();
            Cli.Result gone = Cli.run("ttl", "--socket", socket, "session/1");
            assertThat(gone.exitCode()).isEqualTo(1);
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void deadlines_surviveKill9AndARestart_thenExpire() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        long now = System.currentTimeMillis();
        Instant shortly = Instant.ofEpochMilli(now + 5_000); // may pass while the daemon restarts
        Instant deadline = Instant.ofEpochMilli(now + 600_000);
        try (SharedMap map = SharedMap.connect(daemon.socket())) {
            map.setUntil(b("short"), b("s"), shortly);
            map.setUntil(b("lease"), b("x"), deadline);
            map.set("plain", "y");
            assertThat(map.deadline(b("lease"))).contains(deadline);
        }
        daemon.kill9();
        DaemonProcess restarted = env.startDaemon(daemon.spec());
        try (SharedMap map = SharedMap.connect(restarted.socket())) {
            assertThat(map.deadline(b("lease"))).as("after kill -9").contains(deadline);
        }
        restarted.stop();
        DaemonProcess again = env.startDaemon(daemon.spec());
        try (SharedMap map = SharedMap.connect(again.socket())) {
            Optional<Instant> d = map.deadline(b("lease"));
            assertThat(d).as("after a clean restart").contains(deadline);
            Await.until("short expires", () -> map.get("short").isEmpty(), WAIT);
            assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(shortly.toEpochMilli());
            assertThat(map.expireAt(b("lease"), Instant.ofEpochMilli(System.currentTimeMillis() + 500)))
                    .isTrue();
            Await.until("lease expires", () -> map.get("lease").isEmpty(), WAIT);
            Await.until(
                    "the sweeper deletes both (only 'plain' is left)",
                    () -> map.stats().get("keys").equals("1"),
                    WAIT);
            assertThat(map.get("plain")).isPresent();
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aLockWhoseHolderIsKilled_isReleasedByItsTtl() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        String socket = daemon.socket().toString();
        ChildProcess first = env.startClient("holder-a", LeaseMain.class, List.of(socket, "lock", "5000", "a"));
        first.awaitCount("ACQUIRED", 1, WAIT);
        ChildProcess second = env.startClient("holder-b", LeaseMain.class, List.of(socket, "lock", "5000", "b"));
        // Five keep-alives: the lease lives well past its first deadline while its holder does.
        first.awaitCount("RENEWED", 5, WAIT);
        assertThat(second.count("ACQUIRED"))
                .as("b never takes a lock whose holder renews it")
                .isZero();
        first.kill9();
        second.awaitCount("ACQUIRED", 1, WAIT);
        try (SharedMap map = SharedMap.connect(daemon.socket())) {
            assertThat(map.get("lock").orElseThrow().valueAsString()).isEqualTo("b");
        }
        second.kill9();
    }
}
