package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.support.Tool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS to the remote engines: {@code etcds://} and {@code rediss://} with {@code ca-file=}, against
 * a real etcd member, a real redis-server and a 3-primary Redis Cluster ({@code rediss-cluster://},
 * its bus over TLS too) serving TLS with a certificate made at test time with openssl (a certificate
 * authority of the test's, a server certificate for 127.0.0.1). The client
 * trusting that authority sets, gets and scans; one trusting another authority (or the JDK's) is
 * refused; a plain URL to the TLS port does not get through, and {@code ca-file} on a plain URL is a
 * usage error.
 */
class TlsTest {
    private static final Duration START = Duration.ofSeconds(60);

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    /** The test's certificate authority, another one, and a server certificate the first signed. */
    private record Certs(Path ca, Path otherCa, Path cert, Path key) {}

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void etcd_overTls_trustingTheCa_servesAndAnotherCaIsRefused() {
        Certs certs = certs(env.newDir("certs"));
        int client = freePort();
        int peer = freePort();
        Path data = env.newDir("etcd");
        env.startCommand(
                "etcd-tls",
                List.of(
                        Tool.require("etcd", "etcd-server"),
                        "--name",
                        "t0",
                        "--data-dir",
                        data.resolve("t0").toString(),
                        "--listen-client-urls",
                        "https://127.0.0.1:" + client,
                        "--advertise-client-urls",
                        "https://127.0.0.1:" + client,
                        "--listen-peer-urls",
                        "http://127.0.0.1:" + peer,
                        "--initial-advertise-peer-urls",
                        "http://127.0.0.1:" + peer,
                        "--initial-cluster",
                        "t0=http://127.0.0.1:" + peer,
                        "--cert-file",
                        certs.cert().toString(),
                        "--key-file",
                        certs.key().toString()));
        String base = "127.0.0.1:" + client + "?timeout-ms=3000&ca-file=";
        URI trusted = URI.create("etcds://" + base + certs.ca());

        try (PortableMap map = awaitServing(trusted)) {
            assertThat(map.set("tls/k", "over TLS").created()).isTrue();
            assertThat(map.get("tls/k").orElseThrow().valueAsString()).isEqualTo("over TLS");
            assertThat(map.keys("tls/".getBytes(StandardCharsets.UTF_8)).count())
                    .isEqualTo(1);
        }
        assertThatThrownBy(() -> SharedMap.connect(URI.create("etcds://" + base + certs.otherCa())))
                .as("a client trusting another authority")
                .isInstanceOf(DaemonUnavailableException.class);
        assertThatThrownBy(() -> SharedMap.connect(URI.create("etcd://127.0.0.1:" + client + "?timeout-ms=3000")))
                .as("plain HTTP/2 to the TLS port")
                .isInstanceOf(DaemonUnavailableException.class);
        assertThatThrownBy(() -> SharedMap.connect(URI.create("etcd://127.0.0.1:" + client + "?ca-file=" + certs.ca())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has a ca-file but no TLS; write etcds://");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void redis_overTls_trustingTheCa_servesAndAnotherCaIsRefused() {
        Certs certs = certs(env.newDir("certs"));
        int port = freePort();
        Path data = env.newDir("redis");
        env.startCommand(
                "redis-tls",
                List.of(
                        Tool.require("redis-server", "redis-server"),
                        "--port",
                        "0",
                        "--tls-port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--tls-cert-file",
                        certs.cert().toString(),
                        "--tls-key-file",
                        certs.key().toString(),
                        "--tls-ca-cert-file",
                        certs.ca().toString(),
                        "--tls-auth-clients",
                        "no",
                        "--dir",
                        data.toString(),
                        "--save",
                        "",
                        "--appendonly",
                        "no"));
        String base = "127.0.0.1:" + port + "?timeout-ms=3000&ca-file=";
        URI trusted = URI.create("rediss://" + base + certs.ca());

        try (PortableMap map = awaitServing(trusted)) {
            assertThat(map.set("tls/k", "over TLS").created()).isTrue();
            assertThat(map.get("tls/k").orElseThrow().valueAsString()).isEqualTo("over TLS");
            assertThat(map.keys("tls/".getBytes(StandardCharsets.UTF_8)).count())
                    .isEqualTo(1);
        }
        assertThatThrownBy(() -> SharedMap.connect(URI.create("rediss://" + base + certs.otherCa())))
                .as("a client trusting another authority")
                .isInstanceOf(DaemonUnavailableException.class)
                .hasMessageContaining("unable to find valid certification path");
        assertThatThrownBy(() -> SharedMap.connect(URI.create("redis://127.0.0.1:" + port + "?timeout-ms=3000")))
                .as("plain RESP to the TLS port")
                .isInstanceOf(DaemonUnavailableException.class);
        assertThatThrownBy(() -> SharedMap.connect(URI.create("redis://127.0.0.1:" + port + "?ca-file=" + certs.ca())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has a ca-file but no TLS; write rediss://");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void redisCluster_overTls_keysOnEveryPrimary_servesThroughOneClient() {
        Certs certs = certs(env.newDir("certs"));
        List<Integer> ports = List.of(freePort(), freePort(), freePort());
        for (int port : ports) {
            Path data = env.newDir("redis-" + port);
            env.startCommand(
                    "redis-tls-" + port,
                    List.of(
                            Tool.require("redis-server", "redis-server"),
                            "--port",
                            "0",
                            "--tls-port",
                            Integer.toString(port),
                            "--bind",
                            "127.0.0.1",
                            "--tls-cert-file",
                            certs.cert().toString(),
                            "--tls-key-file",
                            certs.key().toString(),
                            "--tls-ca-cert-file",
                            certs.ca().toString(),
                            "--tls-auth-clients",
                            "no",
                            "--tls-cluster",
                            "yes",
                            "--tls-replication",
                            "yes",
                            "--cluster-enabled",
                            "yes",
                            "--cluster-config-file",
                            "nodes.conf",
                            "--cluster-node-timeout",
                            "2000",
                            "--dir",
                            data.toString(),
                            "--save",
                            "",
                            "--appendonly",
                            "no"));
        }
        String cli = Tool.require("redis-cli", "redis-tools");
        List<String> tls = List.of(cli, "--tls", "--cacert", certs.ca().toString());
        for (int port : ports) {
            Await.until(
                    "redis-server on TLS port " + port + " answers PING",
                    () -> redisCli(tls, "-p", Integer.toString(port), "PING").contains("PONG"),
                    START);
        }
        List<String> create = new ArrayList<>(List.of("--cluster", "create"));
        ports.forEach(p -> create.add("127.0.0.1:" + p));
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        assertThat(redisCli(tls, create.toArray(String[]::new))).contains("All 16384 slots covered");
        for (int port : ports) {
            Await.until(
                    "redis-server on TLS port " + port + " reports cluster_state:ok",
                    () -> redisCli(tls, "-p", Integer.toString(port), "CLUSTER", "INFO")
                            .contains("cluster_state:ok"),
                    START);
        }
        URI url =
                URI.create("rediss-cluster://127.0.0.1:" + ports.getFirst() + "?timeout-ms=5000&ca-file=" + certs.ca());

        try (PortableMap map = awaitServing(url)) {
            // CRC16 slots 2150, 10276 and 14465: one per primary of redis-cli's even split
            for (String k : List.of("counter-c", "counter-a", "counter-d")) {
                assertThat(map.set(k, "v " + k).created()).isTrue();
            }
            assertThat(map.keys("counter-".getBytes(StandardCharsets.UTF_8))
                            .map(k -> new String(k.key(), StandardCharsets.UTF_8))
                            .toList())
                    .containsExactly("counter-a", "counter-c", "counter-d");
        }
        for (int port : ports) {
            assertThat(redisCli(tls, "-p", Integer.toString(port), "DBSIZE").trim())
                    .as("keys on the primary on port %d", port)
                    .isEqualTo("1");
        }
    }

    /** {@code redis-cli} with {@code args}: its output (stdout and stderr), bounded. */
    private String redisCli(List<String> base, String... args) {
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of(args));
        Tool.Run r = Tool.run(command, new byte[0], env.scratch(), Duration.ofSeconds(30));
        return r.out() + r.stderr();
    }

    /** Connects to {@code url} until it answers (the server is starting), bounded. */
    private static PortableMap awaitServing(URI url) {
        PortableMap[] map = new PortableMap[1];
        Await.until(
                "a TLS client of " + url + " is served",
                () -> {
                    try {
                        map[0] = SharedMap.connect(url);
                        return true;
                    } catch (SharedMapException e) {
                        return false;
                    }
                },
                START);
        return map[0];
    }

    /** A certificate authority, another one, and a certificate for 127.0.0.1 the first one signed. */
    private static Certs certs(Path dir) {
        String openssl = Tool.require("openssl", "openssl");
        for (String ca : List.of("ca", "other-ca")) {
            openssl(
                    dir,
                    openssl,
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    ca + ".key",
                    "-out",
                    ca + ".pem",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=sharedmap-test-" + ca);
        }
        openssl(
                dir,
                openssl,
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1");
        try {
            Files.writeString(dir.resolve("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl(
                dir,
                openssl,
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "1",
                "-extfile",
                "san.cnf");
        return new Certs(
                dir.resolve("ca.pem"),
                dir.resolve("other-ca.pem"),
                dir.resolve("server.pem"),
                dir.resolve("server.key"));
    }

    private static void openssl(Path dir, String openssl, String... args) {
        List<String> command = new ArrayList<>(List.of(openssl));
        command.addAll(List.of(args));
        Tool.Run r = Tool.run(command, new byte[0], dir, Duration.ofSeconds(60));
        assertThat(r.exit()).as("%s\n%s", command, r).isZero();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
