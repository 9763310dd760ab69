package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.support.Tool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Node's {@code redis} package against the RESP socket: Debian's node-redis (4.5), since npm's
 * registry is not reachable from here and Debian does not package ioredis. The client script
 * ({@code resp-node-client.js}) connects (RESP2: node-redis 4 has no RESP3), sets and gets every byte
 * value, pipelines 1000 commands, runs MULTI/EXEC on two keys and a WATCH that another client
 * breaks, SCANs 1000 keys in pages of 100, and checks the error replies it parses; then the Java
 * client reads what it wrote. Installed by {@code .ci/run} (node-redis, nodejs); a missing one fails.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RespNodeClientTest {
    /** Where Debian installs its Node modules (Debian's nodejs searches it; a node from elsewhere needs NODE_PATH). */
    private static final String DEBIAN_NODE_MODULES = "/usr/share/nodejs";

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    void nodeRedis_connectBinaryPipelineTransactionsScanErrors() throws IOException {
        String node = Tool.require("node", "nodejs");
        assertThat(Path.of(DEBIAN_NODE_MODULES, "redis", "package.json"))
                .as("node-redis is not installed; install the Debian package node-redis (.ci/run does)")
                .exists();
        Path script = env.scratch().resolve("resp-node-client.js");
        try (InputStream in = Objects.requireNonNull(
                RespNodeClientTest.class.getResourceAsStream("resp-node-client.js"), "resp-node-client.js")) {
            Files.write(script, in.readAllBytes());
        }
        DaemonProcess d = env.startDaemon(env.daemonSpec());
        Path resp = d.socket().resolveSibling(d.socket().getFileName() + ".resp");

        Tool.Run run = Tool.run(
                List.of("env", "NODE_PATH=" + DEBIAN_NODE_MODULES, node, script.toString(), resp.toString()),
                new byte[0],
                env.scratch(),
                Duration.ofSeconds(120));
        assertThat(run.exit()).as("node-redis client:\n%s", run).isZero();
        assertThat(run.out().lines().toList())
                .as(run.toString())
                .containsExactly(
                        "ok connect RESP2",
                        "ok binary set/get",
                        "ok pipeline of 1000",
                        "ok multi/exec",
                        "ok watch conflict aborts",
                        "ok scan 1000 keys in pages of 100",
                        "ok errors",
                        "done");
        try (SharedMap client = SharedMap.connect(d.socket(), Options.defaults())) {
            assertThat(new String(
                            client.get("node:for-java".getBytes(StandardCharsets.US_ASCII))
                                    .orElseThrow()
                                    .value(),
                            StandardCharsets.UTF_8))
                    .isEqualTo("written by node-redis");
        }
    }
}
