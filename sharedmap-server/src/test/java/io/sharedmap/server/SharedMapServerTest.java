package io.sharedmap.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.StatsCodec;
import io.sharedmap.protocol.Status;
import io.sharedmap.server.testing.TestDaemon;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The daemon in-process, spoken to with raw frames: lifecycle, pipelining, limits. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SharedMapServerTest {
    private static final byte[] EMPTY = new byte[0];
    private Path root;
    private Path dir;
    private Path socket;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "sms");
        dir = root.resolve("data");
        socket = root.resolve("s.sock");
    }

    @AfterEach
    void tearDown() throws IOException {
        TestDaemon.deleteTree(root);
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private ServerConfig config() {
        return ServerConfig.defaults(dir, socket);
    }

    @Test
    void set_thenGetFromAnotherConnection_seesValueAndVersion() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config());
                RawClient a = new RawClient(socket, true);
                RawClient c = new RawClient(socket, true)) {
            RawClient.Reply created = a.call(Opcode.SET, b("k"), b("v1"), 0);
            assertThat(created.status()).isEqualTo(Status.CREATED);
            RawClient.Reply updated = a.call(Opcode.SET, b("k"), b("v2"), 0);
            assertThat(updated.status()).isEqualTo(Status.UPDATED);
            assertThat(updated.version()).isGreaterThan(created.version());
            RawClient.Reply got = c.call(Opcode.GET, b("k"), EMPTY, 0);
            assertThat(got.status()).isEqualTo(Status.FOUND);
            assertThat(new String(got.value(), UTF_8)).isEqualTo("v2");
            assertThat(got.version()).isEqualTo(updated.version());
        }
    }

    @Test
    void pipeline_manyRequestsOneWrite_repliesInOrder() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config());
                RawClient a = new RawClient(socket, true)) {
            int n = 500;
            for (int i = 0; i < n; i++) {
                a.send(Opcode.SET, b("key" + i), b("value" + i), 0);
                a.send(Opcode.GET, b("key" + i), EMPTY, 0);
            }
            for (int i = 0; i < n; i++) {
                assertThat(a.read().status()).isEqualTo(Status.CREATED);
                RawClient.Reply g = a.read();
                assertThat(g.status()).isEqualTo(Status.FOUND);
                assertThat(new String(g.value(), UTF_8)).isEqualTo("value" + i);
            }
        }
    }

    @Test
    void compareAndSet_andConditionalDelete_followVersions() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config());
                RawClient a = new RawClient(socket, true)) {
            RawClient.Reply created = a.call(Opcode.CAS, b("c"), b("1"), 0);
            assertThat(created.status()).isEqualTo(Status.CREATED);
            RawClient.Reply conflict = a.call(Opcode.CAS, b("c"), b("2"), 0);
            assertThat(conflict.status()).isEqualTo(Status.CONFLICT);
            assertThat(conflict.version()).isEqualTo(created.version());
            RawClient.Reply updated = a.call(Opcode.CAS, b("c"), b("2"), created.version());
            assertThat(updated.status()).isEqualTo(Status.UPDATED);
            assertThat(a.call(Opcode.DELETE, b("c"), EMPTY, created.version()).status())
                    .isEqualTo(Status.CONFLICT);
            RawClient.Reply deleted = a.call(Opcode.DELETE, b("c"), EMPTY, updated.version());
            assertThat(deleted.status()).isEqualTo(Status.DELETED);
            assertThat(deleted.version()).isEqualTo(updated.version());
            assertThat(a.call(Opcode.DELETE, b("c"), EMPTY, 0).status()).isEqualTo(Status.NOT_FOUND);
            assertThat(a.call(Opcode.CAS, b("c"), b("3"), updated.version()).version())
                    .as("absent: current 0")
                    .isZero();
        }
    }

    @Test
    void sequencedChange_resentAfterDaemonRestart_originalReplyAndAppliedOnce() throws Exception {
        long client = 0x0123_4567_89AB_CDEFL;
        RawClient.Reply first;
        try (SharedMapServer _ = SharedMapServer.start(config());
                RawClient a = new RawClient(socket, true, client)) {
            assertThat(a.callSequenced(Opcode.CAS, 1, b("n"), b("1"), 0).status())
                    .isEqualTo(Status.CREATED);
            first = a.callSequenced(Opcode.SET, 2, b("n"), b("2"), 0);
            assertThat(first.status()).isEqualTo(Status.UPDATED);
        }
        try (SharedMapServer _ = SharedMapServer.start(config());
                RawClient a = new RawClient(socket, true, client);
                RawClient plain = new RawClient(socket, true)) {
            RawClient.Reply resent = a.callSequenced(Opcode.SET, 2, b("n"), b("2"), 0);
            assertThat(resent.status()).isEqualTo(first.status());
            assertThat(resent.version()).isEqualTo(first.version());
            RawClient.Reply cas = a.callSequenced(Opcode.CAS, 1, b("n"), b("1"), 0);
            assertThat(cas.status())
                    .as("resent CAS answered from memory, not re-evaluated")
                    .isEqualTo(Status.CREATED);
            assertThat(plain.call(Opcode.GET, b("n"), EMPTY, 0).version()).isEqualTo(first.version());
            RawClient.Reply noSession = plain.callSequenced(Opcode.SET, 3, b("n"), b("3"), 0);
            assertThat(ErrorCodec.decode(noSession.value()).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        }
    }

    @Test
    void oversizeValue_refusedNamingLimit_connectionStillServes() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config().withMaxValueBytes(1024));
                RawClient a = new RawClient(socket, true)) {
            RawClient.Reply r = a.call(Opcode.SET, b("big"), new byte[5000], 0);
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(r.flags() & FrameDescriptor.FLAG_CLOSING).isZero();
            ErrorCodec.ErrorReply e = ErrorCodec.decode(r.value());
            assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE);
            assertThat(e.message()).contains("5000").contains("1024");
            assertThat(a.call(Opcode.GET, b("big"), EMPTY, 0).status()).isEqualTo(Status.NOT_FOUND);
            assertThat(a.call(Opcode.SET, b("small"), new byte[1024], 0).status())
                    .isEqualTo(Status.CREATED);
        }
    }

    @Test
    void unknownOpcode_errorWithClosingFlag_thenEof() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config());
                RawClient a = new RawClient(socket, true)) {
            a.writeRaw(new byte[] {0, 0, 0, 16, 0x7E, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
            RawClient.Reply r = a.read();
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(r.flags() & FrameDescriptor.FLAG_CLOSING).isEqualTo(FrameDescriptor.FLAG_CLOSING);
            assertThat(ErrorCodec.decode(r.value()).code()).isEqualTo(ErrorCode.UNKNOWN_OPCODE);
            assertThat(a.atEof()).isTrue();
        }
    }

    @Test
    void start_secondDaemonSameDir_refusedNamingPidAndFirstKeepsServing() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config())) {
            assertThatThrownBy(() -> SharedMapServer.start(ServerConfig.defaults(dir, root.resolve("other.sock"))))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageContaining("in use by another sharedmap daemon")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid());
            try (RawClient a = new RawClient(socket, true)) {
                assertThat(a.call(Opcode.PING, EMPTY, b("x"), 0).status()).isEqualTo(Status.PONG);
            }
        }
    }

    @Test
    void start_liveSocketOfAnotherDaemon_neverStolen() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config())) {
            assertThatThrownBy(() -> SharedMapServer.start(ServerConfig.defaults(root.resolve("data2"), socket)))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageContaining("served by a running daemon");
            try (RawClient a = new RawClient(socket, true)) {
                assertThat(a.call(Opcode.PING, EMPTY, EMPTY, 0).status()).isEqualTo(Status.PONG);
            }
        }
    }

    @Test
    void start_staleSocketFile_replaced() throws Exception {
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket)); // a socket file with nobody accepting after close
        }
        assertThat(socket).exists();
        try (SharedMapServer _ = SharedMapServer.start(config());
                RawClient a = new RawClient(socket, true)) {
            assertThat(a.call(Opcode.PING, EMPTY, EMPTY, 0).status()).isEqualTo(Status.PONG);
        }
    }

    @Test
    void start_badParameter_refusedBeforeTouchingAnything() {
        ServerConfig bad = new ServerConfig(dir, socket, Durability.INTERVAL, 0, 1024, 10, 1L << 20, 1000);
        assertThatThrownBy(() -> SharedMapServer.start(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--fsync-interval-ms")
                .hasMessageContaining("1..60000");
        assertThat(dir).doesNotExist();
        ServerConfig ok = ServerConfig.defaults(dir, socket);
        assertThatThrownBy(() -> SharedMapServer.start(ok.withSpinUs(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--spin-us")
                .hasMessageContaining("0..10000");
        assertThatThrownBy(() -> SharedMapServer.start(ok.withMaxSpinners(1025)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--max-spinners");
        assertThat(dir).doesNotExist();
    }

    @Test
    void connections_overLimit_refusedWithTooManyConnections() throws Exception {
        ServerConfig c = new ServerConfig(dir, socket, Durability.INTERVAL, 1000, 1024, 2, 1L << 20, 1000);
        try (SharedMapServer _ = SharedMapServer.start(c);
                RawClient a = new RawClient(socket, true);
                RawClient _ = new RawClient(socket, true);
                RawClient third = new RawClient(socket, false)) {
            RawClient.Reply r = third.read();
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(ErrorCodec.decode(r.value()).code()).isEqualTo(ErrorCode.TOO_MANY_CONNECTIONS);
            assertThat(ErrorCodec.decode(r.value()).message()).contains("--max-connections 2");
            assertThat(a.call(Opcode.PING, EMPTY, EMPTY, 0).status()).isEqualTo(Status.PONG);
        }
    }

    @Test
    void stop_withIdleAndPipeliningClients_repliesToWhatWasReadAndRemovesSocket() throws Exception {
        SharedMapServer server = SharedMapServer.start(config());
        try (RawClient idle = new RawClient(socket, true);
                RawClient busy = new RawClient(socket, true)) {
            int n = 200;
            for (int i = 0; i < n; i++) {
                busy.send(Opcode.SET, b("k" + i), b("v" + i), 0);
            }
            int acknowledged = 0;
            // read the first reply so at least that batch is in flight before stopping
            assertThat(busy.read().status()).isEqualTo(Status.CREATED);
            acknowledged++;
            Thread stopper = Thread.ofPlatform().start(server::stop);
            try {
                while (acknowledged < n) {
                    RawClient.Reply r = busy.read();
                    assertThat(r.status()).isIn(Status.CREATED, Status.UPDATED);
                    acknowledged++;
                }
            } catch (IOException eof) {
                // the daemon stopped reading; replies stop at a request boundary
            }
            stopper.join(30_000);
            assertThat(server.isStopped()).isTrue();
            assertThat(idle.atEof()).isTrue();
            assertThat(socket).doesNotExist();
            try (SharedMapServer _ = SharedMapServer.start(config());
                    RawClient c = new RawClient(socket, true)) {
                for (int i = 0; i < acknowledged; i++) {
                    assertThat(c.call(Opcode.GET, b("k" + i), EMPTY, 0).status())
                            .as("k%d acknowledged before stop", i)
                            .isEqualTo(Status.FOUND);
                }
            }
        }
    }

    private static long stat(RawClient c, String name) throws IOException {
        RawClient.Reply r = c.call(Opcode.STATS, EMPTY, EMPTY, 0);
        return Long.parseLong(StatsCodec.decode(r.value()).get(name));
    }

    private static void awaitTrue(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.call()) {
            assertThat(System.nanoTime() - deadline)
                    .as("timed out waiting for: %s", what)
                    .isNegative();
            Thread.onSpinWait();
        }
    }

    @Test
    void stalledClient_halfARequest_closedAfterStallTimeoutWhileOthersWork() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config().withStallTimeoutMs(1000));
                RawClient stalled = new RawClient(socket, true);
                RawClient silent = new RawClient(socket, false);
                RawClient honest = new RawClient(socket, true)) {
            stalled.writeRaw(new byte[] {0, 0, 0, 20, 1, 0}); // six bytes of a SET header, then nothing
            assertThat(honest.call(Opcode.SET, b("k"), b("v"), 0).status()).isEqualTo(Status.CREATED);
            assertThat(stalled.atEof()).as("half a request: closed").isTrue();
            assertThat(silent.atEof()).as("no hello at all: closed").isTrue();
            assertThat(stat(honest, "connections_stalled_closed")).isEqualTo(2);
            assertThat(honest.call(Opcode.GET, b("k"), EMPTY, 0).status())
                    .as("an idle honest client is never closed")
                    .isEqualTo(Status.FOUND);
        }
    }

    @Test
    void largeValues_beyondPayloadBudget_waitWhileSmallRequestsFlow() throws Exception {
        int big = 16 << 20;
        ServerConfig c = config().withMaxValueBytes(big).withMaxPendingPayloadBytes(big);
        try (SharedMapServer _ = SharedMapServer.start(c);
                RawClient holder = new RawClient(socket, true);
                RawClient small = new RawClient(socket, true)) {
            long budget = stat(small, "pending_payload_budget_bytes");
            assertThat(budget).isEqualTo(big);
            byte[] header = new byte[FrameDescriptor.HEADER_LENGTH];
            ByteBuffer.wrap(header)
                    .putInt(16 + 1 + big)
                    .put((byte) Opcode.SET.code())
                    .put((byte) 0)
                    .putShort((short) 1)
                    .putInt(big)
                    .putLong(0);
            holder.writeRaw(header);
            holder.writeRaw(b("H"));
            holder.writeRaw(new byte[1 << 20]); // a sixteenth of the value, then a pause
            awaitTrue(
                    "the holder's value takes the whole budget",
                    () -> stat(small, "pending_payload_budget_bytes") == 0);
            for (int i = 0; i < 50; i++) {
                assertThat(small.call(Opcode.SET, b("s" + i), new byte[1000], 0).status())
                        .as("small requests never wait for the budget")
                        .isEqualTo(Status.CREATED);
            }
            holder.writeRaw(new byte[big - (1 << 20)]);
            assertThat(holder.read().status()).isEqualTo(Status.CREATED);
            awaitTrue("the budget comes back", () -> stat(small, "pending_payload_budget_bytes") == big);
        }
    }

    @Test
    void startStop_fiftyCycles_noLeakedThreadsOrFileDescriptors() throws Exception {
        cycle(); // warm up: class loading, the logger, the JDK's own lazily started threads
        Set<String> threadsBefore = threadNames();
        long fdsBefore = openFds();
        for (int i = 0; i < 50; i++) {
            cycle();
        }
        assertThat(threadNames()).as("threads left behind").isSubsetOf(threadsBefore);
        assertThat(openFds()).as("open file descriptors").isLessThanOrEqualTo(fdsBefore);
    }

    private void cycle() throws Exception {
        try (SharedMapServer _ = SharedMapServer.start(config());
                RawClient a = new RawClient(socket, true)) {
            assertThat(a.call(Opcode.SET, b("n"), b("v"), 0).status()).isIn(Status.CREATED, Status.UPDATED);
        }
    }

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("sharedmap"))
                .collect(Collectors.toSet());
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
