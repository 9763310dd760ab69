package io.sharedmap.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.server.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The RESP front door of an in-process daemon, spoken to with raw bytes: pipelining, RESP3,
 * Redis's error forms, the limits shared with the binary socket, atomic read-modify-write under
 * concurrent clients, SCAN cursors.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RespServerTest {
    private static Path resp(TestDaemon d) {
        return d.socket.resolveSibling(d.socket.getFileName() + ".resp");
    }

    @Test
    void respSocket_besideTheBinaryOne_sameModeAndOwner() throws Exception {
        try (TestDaemon d = TestDaemon.start()) {
            Path r = resp(d);
            assertThat(Files.getPosixFilePermissions(r, LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(Files.getPosixFilePermissions(d.socket, LinkOption.NOFOLLOW_LINKS));
            assertThat(Files.getAttribute(r, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(Files.getAttribute(d.socket, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            assertThat(Files.getAttribute(r, "unix:gid", LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(Files.getAttribute(d.socket, "unix:gid", LinkOption.NOFOLLOW_LINKS));
            d.stop();
            assertThat(r).as("removed at stop").doesNotExist();
        }
    }

    @Test
    void noResp_noSocket() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "smt");
        try {
            SharedMapServer s = SharedMapServer.start(
                    ServerConfig.defaults(root.resolve("data"), root.resolve("s.sock")),
                    SecurityConfig.DEFAULTS,
                    StoreConfig.DEFAULTS.withDir(root.resolve("store")),
                    RespConfig.DISABLED);
            try {
                assertThat(root.resolve("s.sock")).exists();
                assertThat(root.resolve("s.sock.resp")).doesNotExist();
            } finally {
                s.stop();
            }
        } finally {
            TestDaemon.deleteTree(root);
        }
    }

    @Test
    void respSocketOption_servesThere() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "smt");
        try {
            Path where = root.resolve("redis.sock");
            SharedMapServer s = SharedMapServer.start(
                    ServerConfig.defaults(root.resolve("data"), root.resolve("s.sock")),
                    SecurityConfig.DEFAULTS,
                    StoreConfig.DEFAULTS.withDir(root.resolve("store")),
                    new RespConfig(true, where));
            try (RespClient c = new RespClient(where)) {
                assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
            } finally {
                s.stop();
            }
        } finally {
            TestDaemon.deleteTree(root);
        }
    }

    @Test
    void pipeline_thousandsOfCommandsInOneWrite_answeredInOrder() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d))) {
            StringBuilder b = new StringBuilder();
            int n = 2000;
            for (int i = 0; i < n; i++) {
                b.append("*3\r\n$3\r\nSET\r\n$")
                        .append(("k" + i).length())
                        .append("\r\nk")
                        .append(i)
                        .append("\r\n$")
                        .append(("v" + i).length())
                        .append("\r\nv")
                        .append(i)
                        .append("\r\n");
                b.append("*2\r\n$3\r\nGET\r\n$")
                        .append(("k" + i).length())
                        .append("\r\nk")
                        .append(i)
                        .append("\r\n");
            }
            b.append("PING\r\n"); // inline, after the pipeline
            c.send(b.toString());
            for (int i = 0; i < n; i++) {
                assertThat(c.reply()).isEqualTo("+OK\r\n");
                assertThat(c.reply()).isEqualTo("$" + ("v" + i).length() + "\r\nv" + i + "\r\n");
            }
            assertThat(c.reply()).isEqualTo("+PONG\r\n");
            assertThat(c.call("DBSIZE")).isEqualTo(":" + n + "\r\n");
        }
    }

    @Test
    void hello3_answersARealMap_thenRESP3Types_resetGoesBack() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d))) {
            String hello = c.call("HELLO", "3");
            assertThat(hello)
                    .startsWith("%7\r\n$6\r\nserver\r\n$9\r\nsharedmap\r\n$7\r\nversion\r\n$5\r\n"
                            + SharedMapServer.VERSION + "\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:")
                    .endsWith(
                            "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n");
            assertThat(c.call("GET", "absent")).isEqualTo("_\r\n");
            assertThat(c.call("CONFIG", "GET", "databases")).isEqualTo("%1\r\n$9\r\ndatabases\r\n$1\r\n1\r\n");
            assertThat(c.call("RESET")).isEqualTo("+RESET\r\n");
            assertThat(c.call("GET", "absent")).isEqualTo("$-1\r\n");
            assertThat(c.call("HELLO", "4")).isEqualTo("-NOPROTO unsupported protocol version\r\n");
            assertThat(c.call("HELLO", "2", "AUTH", "u", "p", "SETNAME", "me")).startsWith("*14\r\n");
            assertThat(c.call("CLIENT", "GETNAME")).isEqualTo("$2\r\nme\r\n");
        }
    }

    @Test
    void errors_inTheFormsClientsParse() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d))) {
            assertThat(c.call("FOO", "a", "b"))
                    .isEqualTo("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
            assertThat(c.call("HSET", "h", "f", "v"))
                    .isEqualTo("-ERR unknown command 'HSET', with args beginning with: 'h' 'f' 'v' \r\n");
            assertThat(c.call("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
            assertThat(c.call("SET", "n", "x")).isEqualTo("+OK\r\n");
            assertThat(c.call("INCR", "n")).isEqualTo("-ERR value is not an integer or out of range\r\n");
            assertThat(c.call("INCRBY", "m", "1.5")).isEqualTo("-ERR value is not an integer or out of range\r\n");
            assertThat(c.call("SET", "m", "9223372036854775807")).isEqualTo("+OK\r\n");
            assertThat(c.call("INCR", "m")).isEqualTo("-ERR increment or decrement would overflow\r\n");
            assertThat(c.call("SET", "k", "v", "EX", "0")).isEqualTo("-ERR invalid expire time in 'set' command\r\n");
            assertThat(c.call("SET", "k", "v", "EX", "10", "NX")).startsWith("-ERR sharedmap's SET takes EX");
            assertThat(c.call("SET", "k", "v", "EX", "10", "PX", "5")).isEqualTo("-ERR syntax error\r\n");
            assertThat(c.call("SET", "k", "v", "NX", "XX")).isEqualTo("-ERR syntax error\r\n");
            assertThat(c.call("SELECT", "1")).startsWith("-ERR DB index is out of range");
            assertThat(c.call("SELECT", "0")).isEqualTo("+OK\r\n");
            assertThat(c.call("GET", "")).startsWith("-ERR empty key");
            assertThat(c.call("CLIENT", "KILL")).isEqualTo("-ERR unknown subcommand 'KILL'. Try CLIENT HELP.\r\n");
            assertThat(c.call("PING"))
                    .as("the connection survives all of these")
                    .isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void expiry_redisSemantics() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d))) {
            assertThat(c.call("SET", "k", "v")).isEqualTo("+OK\r\n");
            assertThat(c.call("TTL", "k")).isEqualTo(":-1\r\n");
            assertThat(c.call("TTL", "absent")).isEqualTo(":-2\r\n");
            assertThat(c.call("EXPIRE", "k", "100")).isEqualTo(":1\r\n");
            assertThat(c.call("TTL", "k")).isEqualTo(":100\r\n");
            assertThat(c.call("EXPIRE", "k", "50", "GT")).as("GT: not later").isEqualTo(":0\r\n");
            assertThat(c.call("EXPIRE", "k", "200", "NX")).as("NX: has one").isEqualTo(":0\r\n");
            assertThat(c.call("PEXPIRE", "k", "300000", "XX")).isEqualTo(":1\r\n");
            assertThat(Long.parseLong(c.call("PTTL", "k").trim().substring(1))).isBetween(290_000L, 300_000L);
            assertThat(c.call("INCR", "n")).isEqualTo(":1\r\n");
            assertThat(c.call("EXPIRE", "n", "100")).isEqualTo(":1\r\n");
            assertThat(c.call("INCR", "n")).isEqualTo(":2\r\n");
            assertThat(c.call("TTL", "n")).as("INCR keeps the TTL").isEqualTo(":100\r\n");
            assertThat(c.call("SET", "n", "5", "KEEPTTL")).isEqualTo("+OK\r\n");
            assertThat(c.call("TTL", "n")).as("KEEPTTL").isEqualTo(":100\r\n");
            assertThat(c.call("SET", "n", "6")).isEqualTo("+OK\r\n");
            assertThat(c.call("TTL", "n")).as("a plain SET removes it").isEqualTo(":-1\r\n");
            assertThat(c.call("PERSIST", "k")).isEqualTo(":1\r\n");
            assertThat(c.call("PERSIST", "k")).isEqualTo(":0\r\n");
            assertThat(c.call("TTL", "k")).isEqualTo(":-1\r\n");
            assertThat(c.call("SET", "s", "v", "EX", "1000")).isEqualTo("+OK\r\n");
            assertThat(c.call("TTL", "s")).isEqualTo(":1000\r\n");
            assertThat(c.call("SET", "p", "v", "PXAT", Long.toString(System.currentTimeMillis() + 600_000)))
                    .isEqualTo("+OK\r\n");
            assertThat(c.call("TTL", "p")).isEqualTo(":600\r\n");
            assertThat(c.call("EXPIREAT", "p", "1"))
                    .as("a time long past deletes")
                    .isEqualTo(":1\r\n");
            assertThat(c.call("GET", "p")).isEqualTo("$-1\r\n");
            assertThat(c.call("EXISTS", "p")).isEqualTo(":0\r\n");
            assertThat(c.call("EXPIRE", "absent", "10")).isEqualTo(":0\r\n");
            assertThat(c.call("EXPIRE", "k", "x")).isEqualTo("-ERR value is not an integer or out of range\r\n");
            assertThat(c.call("EXPIRE", "k", "10", "YY")).isEqualTo("-ERR Unsupported option YY\r\n");
        }
    }

    @Test
    void strings_redisSemantics() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d))) {
            assertThat(c.call("SETNX", "a", "1")).isEqualTo(":1\r\n");
            assertThat(c.call("SETNX", "a", "2")).isEqualTo(":0\r\n");
            assertThat(c.call("GETSET", "a", "3")).isEqualTo("$1\r\n1\r\n");
            assertThat(c.call("SET", "a", "4", "GET")).isEqualTo("$1\r\n3\r\n");
            assertThat(c.call("SET", "a", "5", "NX")).isEqualTo("$-1\r\n");
            assertThat(c.call("SET", "b", "5", "XX")).isEqualTo("$-1\r\n");
            assertThat(c.call("EXISTS", "a", "b", "a")).isEqualTo(":2\r\n");
            assertThat(c.call("INCRBY", "a", "10")).isEqualTo(":14\r\n");
            assertThat(c.call("DECRBY", "a", "20")).isEqualTo(":-6\r\n");
            assertThat(c.call("INCRBYFLOAT", "a", "0.5")).isEqualTo("$4\r\n-5.5\r\n");
            assertThat(c.call("APPEND", "s", "Hello")).isEqualTo(":5\r\n");
            assertThat(c.call("APPEND", "s", " World")).isEqualTo(":11\r\n");
            assertThat(c.call("GETRANGE", "s", "-5", "-1")).isEqualTo("$5\r\nWorld\r\n");
            assertThat(c.call("GETRANGE", "s", "0", "100")).isEqualTo("$11\r\nHello World\r\n");
            assertThat(c.call("SETRANGE", "s", "6", "Redis")).isEqualTo(":11\r\n");
            assertThat(c.call("SETRANGE", "z", "2", "x")).isEqualTo(":3\r\n");
            assertThat(c.call("GET", "z")).isEqualTo("$3\r\n\0\0x\r\n");
            assertThat(c.call("SETRANGE", "none", "5", "")).isEqualTo(":0\r\n");
            assertThat(c.call("EXISTS", "none")).isEqualTo(":0\r\n");
            assertThat(c.call("STRLEN", "s")).isEqualTo(":11\r\n");
            assertThat(c.call("GETDEL", "s")).isEqualTo("$11\r\nHello Redis\r\n");
            assertThat(c.call("GETDEL", "s")).isEqualTo("$-1\r\n");
            assertThat(c.call("MSET", "x", "1", "y", "2")).isEqualTo("+OK\r\n");
            assertThat(c.call("MGET", "x", "nope", "y")).isEqualTo("*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
            assertThat(c.call("MSETNX", "y", "9", "w", "9")).isEqualTo(":0\r\n");
            assertThat(c.call("EXISTS", "w")).as("MSETNX: all or nothing").isEqualTo(":0\r\n");
            assertThat(c.call("MSETNX", "v", "9", "w", "9")).isEqualTo(":1\r\n");
            assertThat(c.call("DEL", "v", "w", "nope")).isEqualTo(":2\r\n");
            assertThat(c.call("TYPE", "x")).isEqualTo("+string\r\n");
            assertThat(c.call("TYPE", "nope")).isEqualTo("+none\r\n");
            assertThat(c.call("TTL", "x")).isEqualTo(":-1\r\n");
            assertThat(c.call("TTL", "nope")).isEqualTo(":-2\r\n");
        }
    }

    @Test
    void hugeBulk_refusedNamingTheLimit_beforeReadingIt_daemonServesOthers() throws Exception {
        try (TestDaemon d = TestDaemon.start()) {
            try (RespClient c = new RespClient(resp(d))) {
                c.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1073741824\r\n");
                assertThat(c.reply())
                        .isEqualTo(
                                "-ERR Protocol error: invalid bulk length 1073741824: a bulk string may have at most "
                                        + ServerConfig.DEFAULT_MAX_VALUE_BYTES
                                        + " bytes (the daemon's --max-value-bytes)\r\n");
                assertThat(c.closedByPeer()).isTrue();
            }
            try (RespClient c = new RespClient(resp(d))) {
                assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
                assertThat(c.call("EXISTS", "k")).isEqualTo(":0\r\n");
            }
        }
    }

    @Test
    void valueOverMaxValueBytes_errorNamingTheOption() throws Exception {
        try (TestDaemon d = TestDaemon.start(c -> c.withMaxValueBytes(2000));
                RespClient c = new RespClient(resp(d))) {
            assertThat(c.call("SET", "k", "x".repeat(1500))).isEqualTo("+OK\r\n");
            assertThat(c.call("APPEND", "k", "x".repeat(600)))
                    .isEqualTo("-ERR string exceeds maximum allowed size: 2100 bytes, over the daemon's"
                            + " --max-value-bytes (2000)\r\n");
            assertThat(c.call("SETRANGE", "k", "1999", "ab")).startsWith("-ERR string exceeds maximum allowed size");
            assertThat(c.call("STRLEN", "k")).isEqualTo(":1500\r\n");
        }
    }

    @Test
    void stalledClient_halfACommand_closedAfterTheStallTimeout() throws Exception {
        try (TestDaemon d = TestDaemon.start(c -> c.withStallTimeoutMs(1000));
                RespClient c = new RespClient(resp(d))) {
            c.send("*2\r\n$3\r\nGET\r\n$5\r\nab");
            long t0 = System.nanoTime();
            assertThat(c.closedByPeer()).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(900);
        }
    }

    /** A client that pipelines large GETs and never reads the replies is closed by the stall timeout; others go on. */
    @Test
    void clientThatNeverReads_closedByTheStallTimeout_othersServed() throws Exception {
        try (TestDaemon d = TestDaemon.start(c -> c.withStallTimeoutMs(1000));
                RespClient reader = new RespClient(resp(d));
                RespClient hog = new RespClient(resp(d))) {
            assertThat(reader.call("SET", "big", "x".repeat(1 << 20))).isEqualTo("+OK\r\n");
            StringBuilder gets = new StringBuilder();
            for (int i = 0; i < 64; i++) {
                gets.append("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
            }
            hog.send(gets.toString()); // 64 MiB of replies that are never read
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String info;
            do {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                info = reader.call("INFO", "sharedmap");
            } while (!info.contains("connections_stalled_closed:1\r\n") && System.nanoTime() < deadline);
            assertThat(info).contains("connections_stalled_closed:1\r\n");
            assertThat(reader.call("STRLEN", "big")).isEqualTo(":" + (1 << 20) + "\r\n");
            d.allow("closing RESP connection");
        }
    }

    /**
     * Junk on the RESP socket, random and RESP-shaped (stray lengths, nesting, huge counts), from a
     * thousand connections: each gets at most error replies and a close; the daemon logs no error,
     * serves the next client, and what was stored is intact.
     */
    @Test
    void junk_fromManyConnections_neverHarmsTheDaemon() throws Exception {
        String[] pieces = {
            "*",
            "$",
            "*1\r\n",
            "*-1\r\n",
            "*2147483648\r\n",
            "$-5\r\n",
            "$9999999999\r\n",
            "\r\n",
            "\n",
            "\"",
            "'",
            "GET",
            "SET k",
            "PING",
            " ",
            "0",
            "7",
            "*3\r\n$3\r\nSET\r\n",
            "%1\r\n",
            ":1\r\n",
            "\u0000",
            "\u00ff"
        };
        try (TestDaemon d = TestDaemon.start();
                RespClient keeper = new RespClient(resp(d))) {
            assertThat(keeper.call("SET", "kept", "value")).isEqualTo("+OK\r\n");
            Random random = new Random(13);
            for (int i = 0; i < 1000; i++) {
                StringBuilder junk = new StringBuilder();
                int n = 1 + random.nextInt(12);
                for (int j = 0; j < n; j++) {
                    if (random.nextInt(4) == 0) {
                        junk.append((char) random.nextInt(256));
                    } else {
                        junk.append(pieces[random.nextInt(pieces.length)]);
                    }
                }
                try (RespClient c = new RespClient(resp(d))) {
                    c.send(junk.toString());
                    c.shutdownOutput();
                    assertThat(c.closedByPeer()).isTrue();
                }
            }
            assertThat(keeper.call("GET", "kept")).isEqualTo("$5\r\nvalue\r\n");
            try (RespClient c = new RespClient(resp(d))) {
                assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
            }
        }
    }

    @Test
    void multiExec_watchAbortsOnChange_severalKeys_queueErrorsDiscard() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d));
                RespClient other = new RespClient(resp(d))) {
            assertThat(c.call("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
            assertThat(c.call("DISCARD")).isEqualTo("-ERR DISCARD without MULTI\r\n");
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("MULTI")).isEqualTo("-ERR MULTI calls can not be nested\r\n");
            assertThat(c.call("INCR", "t")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("INCRBY", "t", "10")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("GET", "t")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("PING")).isEqualTo("+QUEUED\r\n");
            assertThat(other.call("GET", "t")).as("nothing applied before EXEC").isEqualTo("$-1\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*4\r\n:1\r\n:11\r\n$2\r\n11\r\n+PONG\r\n");

            // several keys: the commands see each other's changes, other clients see none before EXEC
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "a", "1")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("SET", "b", "2")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("RENAME", "a", "c")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("MGET", "a", "b", "c")).isEqualTo("+QUEUED\r\n");
            assertThat(other.call("EXISTS", "a", "b", "c")).isEqualTo(":0\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*4\r\n+OK\r\n+OK\r\n+OK\r\n*3\r\n$-1\r\n$1\r\n2\r\n$1\r\n1\r\n");
            assertThat(other.call("MGET", "a", "b", "c")).isEqualTo("*3\r\n$-1\r\n$1\r\n2\r\n$1\r\n1\r\n");
            assertThat(c.call("DEL", "b", "c")).isEqualTo(":2\r\n");
            // a command that cannot be queued discards the transaction
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "a", "1")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("KEYS", "*")).startsWith("-ERR 'keys' cannot be part of a transaction");
            assertThat(c.call("NOSUCH")).startsWith("-ERR unknown command 'NOSUCH'");
            assertThat(c.call("EXEC")).isEqualTo("-EXECABORT Transaction discarded because of previous errors.\r\n");
            assertThat(c.call("EXISTS", "a")).isEqualTo(":0\r\n");

            // WATCH: a change by another client between WATCH and EXEC aborts (null reply), nothing applied
            assertThat(c.call("WATCH", "w")).isEqualTo("+OK\r\n");
            assertThat(other.call("SET", "w", "theirs")).isEqualTo("+OK\r\n");
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "w", "mine")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*-1\r\n");
            assertThat(c.call("GET", "w")).isEqualTo("$6\r\ntheirs\r\n");
            // unchanged since WATCH: applied
            assertThat(c.call("WATCH", "w")).isEqualTo("+OK\r\n");
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("APPEND", "w", "+mine")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("GETDEL", "w")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("SET", "w", "new")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*3\r\n:11\r\n$11\r\ntheirs+mine\r\n+OK\r\n");
            assertThat(other.call("GET", "w")).isEqualTo("$3\r\nnew\r\n");
            // DISCARD drops the queue and the watches
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("DEL", "w")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("DISCARD")).isEqualTo("+OK\r\n");
            assertThat(c.call("GET", "w")).isEqualTo("$3\r\nnew\r\n");
            // an error inside EXEC is that command's reply; the others apply
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("INCR", "w")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("APPEND", "w", "!")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*2\r\n-ERR value is not an integer or out of range\r\n:4\r\n");
            // a watched key the commands do not use aborts too
            assertThat(c.call("WATCH", "x", "y")).isEqualTo("+OK\r\n");
            assertThat(other.call("SET", "y", "theirs")).isEqualTo("+OK\r\n");
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "x", "1")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*-1\r\n");
            assertThat(c.call("EXISTS", "x")).isEqualTo(":0\r\n");
            assertThat(c.call("WATCH", "x", "y")).isEqualTo("+OK\r\n");
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "x", "1")).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).isEqualTo("*1\r\n+OK\r\n");
            assertThat(c.call("EXISTS", "x")).isEqualTo(":1\r\n");
        }
    }

    /** Transactions from concurrent clients never interleave: each EXEC's two INCRs are consecutive numbers. */
    @Test
    void multiExec_concurrentClients_eachTransactionAtomic() throws Exception {
        int clients = 4;
        int each = 150;
        try (TestDaemon d = TestDaemon.start()) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < clients; t++) {
                    done.add(pool.submit(() -> {
                        try (RespClient c = new RespClient(resp(d))) {
                            for (int i = 0; i < each; i++) {
                                c.command("MULTI")
                                        .command("INCR", "tx")
                                        .command("INCR", "tx")
                                        .command("EXEC");
                                assertThat(c.reply()).isEqualTo("+OK\r\n");
                                assertThat(c.reply()).isEqualTo("+QUEUED\r\n");
                                assertThat(c.reply()).isEqualTo("+QUEUED\r\n");
                                String[] r = c.reply().split("\r\n");
                                assertThat(r[0]).isEqualTo("*2");
                                long first = Long.parseLong(r[1].substring(1));
                                assertThat(Long.parseLong(r[2].substring(1))).isEqualTo(first + 1);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            try (RespClient c = new RespClient(resp(d))) {
                assertThat(c.call("GET", "tx")).isEqualTo("$4\r\n" + 2 * clients * each + "\r\n");
            }
        }
    }

    /**
     * Transactions on two keys from concurrent clients, with single-key writers on the same keys:
     * the transactions never interleave (each EXEC sees a and b equal), and no increment is lost.
     */
    @Test
    void multiExec_twoKeys_concurrentClients_neverInterleave() throws Exception {
        int clients = 4;
        int each = 100;
        try (TestDaemon d = TestDaemon.start()) {
            ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < clients; t++) {
                    done.add(pool.submit(() -> {
                        try (RespClient c = new RespClient(resp(d))) {
                            for (int i = 0; i < each; i++) {
                                c.command("MULTI")
                                        .command("INCR", "ta")
                                        .command("INCR", "tb")
                                        .command("EXEC");
                                assertThat(c.reply()).isEqualTo("+OK\r\n");
                                assertThat(c.reply()).isEqualTo("+QUEUED\r\n");
                                assertThat(c.reply()).isEqualTo("+QUEUED\r\n");
                                String[] r = c.reply().split("\r\n");
                                assertThat(r[0]).isEqualTo("*2");
                                assertThat(r[2]).as("b moved with a").isEqualTo(r[1]);
                            }
                        }
                        return null;
                    }));
                }
                // a single-key writer on a third key the transactions never touch, and INCR on tc
                done.add(pool.submit(() -> {
                    try (RespClient c = new RespClient(resp(d))) {
                        for (int i = 0; i < each; i++) {
                            assertThat(c.call("INCR", "tc")).isEqualTo(":" + (i + 1) + "\r\n");
                        }
                    }
                    return null;
                }));
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            try (RespClient c = new RespClient(resp(d))) {
                String n = Integer.toString(clients * each);
                assertThat(c.call("MGET", "ta", "tb"))
                        .isEqualTo("*2\r\n$" + n.length() + "\r\n" + n + "\r\n$" + n.length() + "\r\n" + n + "\r\n");
            }
        }
    }

    /**
     * Transactions on two keys (INCR ub, then INCR ua) racing single-key INCRs of ua: a commit whose
     * second write finds ua changed undoes its first and runs again, so no increment is lost or doubled.
     */
    @Test
    void multiExec_twoKeys_againstSingleKeyWriters_undoneAndRetried_noLostUpdate() throws Exception {
        int clients = 3;
        int each = 150;
        try (TestDaemon d = TestDaemon.start()) {
            ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < clients; t++) {
                    done.add(pool.submit(() -> {
                        try (RespClient c = new RespClient(resp(d))) {
                            for (int i = 0; i < each; i++) {
                                c.command("MULTI")
                                        .command("INCR", "ub")
                                        .command("INCR", "ua")
                                        .command("EXEC");
                                assertThat(c.reply()).isEqualTo("+OK\r\n");
                                assertThat(c.reply()).isEqualTo("+QUEUED\r\n");
                                assertThat(c.reply()).isEqualTo("+QUEUED\r\n");
                                assertThat(c.reply()).startsWith("*2\r\n:");
                            }
                        }
                        return null;
                    }));
                }
                done.add(pool.submit(() -> {
                    try (RespClient c = new RespClient(resp(d))) {
                        for (int i = 0; i < 3 * each; i++) {
                            assertThat(c.call("INCR", "ua")).startsWith(":");
                        }
                    }
                    return null;
                }));
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            try (RespClient c = new RespClient(resp(d))) {
                assertThat(c.call("GET", "ub")).isEqualTo("$3\r\n" + clients * each + "\r\n");
                assertThat(c.call("GET", "ua")).isEqualTo("$3\r\n" + (clients * each + 3 * each) + "\r\n");
            }
        }
    }

    @Test
    void renameCopyRandomKey() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d))) {
            assertThat(c.call("RENAME", "none", "x")).isEqualTo("-ERR no such key\r\n");
            assertThat(c.call("RANDOMKEY")).isEqualTo("$-1\r\n");
            assertThat(c.call("SET", "a", "1")).isEqualTo("+OK\r\n");
            assertThat(c.call("RENAME", "a", "b")).isEqualTo("+OK\r\n");
            assertThat(c.call("MGET", "a", "b")).isEqualTo("*2\r\n$-1\r\n$1\r\n1\r\n");
            assertThat(c.call("SET", "c", "3")).isEqualTo("+OK\r\n");
            assertThat(c.call("RENAMENX", "b", "c")).isEqualTo(":0\r\n");
            assertThat(c.call("RENAME", "b", "c")).as("replaces").isEqualTo("+OK\r\n");
            assertThat(c.call("MGET", "b", "c")).isEqualTo("*2\r\n$-1\r\n$1\r\n1\r\n");
            assertThat(c.call("COPY", "c", "d")).isEqualTo(":1\r\n");
            assertThat(c.call("SET", "c", "changed")).isEqualTo("+OK\r\n");
            assertThat(c.call("COPY", "c", "d")).as("d exists").isEqualTo(":0\r\n");
            assertThat(c.call("GET", "d")).isEqualTo("$1\r\n1\r\n");
            assertThat(c.call("COPY", "c", "d", "DB", "0", "REPLACE")).isEqualTo(":1\r\n");
            assertThat(c.call("GET", "d")).isEqualTo("$7\r\nchanged\r\n");
            assertThat(c.call("COPY", "c", "d", "DB", "1")).startsWith("-ERR DB index is out of range");
            assertThat(c.call("COPY", "c", "c")).isEqualTo("-ERR source and destination objects are the same\r\n");
            assertThat(c.call("MSETNX", "e", "1", "e", "2"))
                    .as("a key named twice")
                    .isEqualTo(":1\r\n");
            assertThat(c.call("GET", "e")).isEqualTo("$1\r\n2\r\n");
            assertThat(c.call("MSETNX", "f", "1", "e", "3")).isEqualTo(":0\r\n");
            assertThat(c.call("EXISTS", "f")).isEqualTo(":0\r\n");
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 200 && seen.size() < 3; i++) {
                seen.add(c.call("RANDOMKEY"));
            }
            assertThat(seen).containsExactlyInAnyOrder("$1\r\nc\r\n", "$1\r\nd\r\n", "$1\r\ne\r\n");
            assertThat(c.call("SETRANGE", "k", "9223372036854775807", "A"))
                    .startsWith("-ERR string exceeds maximum allowed size");
            assertThat(c.call("INCRBYFLOAT", "n", "+inf"))
                    .isEqualTo("-ERR increment would produce NaN or Infinity\r\n");
        }
    }

    /** Compare-and-set from RESP: SET ... IFEQ (on the value, as Valkey) and IFVERSION (on the version SM.GETVER gives). */
    @Test
    void setIfeqIfversion_compareAndSet() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d));
                RespClient other = new RespClient(resp(d))) {
            assertThat(c.call("SM.GETVER", "k")).isEqualTo("*-1\r\n");
            assertThat(c.call("SET", "k", "a", "IFVERSION", "5"))
                    .as("absent: version 0")
                    .isEqualTo("$-1\r\n");
            assertThat(c.call("SET", "k", "a", "IFVERSION", "0")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "k", "a", "IFVERSION", "0"))
                    .as("exists now")
                    .isEqualTo("$-1\r\n");
            String[] got = c.call("SM.GETVER", "k").split("\r\n");
            assertThat(got[0]).isEqualTo("*2");
            assertThat(got[2]).isEqualTo("a");
            long version = Long.parseLong(got[3].substring(1));
            assertThat(version).isPositive();
            // another client writes first: the stale version no longer matches
            assertThat(other.call("SET", "k", "theirs")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "k", "mine", "IFVERSION", Long.toString(version)))
                    .isEqualTo("$-1\r\n");
            assertThat(c.call("GET", "k")).isEqualTo("$6\r\ntheirs\r\n");
            String[] now = c.call("SM.GETVER", "k").split("\r\n");
            assertThat(c.call("SET", "k", "mine", "IFVERSION", now[3].substring(1), "GET"))
                    .as("GET: the old value, and applied")
                    .isEqualTo("$6\r\ntheirs\r\n");
            assertThat(c.call("GET", "k")).isEqualTo("$4\r\nmine\r\n");
            // IFEQ compares the value
            assertThat(c.call("SET", "k", "x", "IFEQ", "nope")).isEqualTo("$-1\r\n");
            assertThat(c.call("SET", "k", "x", "IFEQ", "mine")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "absent", "x", "IFEQ", "")).isEqualTo("$-1\r\n");
            assertThat(c.call("SET", "k", "y", "IFEQ", "x", "NX")).isEqualTo("-ERR syntax error\r\n");
            assertThat(c.call("SET", "k", "y", "IFVERSION", "-1")).startsWith("-ERR IFVERSION must be 0");
            assertThat(c.call("SET", "k", "y", "IFVERSION")).isEqualTo("-ERR syntax error\r\n");
            // in a transaction: IFVERSION against the version read; SM.GETVER cannot be queued
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SM.GETVER", "k")).startsWith("-ERR 'sm.getver' cannot be part of a transaction");
            assertThat(c.call("DISCARD")).isEqualTo("+OK\r\n");
            String v = c.call("SM.GETVER", "k").split("\r\n")[3].substring(1);
            assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(c.call("SET", "k", "z", "IFVERSION", v)).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("SET", "k", "w", "IFVERSION", v)).isEqualTo("+QUEUED\r\n");
            assertThat(c.call("EXEC")).as("the second sees the first's write").isEqualTo("*2\r\n+OK\r\n$-1\r\n");
            assertThat(c.call("GET", "k")).isEqualTo("$1\r\nz\r\n");
        }
    }

    /** --resp-port: loopback TCP; without --resp-tcp-user only the connection commands, with it the user's rights. */
    @Test
    void tcpListener_anonymousOnlyConnectionCommands_orTheOperatorsUser() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "smt");
        try {
            SharedMapServer s = SharedMapServer.start(
                    ServerConfig.defaults(root.resolve("data"), root.resolve("s.sock")),
                    SecurityConfig.DEFAULTS,
                    StoreConfig.DEFAULTS.withDir(root.resolve("store")),
                    new RespConfig(true, null, 0, null));
            try (RespClient unix = new RespClient(root.resolve("s.sock.resp"))) {
                int port = s.respTcpPort();
                assertThat(port).isPositive();
                assertThat(unix.call("INFO", "server")).contains("tcp_port:" + port + "\r\n");
                assertThat(unix.call("SET", "k", "v")).isEqualTo("+OK\r\n");
                assertThat(unix.call("GET")).startsWith("-ERR wrong number of arguments");
                assertThat(unix.call("INCR", "k")).startsWith("-ERR value is not an integer");
                assertThat(unix.call("INFO", "commandstats"))
                        .contains("cmdstat_set:calls=1,")
                        .containsPattern(
                                "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0")
                        .containsPattern("cmdstat_incr:calls=1,.*,rejected_calls=0,failed_calls=1");
                assertThat(unix.call("INFO")).as("commandstats only with all").doesNotContain("cmdstat_");
                assertThat(unix.call("INFO", "cpu", "memory")).contains("used_cpu_user:", "used_memory:");
                assertThat(unix.call("INFO", "quotas"))
                        .contains("# Quotas\r\nquota_user:", "quota_keys_used:1\r\n", "quota_keys_limit:unlimited\r\n");
                try (RespClient tcp = new RespClient(port)) {
                    assertThat(tcp.call("PING")).isEqualTo("+PONG\r\n");
                    assertThat(tcp.call("HELLO", "3")).startsWith("%7\r\n");
                    assertThat(tcp.call("CLIENT", "SETNAME", "tool")).isEqualTo("+OK\r\n");
                    assertThat(tcp.call("GET", "k")).startsWith("-NOPERM this TCP connection has no identity");
                    assertThat(tcp.call("SET", "k", "x")).startsWith("-NOPERM");
                    assertThat(tcp.call("INFO")).startsWith("-NOPERM");
                    assertThat(tcp.call("MULTI")).startsWith("-NOPERM");
                    assertThat(tcp.call("PING")).as("still served").isEqualTo("+PONG\r\n");
                }
                assertThat(unix.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
            } finally {
                s.stop();
            }
            String me = System.getProperty("user.name");
            s = SharedMapServer.start(
                    ServerConfig.defaults(root.resolve("data"), root.resolve("s.sock")),
                    SecurityConfig.DEFAULTS,
                    StoreConfig.DEFAULTS.withDir(root.resolve("store")),
                    new RespConfig(true, null, 0, me));
            try (RespClient tcp = new RespClient(s.respTcpPort())) {
                assertThat(tcp.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
                assertThat(tcp.call("SET", "k", "w")).isEqualTo("+OK\r\n");
                assertThat(tcp.call("CLIENT", "INFO")).contains(" user=" + me + " ");
            } finally {
                s.stop();
            }
        } finally {
            TestDaemon.deleteTree(root);
        }
    }

    @Test
    void maxConnections_countsBothProtocols() throws Exception {
        try (TestDaemon d = TestDaemon.start(c ->
                        new ServerConfig(c.dataDir(), c.socket(), c.durability(), 1000, 1 << 20, 2, 1L << 20, 1000));
                RespClient a = new RespClient(resp(d));
                RespClient b = new RespClient(resp(d))) {
            assertThat(a.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(b.call("PING")).isEqualTo("+PONG\r\n");
            try (RespClient c = new RespClient(resp(d))) {
                assertThat(c.reply())
                        .isEqualTo("-ERR the daemon serves 2 connections, its limit (--max-connections 2)\r\n");
                assertThat(c.closedByPeer()).isTrue();
            }
        }
    }

    /** INCR and APPEND from many connections at once: compare-and-set loops lose no update. */
    @Test
    void readModifyWrite_concurrentClients_noLostUpdate() throws Exception {
        int clients = 4;
        int each = 300;
        try (TestDaemon d = TestDaemon.start()) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < clients; t++) {
                    done.add(pool.submit(() -> {
                        try (RespClient c = new RespClient(resp(d))) {
                            for (int i = 0; i < each; i++) {
                                c.command("INCR", "counter").command("APPEND", "log", "x");
                                assertThat(c.reply()).startsWith(":");
                                assertThat(c.reply()).startsWith(":");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            try (RespClient c = new RespClient(resp(d))) {
                assertThat(c.call("GET", "counter")).isEqualTo("$4\r\n" + clients * each + "\r\n");
                assertThat(c.call("STRLEN", "log")).isEqualTo(":" + clients * each + "\r\n");
            }
        }
    }

    @Test
    void scan_smallPages_everyKeyExactlyOnce_matchFilters() throws Exception {
        try (TestDaemon d = TestDaemon.start();
                RespClient c = new RespClient(resp(d))) {
            for (int i = 0; i < 500; i++) {
                c.command("SET", (i % 2 == 0 ? "even:" : "odd:") + i, "v");
            }
            for (int i = 0; i < 500; i++) {
                assertThat(c.reply()).isEqualTo("+OK\r\n");
            }
            Set<String> seen = new HashSet<>();
            String cursor = "0";
            int pages = 0;
            do {
                String r = c.call("SCAN", cursor, "MATCH", "odd:*", "COUNT", "37");
                String[] lines = r.split("\r\n");
                cursor = lines[2];
                for (int i = 5; i < lines.length; i += 2) {
                    assertThat(lines[i]).startsWith("odd:");
                    assertThat(seen.add(lines[i])).as("seen once: " + lines[i]).isTrue();
                }
                pages++;
            } while (!cursor.equals("0") && pages < 1000);
            assertThat(seen).hasSize(250);
            assertThat(pages).isGreaterThan(5);
            assertThat(c.call("SCAN", "987654321")).startsWith("-ERR unknown or expired SCAN cursor 987654321");
            String keys = c.call("KEYS", "even:1?");
            assertThat(keys).startsWith("*5\r\n"); // even:10 .. even:18
            assertThat(new String(keys.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1))
                    .contains("even:10", "even:18")
                    .doesNotContain("odd:");
        }
    }
}
