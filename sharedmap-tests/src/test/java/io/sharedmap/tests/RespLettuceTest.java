package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.support.Tool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Lettuce (the Java client sharedmap-redis uses) against the RESP front door, in RESP2 and RESP3:
 * binary values, a pipeline of 1000 commands, MULTI/EXEC with a WATCH that another connection
 * breaks, SCAN over many pages, errors; the Java client reads what Lettuce wrote.
 *
 * <p>Over the loopback TCP port ({@code --resp-port 0 --resp-tcp-user} the test's user): Lettuce
 * reaches Unix sockets only through Netty's native epoll transport, a native library sharedmap does
 * not use.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RespLettuceTest {
    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private int tcpPort(DaemonProcess d) {
        Path resp = d.socket().resolveSibling(d.socket().getFileName() + ".resp");
        Tool.Run info = Tool.run(
                List.of(Tool.require("redis-cli", "redis-tools"), "-s", resp.toString(), "INFO", "server"),
                new byte[0],
                env.scratch(),
                Duration.ofSeconds(60));
        Matcher m = Pattern.compile("tcp_port:(\\d+)").matcher(info.out());
        assertThat(m.find()).as("INFO names the TCP port: %s", info).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @EnumSource(
            value = ProtocolVersion.class,
            names = {"RESP2", "RESP3"})
    void lettuce_binaryPipelineTransactionsScanErrors(ProtocolVersion protocol) throws Exception {
        DaemonProcess d = env.startDaemon(env.daemonSpec()
                .withServerArgs("--resp-port", "0", "--resp-tcp-user", System.getProperty("user.name")));
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", tcpPort(d)));
        client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
        try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
                StatefulRedisConnection<byte[], byte[]> other = client.connect(ByteArrayCodec.INSTANCE)) {
            RedisCommands<byte[], byte[]> sync = c.sync();
            assertThat(sync.ping()).isEqualTo("PONG");

            // binary values: every byte value
            byte[] all = new byte[256];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            assertThat(sync.set(b("lettuce:bin"), all)).isEqualTo("OK");
            assertThat(sync.get(b("lettuce:bin"))).isEqualTo(all);

            // a pipeline: 1000 commands flushed at once, replies in order
            RedisAsyncCommands<byte[], byte[]> async = c.async();
            c.setAutoFlushCommands(false);
            List<RedisFuture<?>> futures = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                futures.add(async.set(b("lettuce:p:" + i), b("v" + i)));
            }
            List<RedisFuture<Long>> incrs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                incrs.add(async.incr(b("lettuce:n")));
            }
            c.flushCommands();
            c.setAutoFlushCommands(true);
            assertThat(LettuceFutures.awaitAll(Duration.ofSeconds(60), futures.toArray(new RedisFuture<?>[0])))
                    .isTrue();
            for (int i = 0; i < incrs.size(); i++) {
                assertThat(incrs.get(i).get()).isEqualTo(i + 1);
            }
            assertThat(sync.get(b("lettuce:p:999"))).isEqualTo(b("v999"));

            // MULTI/EXEC on two keys
            assertThat(sync.multi()).isEqualTo("OK");
            sync.set(b("lettuce:a"), b("1"));
            sync.incr(b("lettuce:a"));
            sync.rename(b("lettuce:a"), b("lettuce:b"));
            TransactionResult tx = sync.exec();
            assertThat(tx.wasDiscarded()).isFalse();
            assertThat(tx.<Object>get(1)).isEqualTo(2L);
            assertThat(sync.exists(b("lettuce:a"), b("lettuce:b"))).isEqualTo(1L);

            // WATCH broken by another connection: EXEC discards
            assertThat(sync.watch(b("lettuce:w"))).isEqualTo("OK");
            assertThat(other.sync().set(b("lettuce:w"), b("theirs"))).isEqualTo("OK");
            sync.multi();
            sync.set(b("lettuce:w"), b("mine"));
            assertThat(sync.exec().wasDiscarded()).isTrue();
            assertThat(sync.get(b("lettuce:w"))).isEqualTo(b("theirs"));

            // SCAN over many pages, every key once
            Set<String> seen = new HashSet<>();
            int pages = 0;
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<byte[]> page = sync.scan(
                        cursor, ScanArgs.Builder.matches("lettuce:p:*").limit(100));
                pages++;
                for (byte[] k : page.getKeys()) {
                    assertThat(seen.add(new String(k, StandardCharsets.UTF_8))).isTrue();
                }
                cursor = page;
            } while (!cursor.isFinished());
            assertThat(seen).hasSize(1000);
            assertThat(pages).isGreaterThanOrEqualTo(10);

            // errors, as Lettuce reports them; the connection goes on
            sync.set(b("lettuce:s"), b("abc"));
            assertThatThrownBy(() -> sync.incr(b("lettuce:s")))
                    .isInstanceOf(RedisCommandExecutionException.class)
                    .hasMessage("ERR value is not an integer or out of range");
            assertThatThrownBy(() -> sync.hset(b("lettuce:h"), b("f"), b("v")))
                    .isInstanceOf(RedisCommandExecutionException.class)
                    .hasMessageStartingWith("ERR unknown command 'HSET'");
            assertThat(sync.ping()).isEqualTo("PONG");
            sync.set(b("lettuce:for-java"), b("written by Lettuce " + protocol));
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(10));
        }
        try (SharedMap java = SharedMap.connect(d.socket(), Options.defaults())) {
            assertThat(new String(java.get(b("lettuce:for-java")).orElseThrow().value(), StandardCharsets.UTF_8))
                    .isEqualTo("written by Lettuce " + protocol);
        }
    }
}
