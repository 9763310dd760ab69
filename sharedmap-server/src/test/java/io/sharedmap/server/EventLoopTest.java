package io.sharedmap.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.StatsCodec;
import io.sharedmap.protocol.Status;
import io.sharedmap.server.testing.TestDaemon;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The I/O threads' promises, with every connection on one loop ({@code --io-threads 1}) so that
 * they share it: a flooding client cannot starve the others, a request waiting for the payload
 * budget does not stop its loop, many pipelining connections get their own replies in order. And,
 * with two loops, how new connections are spread over them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventLoopTest {
    private static final byte[] EMPTY = new byte[0];
    private Path root;
    private Path dir;
    private Path socket;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "loop");
        dir = root.resolve("data");
        socket = root.resolve("s.sock");
    }

    @AfterEach
    void tearDown() throws IOException {
        TestDaemon.deleteTree(root);
    }

    private SharedMapServer start(ServerConfig c) throws ServerStartException {
        return SharedMapServer.start(c, SecurityConfig.DEFAULTS, StoreConfig.DEFAULTS.withDir(root.resolve("store")));
    }

    private ServerConfig oneLoop() {
        return ServerConfig.defaults(dir, socket).withIoThreads(1);
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void floodingClient_cannotStarveAnotherOnTheSameLoop() throws Exception {
        try (SharedMapServer _ = start(oneLoop());
                RawClient flooder = new RawClient(socket, true);
                RawClient other = new RawClient(socket, true);
                ExecutorService pool = Executors.newFixedThreadPool(2)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicBoolean writerDone = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            AtomicLong answered = new AtomicLong();
            byte[] frame = setFrame("flood", new byte[100]);
            byte[] burst = new byte[frame.length * 256];
            for (int i = 0; i < 256; i++) {
                System.arraycopy(frame, 0, burst, i * frame.length, frame.length);
            }
            Future<?> writer = pool.submit(() -> {
                try {
                    while (!stop.get()) {
                        flooder.writeRaw(burst); // as fast as the daemon takes them
                        sent.addAndGet(256);
                    }
                } finally {
                    writerDone.set(true);
                }
                return null;
            });
            Future<?> reader = pool.submit(() -> {
                while (!(writerDone.get() && answered.get() == sent.get())) {
                    assertThat(flooder.read().status()).isIn(Status.CREATED, Status.UPDATED);
                    answered.incrementAndGet();
                }
                return null;
            });
            awaitTrue("the flood is being answered", () -> answered.get() > 10_000);
            long before = answered.get();
            for (int i = 0; i < 200; i++) {
                RawClient.Reply r = other.call(Opcode.SET, b("other" + i), b("v" + i), 0);
                assertThat(r.status()).isEqualTo(Status.CREATED);
                assertThat(other.call(Opcode.GET, b("other" + i), EMPTY, 0).value())
                        .isEqualTo(b("v" + i));
            }
            assertThat(answered.get())
                    .as("the flood went on while the other client's 400 round trips were served")
                    .isGreaterThan(before);
            assertThat(writer.isDone()).as("the flooder was still flooding").isFalse();
            stop.set(true);
            writer.get(60, TimeUnit.SECONDS);
            reader.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void largeValueWaitingForTheBudget_doesNotStopItsLoop() throws Exception {
        int big = 16 << 20;
        ServerConfig c = oneLoop().withMaxValueBytes(big).withMaxPendingPayloadBytes(big);
        try (SharedMapServer _ = start(c);
                RawClient holder = new RawClient(socket, true);
                RawClient waiter = new RawClient(socket, true);
                RawClient small = new RawClient(socket, true);
                ExecutorService pool = Executors.newSingleThreadExecutor()) {
            byte[] holderFrame = setFrame("H", new byte[big]);
            holder.writeRaw(Arrays.copyOf(holderFrame, FrameDescriptor.HEADER_LENGTH + 1 + (1 << 20)));
            awaitTrue(
                    "the holder's value takes the whole budget",
                    () -> stat(small, "pending_payload_budget_bytes") == 0);
            byte[] waiterFrame = setFrame("W", new byte[big]);
            // its header arrives; its value waits for the budget (the write blocks until the daemon reads it)
            Future<?> waiterSent = pool.submit(() -> {
                waiter.writeRaw(waiterFrame);
                return null;
            });
            for (int i = 0; i < 50; i++) {
                assertThat(small.call(Opcode.SET, b("s" + i), new byte[1000], 0).status())
                        .as("the loop that serves the waiting connection still serves others")
                        .isEqualTo(Status.CREATED);
            }
            holder.writeRaw(
                    Arrays.copyOfRange(holderFrame, FrameDescriptor.HEADER_LENGTH + 1 + (1 << 20), holderFrame.length));
            assertThat(holder.read().status()).isEqualTo(Status.CREATED);
            waiterSent.get(60, TimeUnit.SECONDS);
            assertThat(waiter.read().status())
                    .as("the waiting value is read once the budget comes back")
                    .isEqualTo(Status.CREATED);
            assertThat(small.call(Opcode.GET, b("W"), EMPTY, 0).value()).hasSize(big);
            awaitTrue("the budget comes back", () -> stat(small, "pending_payload_budget_bytes") == big);
        }
    }

    @Test
    void manyPipeliningConnections_eachGetsItsOwnRepliesInOrder() throws Exception {
        int connections = 40;
        int requests = 500;
        try (SharedMapServer _ = start(oneLoop());
                ExecutorService pool = Executors.newFixedThreadPool(connections)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                int id = c;
                done.add(pool.submit(() -> {
                    try (RawClient client = new RawClient(socket, true)) {
                        ByteBuffer all = ByteBuffer.allocate(requests * 64);
                        for (int i = 0; i < requests; i++) {
                            byte[] key = b("c" + id + ":" + i);
                            byte[] f = i % 2 == 0
                                    ? setFrame(key, b("v" + id + ":" + i))
                                    : getFrame(b("c" + id + ":" + (i - 1)));
                            all.put(f);
                        }
                        client.writeRaw(Arrays.copyOf(all.array(), all.position()));
                        for (int i = 0; i < requests; i++) {
                            RawClient.Reply r = client.read();
                            if (i % 2 == 0) {
                                assertThat(r.status()).isEqualTo(Status.CREATED);
                            } else {
                                assertThat(r.status()).isEqualTo(Status.FOUND);
                                assertThat(new String(r.value(), UTF_8)).isEqualTo("v" + id + ":" + (i - 1));
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(100, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A new connection goes to the I/O thread with the fewest: long-lived connections opened between
     * short-lived ones (a script polling STATS, say) spread over both threads, where plain turns by
     * connection number would have put every long-lived one on the same thread ("0,4").
     */
    @Test
    void newConnections_goToTheLoopWithTheFewest() throws Exception {
        List<RawClient> kept = new ArrayList<>();
        try (SharedMapServer server = start(ServerConfig.defaults(dir, socket).withIoThreads(2))) {
            try {
                for (int i = 0; i < 4; i++) {
                    kept.add(new RawClient(socket, true));
                    int open = kept.size();
                    try (RawClient shortLived = new RawClient(socket, true)) {
                        assertThat(shortLived.call(Opcode.PING, EMPTY, EMPTY, 0).status())
                                .isEqualTo(Status.PONG);
                    }
                    awaitTrue(
                            "the short-lived connection closed and left its loop's count",
                            () -> Arrays.stream(server.statsSnapshot()
                                                    .get("io_thread_connections")
                                                    .split(","))
                                            .mapToInt(Integer::parseInt)
                                            .sum()
                                    == open);
                }
                assertThat(server.statsSnapshot().get("io_thread_connections")).isEqualTo("2,2");
            } finally {
                for (RawClient c : kept) {
                    c.close();
                }
            }
        }
    }

    private static byte[] setFrame(String key, byte[] value) {
        return setFrame(b(key), value);
    }

    private static byte[] setFrame(byte[] key, byte[] value) {
        ByteBuffer f = ByteBuffer.allocate(FrameEncoder.encodedLength(key.length, value.length));
        FrameEncoder.writeRequest(f, Opcode.SET, key, value, 0);
        return f.array();
    }

    private static byte[] getFrame(byte[] key) {
        ByteBuffer f = ByteBuffer.allocate(FrameEncoder.encodedLength(key.length, 0));
        FrameEncoder.writeRequest(f, Opcode.GET, key, EMPTY, 0);
        return f.array();
    }

    private static long stat(RawClient c, String name) throws IOException {
        RawClient.Reply r = c.call(Opcode.STATS, EMPTY, EMPTY, 0);
        return Long.parseLong(StatsCodec.decode(r.value()).get(name));
    }

    private static void awaitTrue(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.call()) {
            assertThat(System.nanoTime() - deadline)
                    .as("timed out waiting for: %s", what)
                    .isNegative();
            Thread.onSpinWait();
        }
    }
}
