package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.bench.UnixSocket;
import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.support.Tool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The RESP front door with real Redis clients against a real daemon: redis-cli (one-shot, binary
 * values through {@code -x}, a pipe of commands, {@code --pipe}), redis-benchmark, redis-py (Debian's
 * python3-redis) and Jedis; and both protocols on the same keys, the Java client reading what RESP
 * wrote straight from mapped memory. The tools are installed by {@code .ci/run}; a missing one fails
 * the test naming its package.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RespClientsTest {
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(120);
    /** Debian's python3-redis is installed for the system's interpreter, not for one on PATH (pyenv). */
    private static final String PYTHON = "/usr/bin/python3";

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private DaemonProcess start() {
        return env.startDaemon(env.daemonSpec());
    }

    private static Path resp(DaemonProcess d) {
        return d.socket().resolveSibling(d.socket().getFileName() + ".resp");
    }

    private Tool.Run redisCli(DaemonProcess d, byte[] stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Tool.require("redis-cli", "redis-tools"), "-s", resp(d).toString()));
        cmd.addAll(List.of(args));
        return Tool.run(cmd, stdin, env.scratch(), TOOL_TIMEOUT);
    }

    private Tool.Run redisCli(DaemonProcess d, String... args) {
        return redisCli(d, new byte[0], args);
    }

    @Test
    void redisCli_oneShot_binaryValues_aPipeOfCommands_andPipeMode() throws IOException {
        DaemonProcess d = start();
        assertThat(redisCli(d, "PING").out()).isEqualTo("PONG\n");
        assertThat(redisCli(d, "SET", "greeting", "hello world").out()).isEqualTo("OK\n");
        assertThat(redisCli(d, "GET", "greeting").out()).isEqualTo("hello world\n");
        assertThat(redisCli(d, "INCRBY", "n", "41").out()).isEqualTo("41\n");
        assertThat(redisCli(d, "NOSUCHCMD", "x").out())
                .as("redis-cli prints an error reply and a blank line")
                .isEqualTo("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \n\n");

        // binary-safe: every byte value, through -x (the value is stdin)
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        assertThat(redisCli(d, all, "-x", "SET", "bin").out()).isEqualTo("OK\n");
        byte[] got = redisCli(d, "GET", "bin").stdout();
        assertThat(Arrays.copyOf(got, got.length - 1))
                .as("redis-cli prints the raw value and a newline")
                .isEqualTo(all);
        try (SharedMap client = SharedMap.connect(d.socket(), Options.defaults())) {
            assertThat(client.get("bin".getBytes(StandardCharsets.US_ASCII))
                            .orElseThrow()
                            .value())
                    .isEqualTo(all);
        }

        // a pipe of commands, one per line (redis-cli reads stdin when it has no command)
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            lines.append("SET line:").append(i).append(" v").append(i).append('\n');
        }
        lines.append("GET line:499\n");
        Tool.Run piped = redisCli(d, lines.toString().getBytes(StandardCharsets.US_ASCII));
        assertThat(piped.exit()).as(piped.toString()).isZero();
        List<String> out = piped.out().lines().toList();
        assertThat(out).hasSize(501);
        assertThat(out.subList(0, 500)).allMatch(l -> l.equals("OK"));
        assertThat(out.get(500)).isEqualTo("v499");

        // --pipe: raw RESP from stdin, the mass-insertion mode
        ByteArrayOutputStream proto = new ByteArrayOutputStream();
        for (int i = 0; i < 2000; i++) {
            String k = "mass:" + i;
            proto.writeBytes(("*3\r\n$3\r\nSET\r\n$" + k.length() + "\r\n" + k + "\r\n$1\r\nx\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        Tool.Run mass = redisCli(d, proto.toByteArray(), "--pipe");
        assertThat(mass.exit()).as(mass.toString()).isZero();
        assertThat(mass.out()).contains("errors: 0, replies: 2000");
        assertThat(redisCli(d, "EXISTS", "mass:0", "mass:1999").out()).isEqualTo("2\n");
    }

    @Test
    void redisBenchmark_pingSetGetIncrMset_noErrorReply() {
        DaemonProcess d = start();
        Tool.Run run = Tool.run(
                List.of(
                        Tool.require("redis-benchmark", "redis-tools"),
                        "-s",
                        resp(d).toString(),
                        "-t",
                        "ping,set,get,incr,mset",
                        "-n",
                        "2000",
                        "-q"),
                new byte[0],
                env.scratch(),
                TOOL_TIMEOUT);
        assertThat(run.exit()).as(run.toString()).isZero();
        // -q prints progress lines ending in \r, then one line per test
        List<String> results = new ArrayList<>();
        for (String l : run.out().split("[\r\n]+")) {
            if (l.contains("requests per second")) {
                results.add(l.trim());
            }
        }
        assertThat(results)
                .as(run.toString())
                .anyMatch(l -> l.startsWith("PING_INLINE: "))
                .anyMatch(l -> l.startsWith("PING_MBULK: "))
                .anyMatch(l -> l.startsWith("SET: "))
                .anyMatch(l -> l.startsWith("GET: "))
                .anyMatch(l -> l.startsWith("INCR: "))
                .anyMatch(l -> l.startsWith("MSET (10 keys): "));
        assertThat(run.out() + run.stderr()).doesNotContainIgnoringCase("error");
        // what the benchmark wrote is there: its INCR counter and its keys
        assertThat(redisCli(d, "DBSIZE").out().trim()).matches("[1-9][0-9]*");
    }

    @Test
    void redisPy_resp2_binaryValues_pipeline_scanIter_errors() {
        DaemonProcess d = start();
        String script = String.join(
                "\n",
                "import sys, redis",
                "r = redis.Redis(unix_socket_path=sys.argv[1])",
                "assert r.ping() is True",
                "blob = bytes(range(256)) * 4",
                "assert r.set(b'py:bin', blob) is True",
                "assert r.get(b'py:bin') == blob",
                "assert r.get('py:absent') is None",
                "p = r.pipeline(transaction=False)",
                "for i in range(1500): p.set('py:k:%d' % i, i)",
                "p.incr('py:counter')",
                "res = p.execute()",
                "assert res[:1500] == [True] * 1500 and res[1500] == 1, res[-3:]",
                "keys = set(r.scan_iter(match='py:k:*', count=100))",
                "assert keys == {('py:k:%d' % i).encode() for i in range(1500)}, len(keys)",
                "assert r.mget(['py:k:7', 'py:none']) == [b'7', None]",
                "assert r.incrbyfloat('py:f', 2.5) == 2.5",
                "try:",
                "    r.incr('py:bin')",
                "    raise SystemExit('no error')",
                "except redis.ResponseError as e:",
                "    assert str(e) == 'value is not an integer or out of range', str(e)",
                "try:",
                "    r.execute_command('HSET', 'h', 'f', 'v')",
                "    raise SystemExit('no error')",
                "except redis.ResponseError as e:",
                "    assert str(e).startswith(\"unknown command 'HSET'\"), str(e)",
                "t = r.pipeline()  # redis-py's default: a MULTI/EXEC transaction",
                "t.incr('py:tx'); t.incrby('py:tx', 10); t.get('py:tx')",
                "assert t.execute() == [1, 11, b'11'], 'transaction'",
                "def bump(pipe):",
                "    n = int(pipe.get('py:tx'))",
                "    pipe.multi()",
                "    pipe.set('py:tx', n * 2)",
                "assert r.transaction(bump, 'py:tx') == [True]  # WATCH, GET, MULTI, SET, EXEC",
                "assert r.get('py:tx') == b'22'",
                "t = r.pipeline()  # a transaction on several keys, and a WATCH another client breaks",
                "t.set('py:a', 1); t.incr('py:a'); t.rename('py:a', 'py:b'); t.mget('py:a', 'py:b')",
                "assert t.execute() == [True, 2, True, [None, b'2']], 'multi-key transaction'",
                "other = redis.Redis(unix_socket_path=sys.argv[1])",
                "with r.pipeline() as w:",
                "    w.watch('py:b', 'py:c')",
                "    other.set('py:c', 'theirs')",
                "    w.multi(); w.set('py:b', 'mine'); w.set('py:c', 'mine')",
                "    try:",
                "        w.execute()",
                "        raise SystemExit('the broken WATCH did not abort')",
                "    except redis.WatchError:",
                "        pass",
                "assert r.mget('py:b', 'py:c') == [b'2', b'theirs']",
                "r.client_setname('pytest')",
                "assert r.client_getname() == 'pytest'",
                "assert r.dbsize() >= 1504",
                "print('PASS', len(keys))");
        Tool.Run run = Tool.run(
                List.of(Tool.require(PYTHON, "python3"), "-c", script, resp(d).toString()),
                new byte[0],
                env.scratch(),
                TOOL_TIMEOUT);
        assertThat(run.exit())
                .as("redis-py (Debian's python3-redis; install it if the import fails):\n" + run)
                .isZero();
        assertThat(run.out()).isEqualTo("PASS 1500\n");
    }

    @Test
    void jedis_binaryValues_pipeline_scan_errors() {
        DaemonProcess d = start();
        Path socket = resp(d);
        try (Jedis jedis = new Jedis(() -> {
            try {
                return UnixSocket.connect(socket);
            } catch (IOException e) {
                throw new JedisConnectionException(e);
            }
        })) {
            assertThat(jedis.ping()).isEqualTo("PONG");
            byte[] blob = new byte[100_000];
            for (int i = 0; i < blob.length; i++) {
                blob[i] = (byte) (i * 31);
            }
            assertThat(jedis.set("j:bin".getBytes(StandardCharsets.US_ASCII), blob))
                    .isEqualTo("OK");
            assertThat(jedis.get("j:bin".getBytes(StandardCharsets.US_ASCII))).isEqualTo(blob);
            Pipeline p = jedis.pipelined();
            List<Response<String>> sets = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                sets.add(p.set("j:k:" + i, Integer.toString(i)));
            }
            Response<Long> incr = p.incrBy("j:n", 5);
            Response<String> get = p.get("j:k:999");
            p.sync();
            assertThat(sets).allMatch(r -> r.get().equals("OK"));
            assertThat(incr.get()).isEqualTo(5);
            assertThat(get.get()).isEqualTo("999");

            Set<String> seen = new HashSet<>();
            String cursor = ScanParams.SCAN_POINTER_START;
            int pages = 0;
            do {
                ScanResult<String> page =
                        jedis.scan(cursor, new ScanParams().match("j:k:*").count(64));
                for (String k : page.getResult()) {
                    assertThat(seen.add(k)).as("once: " + k).isTrue();
                }
                cursor = page.getCursor();
                pages++;
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START) && pages < 10_000);
            assertThat(seen).hasSize(1000);

            assertThatThrownBy(() -> jedis.incr("j:bin"))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessage("ERR value is not an integer or out of range");
            assertThatThrownBy(() -> jedis.hset("h", "f", "v"))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("ERR unknown command 'HSET'");
            assertThat(jedis.ping()).as("the connection survives errors").isEqualTo("PONG");
        }
    }

    /** Jedis speaking RESP3: it sends HELLO 3 on connect and parses the map, RESP3 nulls, and SCAN pages. */
    @Test
    void jedis_resp3_hello_nulls_scan() {
        DaemonProcess d = start();
        Path socket = resp(d);
        try (Jedis jedis = new Jedis(
                () -> {
                    try {
                        return UnixSocket.connect(socket);
                    } catch (IOException e) {
                        throw new JedisConnectionException(e);
                    }
                },
                DefaultJedisClientConfig.builder()
                        .protocol(RedisProtocol.RESP3)
                        .clientName("resp3-test")
                        .build())) {
            assertThat(jedis.clientInfo()).contains(" resp=3 ", " name=resp3-test ");
            assertThat(jedis.set("r3:a", "1")).isEqualTo("OK");
            assertThat(jedis.get("r3:absent")).isNull();
            assertThat(jedis.mget("r3:a", "r3:absent")).containsExactly("1", null);
            assertThat(jedis.incrByFloat("r3:f", 1.25)).isEqualTo(1.25);
            for (int i = 0; i < 300; i++) {
                jedis.set("r3:k:" + i, "v");
            }
            Set<String> seen = new HashSet<>();
            String cursor = ScanParams.SCAN_POINTER_START;
            int pages = 0;
            do {
                ScanResult<String> page =
                        jedis.scan(cursor, new ScanParams().match("r3:k:*").count(50));
                seen.addAll(page.getResult());
                cursor = page.getCursor();
                pages++;
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START) && pages < 10_000);
            assertThat(seen).hasSize(300);
            assertThat(jedis.configGet("appendfsync")).containsEntry("appendfsync", "everysec");
        }
    }

    /**
     * Both protocols see the same keys: what RESP sets, the Java client reads from the mapped store
     * without a system call (its direct reads grow), and what the Java client sets, RESP reads.
     */
    @Test
    void bothProtocols_sameKeys_respWritesAreReadDirectlyFromMappedMemory() {
        DaemonProcess d = start();
        assertThat(redisCli(d, "SET", "shared:a", "from-resp").out()).isEqualTo("OK\n");
        assertThat(redisCli(d, "INCR", "shared:n").out()).isEqualTo("1\n");
        try (SharedMap client = SharedMap.connect(d.socket(), Options.defaults())) {
            long before = client.readStats().direct();
            assertThat(client.get("shared:a").orElseThrow().valueAsString()).isEqualTo("from-resp");
            assertThat(client.get("shared:n").orElseThrow().valueAsString()).isEqualTo("1");
            assertThat(client.readStats().viewMapped()).isTrue();
            assertThat(client.readStats().direct())
                    .as("read from mapped memory")
                    .isEqualTo(before + 2);

            client.set("shared:b", "from-java");
            long version = client.get("shared:b").orElseThrow().version();
            assertThat(redisCli(d, "GET", "shared:b").out()).isEqualTo("from-java\n");
            assertThat(redisCli(d, "APPEND", "shared:b", "+resp").out()).isEqualTo("14\n");
            var after = client.get("shared:b").orElseThrow();
            assertThat(after.valueAsString()).isEqualTo("from-java+resp");
            assertThat(after.version())
                    .as("RESP's write is a new version of the same key")
                    .isGreaterThan(version);

            // one version for both: SM.GETVER shows the Java client's, SET ... IFVERSION is its CAS
            assertThat(redisCli(d, "SM.GETVER", "shared:b").out())
                    .isEqualTo("from-java+resp\n" + after.version() + "\n");
            assertThat(redisCli(d, "SET", "shared:b", "stale", "IFVERSION", Long.toString(version))
                            .out())
                    .as("a stale version: not applied (redis-cli prints a null as an empty line)")
                    .isEqualTo("\n");
            assertThat(redisCli(d, "SET", "shared:b", "cas", "IFVERSION", Long.toString(after.version()))
                            .out())
                    .isEqualTo("OK\n");
            assertThat(client.get("shared:b").orElseThrow().valueAsString()).isEqualTo("cas");
        }
        // and what the binary protocol sees of RESP's counters
        Matcher m = Pattern.compile("resp_commands:(\\d+)")
                .matcher(redisCli(d, "INFO", "sharedmap").out());
        assertThat(m.find()).isTrue();
        assertThat(Long.parseLong(m.group(1))).isGreaterThanOrEqualTo(5);
    }
}
