package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli;
import io.sharedmap.cli.Cli.Result;
import io.sharedmap.tests.support.RedisServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The everyday commands with {@code --url redis-cluster://...} against a real 3-primary Redis Cluster. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisCliTest {
    @TempDir
    static Path dir;

    private static RedisServers redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServers.cluster(3, dir);
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    private static Result run(String command, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = command;
        all[1] = "--url=" + redis.url();
        System.arraycopy(args, 0, all, 2, args.length);
        return Cli.run(all);
    }

    @Test
    void setGetCasDelKeys_onRedisCluster_behaveAsOnTheDaemon() {
        assertThat(run("set", "cli/a", "hello").out()).isEqualTo("created\n");
        assertThat(run("set", "cli/b", "x").exitCode()).isZero();
        assertThat(run("set", "cli/c", "y").out()).isEqualTo("created\n");

        assertThat(run("get", "cli/a").stdout()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));

        Result conflict = run("cas", "cli/a", "0", "other");
        assertThat(conflict.exitCode()).isEqualTo(1);
        String version = conflict.err().trim().substring("conflict: current version ".length());
        Result applied = run("cas", "cli/a", version, "hi");
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        assertThat(applied.out()).startsWith("updated version ");

        assertThat(run("keys", "cli/").out()).isEqualTo("cli/a\ncli/b\ncli/c\n");
        assertThat(run("keys", "-l", "cli/").exitCode()).isEqualTo(4);

        assertThat(run("del", "cli/b").exitCode()).isZero();
        assertThat(run("get", "cli/b").exitCode()).isEqualTo(1);
        assertThat(run("keys", "cli/").out()).isEqualTo("cli/a\ncli/c\n");
    }
}
