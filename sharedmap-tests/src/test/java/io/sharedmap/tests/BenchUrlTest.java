package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli;
import io.sharedmap.cli.Cli.Result;
import io.sharedmap.tests.support.RedisServers;
import io.sharedmap.tests.support.SystemTestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code sharedmap bench} with targets named by URL, against a real redis-server on loopback: the
 * uniform workload through sharedmap's portable API ({@code --url redis://...}) and through Lettuce
 * doing the same requests ({@code --target bare:redis://...}), beside a daemon the harness starts;
 * every cell completes, the preloaded keys are found (no misses), and the remote cells say they have
 * no server CPU time. Structure only, never speed.
 */
class BenchUrlTest {
    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bench_urlAndBareTargetsBesideTheDaemon_everyCellCompletes() throws IOException {
        try (RedisServers redis = RedisServers.single(env.newDir("redis"))) {
            Path out = env.newDir("bench");
            String url = redis.url().toString();
            Result r = Cli.run(
                    "bench",
                    "--workload",
                    "uniform",
                    "--mix",
                    "read,write",
                    "--processes",
                    "1,2",
                    "--ops",
                    "200",
                    "--keys",
                    "50",
                    "--warmup-ops",
                    "50",
                    "--warmup-ms",
                    "300",
                    "--no-charts",
                    "--out",
                    out.resolve("results").toString(),
                    "--work-dir",
                    out.resolve("work").toString(),
                    "--target",
                    "sharedmap",
                    "--url",
                    url,
                    "--target",
                    "bare:" + url);

            assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
            assertThat(r.out())
                    .contains("target redis (sharedmap's portable API) on url:" + url)
                    .contains("target redis-bare (the engine's own client (Lettuce)) on bare:" + url);
            List<String> csv = Files.readAllLines(out.resolve("results/results.csv"));
            List<String> header = List.of(csv.getFirst().split(","));
            int target = header.indexOf("target");
            int status = header.indexOf("status");
            int misses = header.indexOf("misses");
            int cpu = header.indexOf("daemon_cpu_s");
            // 2 mixes x 2 process counts x 3 targets
            assertThat(csv).hasSize(1 + 2 * 2 * 3);
            for (String line : csv.subList(1, csv.size())) {
                String[] f = line.split(",", -1);
                assertThat(f[status]).as(line).isEqualTo("ok");
                assertThat(f[misses]).as(line).isEqualTo("0");
                if (f[target].startsWith("redis")) {
                    assertThat(f[cpu])
                            .as("no server CPU time of a URL's target: " + line)
                            .isEmpty();
                }
            }
            assertThat(csv.stream().map(l -> l.split(",")[target]).distinct())
                    .containsExactlyInAnyOrder("target", "sharedmap(interval)", "redis", "redis-bare");
            assertThat(redis.command(0, "TYPE", "key:0000000007")).isEqualTo("+hash");
            assertThat(redis.command(0, "HEXISTS", "key:0000000007", "n"))
                    .as("the preload wrote sharedmap's layout (a hash: v the value, n the version)")
                    .isEqualTo(":1");
        }
    }
}
