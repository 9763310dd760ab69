package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.Status;
import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.testing.TestDaemon;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** No daemon, a daemon that went away or came back, a refusing daemon, a daemon that breaks the protocol. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FailureTest {

    @Test
    void connect_noDaemon_daemonUnavailableNamingSocket() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "smt");
        Path socket = dir.resolve("absent.sock");
        try {
            assertThatThrownBy(() -> SharedMap.connect(socket))
                    .isInstanceOf(DaemonUnavailableException.class)
                    .hasMessageContaining(socket.toString())
                    .hasMessageContaining("start one with: sharedmap start")
                    .satisfies(e ->
                            assertThat(((SharedMapException) e).errorCode()).isEmpty());
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    void call_afterDaemonRestart_retriesOnceOnFreshConnection() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap map = SharedMap.connect(daemon.socket)) {
            long before = map.set("k", "v1").version();

            daemon.restart();

            // the pooled connection is dead; the write fails before anything is sent, so the call is retried
            assertThat(map.get("k").orElseThrow().version()).isEqualTo(before);
            assertThat(map.set("k", "v2").version()).isGreaterThan(before);
        }
    }

    @Test
    void call_daemonStoppedPlainClient_daemonUnavailableNamingSocket() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap map =
                        SharedMap.connect(daemon.socket, Options.defaults().recovering(false))) {
            map.set("k", "v");

            daemon.stop();

            assertThatThrownBy(() -> map.get("k"))
                    .isInstanceOf(DaemonUnavailableException.class)
                    .hasMessageContaining(daemon.socket.toString())
                    .hasMessageContaining("start one with: sharedmap start");
        }
    }

    @Test
    void set_daemonRestartedWithLowerLimit_daemonRefusesWithItsMessage() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap map = SharedMap.connect(daemon.socket)) {
            daemon.restart(c -> c.withMaxValueBytes(10));

            // the client still believes the old limit, so the daemon is the one that refuses
            assertThatThrownBy(() -> map.set("k", "more than ten bytes"))
                    .isInstanceOf(LimitExceededException.class)
                    .hasMessageContaining("10")
                    .satisfies(e ->
                            assertThat(((SharedMapException) e).errorCode()).contains(ErrorCode.VALUE_TOO_LARGE));
            assertThat(map.maxValueLength()).isEqualTo(10);
            assertThat(map.set("k", "short").created()).isTrue();
        }
    }

    @Test
    void connect_daemonAtConnectionLimit_serverFailureTooManyConnections() throws Exception {
        try (TestDaemon daemon = TestDaemon.start(c -> new ServerConfig(
                        c.dataDir(),
                        c.socket(),
                        c.durability(),
                        c.fsyncIntervalMs(),
                        c.maxValueBytes(),
                        1,
                        c.snapshotMinJournalBytes(),
                        c.drainTimeoutMs()));
                SharedMap first = SharedMap.connect(daemon.socket)) {
            assertThatThrownBy(() -> SharedMap.connect(daemon.socket))
                    .isInstanceOf(ServerFailureException.class)
                    .satisfies(e ->
                            assertThat(((SharedMapException) e).errorCode()).contains(ErrorCode.TOO_MANY_CONNECTIONS));
            first.ping();
        }
    }

    @Test
    void call_afterClose_illegalState() throws Exception {
        try (TestDaemon daemon = TestDaemon.start()) {
            SharedMap map = SharedMap.connect(daemon.socket);
            map.close();
            map.close();

            assertThatThrownBy(() -> map.get("k")).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void connect_peerAnswersHelloWithGarbage_protocolViolation() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "smt");
        Path socket = dir.resolve("fake.sock");
        try (ServerSocketChannel fake = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            fake.bind(UnixDomainSocketAddress.of(socket));
            Thread peer = Thread.ofPlatform().start(() -> {
                try (SocketChannel c = fake.accept()) {
                    c.read(ByteBuffer.allocate(FrameDescriptor.HELLO_LENGTH));
                    ByteBuffer reply = ByteBuffer.allocate(FrameEncoder.encodedLength(0, 0));
                    FrameEncoder.writeResponse(reply, Status.PONG, 0, new byte[0], new byte[0], 0);
                    c.write(reply.flip());
                } catch (IOException ignored) {
                    // the client hung up
                }
            });

            assertThatThrownBy(() -> SharedMap.connect(socket))
                    .isInstanceOf(ProtocolViolationException.class)
                    .hasMessageContaining("instead of HELLO");
            peer.join();
        } finally {
            Files.deleteIfExists(socket);
            Files.delete(dir);
        }
    }
}
