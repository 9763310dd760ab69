package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.clients.Verify;
import io.sharedmap.tests.clients.WriteLog;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Start and stop as insmod and rmmod: one daemon per directory, sockets never stolen, clean drains. */
class LifecycleTest {
    private static final Duration FAILED_START_TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void stop_idleDaemon_exitsZeroAndRemovesItsSocket() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        assertThat(Files.exists(daemon.socket())).isTrue();
        daemon.stop();
        assertThat(Files.exists(daemon.socket()))
                .as("socket file after a clean stop")
                .isFalse();
        // The directory lock went with it: a new daemon starts on the same directory at once.
        env.startDaemon(daemon.spec()).stop();
    }

    /**
     * A supervisor (or {@code sharedmap stop}) may send SIGTERM the moment the daemon says it is
     * serving; the daemon must still drain, exit 0 and remove its socket. Repeated, because the
     * window between the ready line and the daemon's signal handling is short.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void sigterm_rightAfterTheReadyLine_stillDrainsAndExitsZero() {
        DaemonProcess.Spec spec = env.daemonSpec();
        for (int attempt = 1; attempt <= 8; attempt++) {
            DaemonProcess daemon = env.startDaemon(spec);
            daemon.sigterm();
            int code = daemon.awaitExit(DaemonProcess.STOP_TIMEOUT);
            assertThat(code)
                    .as(
                            "exit code of attempt %d, SIGTERM as soon as the ready line arrived\n%s",
                            attempt, daemon.output())
                    .isZero();
            assertThat(Files.exists(spec.socket()))
                    .as("socket file after attempt %d", attempt)
                    .isFalse();
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void sigterm_whileClientsMidRequest_exitsZeroAndEveryRepliedWriteIsDurable() {
        DaemonProcess.Spec spec = env.daemonSpec();
        DaemonProcess daemon = env.startDaemon(spec);
        List<ChildProcess> writers =
                Workload.startWriters(env, daemon.socket(), 3, "--threads", "2", "--own", "40", "--value-bytes", "200");
        Workload.awaitProgress(writers, new int[3], 300);

        daemon.sigterm();
        assertThat(daemon.awaitExit(DaemonProcess.STOP_TIMEOUT))
                .as("exit code after SIGTERM" + "\n" + daemon.output())
                .isZero();
        assertThat(Files.exists(daemon.socket()))
                .as("socket file after SIGTERM")
                .isFalse();

        // The writers' clients wait for the daemon and resend what got no reply.
        DaemonProcess restarted = env.startDaemon(spec);
        Workload.awaitProgress(writers, Workload.ackCounts(writers), 50);
        Workload.stop(writers);
        WriteLog log = WriteLog.of(writers);
        Verify.assertNone("versions", log.versionProblems());
        Verify.assertNone(
                "after SIGTERM with " + log.ackedCount() + " acknowledged writes",
                Verify.durability(log, Workload.dump(env, restarted.socket(), log, "dump"), true));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void start_secondDaemonOnSameDir_failsClearlyWhileFirstKeepsServing() {
        DaemonProcess first = env.startDaemon(env.daemonSpec());
        try (SharedMap map = SharedMap.connect(first.socket())) {
            map.set("k", "from-first");
            Path otherSocket = env.scratch().resolve("second.sock");
            DaemonProcess second =
                    env.launchDaemon(env.daemonSpec().withName("second").withSocket(otherSocket));
            int code = second.awaitExit(FAILED_START_TIMEOUT);

            assertThat(code)
                    .as("exit code of a second daemon on the same --dir")
                    .isNotZero();
            assertThat(second.stdoutLines()).noneMatch(l -> l.startsWith(DaemonProcess.READY_PREFIX));
            assertThat(second.output())
                    .as("what the second daemon said")
                    .contains(first.dataDir().toString())
                    .containsPattern("(?i)in use|lock|already|another");
            assertThat(Files.exists(otherSocket))
                    .as("the refused daemon left a socket")
                    .isFalse();

            assertThat(first.isAlive()).isTrue();
            assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("from-first");
            map.set("k", "still-first");
            assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("still-first");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void start_afterKill9_replacesTheStaleSocket() {
        DaemonProcess.Spec spec = env.daemonSpec();
        DaemonProcess first = env.startDaemon(spec);
        try (SharedMap map = SharedMap.connect(first.socket())) {
            map.set("k", "v");
        }
        first.kill9();
        assertThat(Files.exists(spec.socket()))
                .as("kill -9 leaves the socket file")
                .isTrue();

        DaemonProcess second = env.startDaemon(spec);
        try (SharedMap map = SharedMap.connect(second.socket())) {
            assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("v");
            assertThat(map.stats().get("pid")).isEqualTo(Long.toString(second.pid()));
        }
        second.stop();
        assertThat(Files.exists(spec.socket())).isFalse();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void start_otherDirSameSocket_neverStealsALiveDaemonsSocket() {
        DaemonProcess first = env.startDaemon(env.daemonSpec());
        try (SharedMap map = SharedMap.connect(first.socket())) {
            map.set("k", "from-first");
            DaemonProcess intruder =
                    env.launchDaemon(env.daemonSpec().withName("intruder").withDataDir(env.newDir("other-data")));
            int code = intruder.awaitExit(FAILED_START_TIMEOUT);

            assertThat(code)
                    .as("exit code of a daemon asked to serve a live daemon's socket")
                    .isNotZero();
            assertThat(intruder.stdoutLines()).noneMatch(l -> l.startsWith(DaemonProcess.READY_PREFIX));
            assertThat(intruder.output())
                    .as("what the intruder said")
                    .contains(first.socket().toString());
            assertThat(first.isAlive()).isTrue();
            assertThat(Files.exists(first.socket()))
                    .as("the live daemon's socket file")
                    .isTrue();
        }
        // A fresh connection still reaches the first daemon (its data, its pid).
        try (SharedMap map = SharedMap.connect(first.socket())) {
            assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("from-first");
            assertThat(map.stats().get("pid")).isEqualTo(Long.toString(first.pid()));
        }
        first.stop();
        assertThat(Files.exists(first.socket())).isFalse();
    }
}
