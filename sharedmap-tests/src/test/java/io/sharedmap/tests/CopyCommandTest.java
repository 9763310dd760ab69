package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli;
import io.sharedmap.cli.Cli.Result;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.EtcdCluster;
import io.sharedmap.tests.support.RedisServers;
import io.sharedmap.tests.support.SystemTestEnv;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code sharedmap copy}: from the local daemon to a real etcd, then from etcd to a real Redis; every
 * key under the prefix with its exact bytes, nothing outside it, existing keys left alone unless
 * {@code --overwrite}.
 */
class CopyCommandTest {
    private static final int KEYS = 30;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void copy_daemonToEtcdToRedis_copiesEveryKeyUnderThePrefixExactly() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        URI local = URI.create("unix://" + daemon.socket().toAbsolutePath());
        try (EtcdCluster etcd = EtcdCluster.start(1, env.newDir("etcd"));
                RedisServers redis = RedisServers.single(env.newDir("redis"));
                PortableMap src = SharedMap.connect(local)) {
            for (int i = 0; i < KEYS; i++) {
                src.set(("app/" + i).getBytes(StandardCharsets.UTF_8), value(i));
            }
            src.set("other/x", "not copied");

            Result toEtcd = Cli.run(
                    "copy", "--prefix", "app/", local.toString(), etcd.url().toString());

            assertThat(toEtcd.exitCode()).as(toEtcd.err()).isZero();
            assertThat(toEtcd.out()).startsWith("copied " + KEYS + " keys");
            try (PortableMap e = SharedMap.connect(etcd.url())) {
                assertSameKeysAndValues(src, e);
                assertThat(e.get("other/x")).isEmpty();
            }

            try (PortableMap r = SharedMap.connect(redis.url())) {
                r.set("app/7", "already there");
                Result kept = Cli.run("copy", etcd.url().toString(), redis.url().toString());
                assertThat(kept.exitCode()).as(kept.err()).isEqualTo(1);
                assertThat(kept.out())
                        .startsWith("copied " + (KEYS - 1) + " keys")
                        .contains("left 1");
                assertThat(r.get("app/7").orElseThrow().valueAsString()).isEqualTo("already there");

                Result replaced = Cli.run(
                        "copy",
                        "--overwrite",
                        etcd.url().toString(),
                        redis.url().toString());
                assertThat(replaced.exitCode()).as(replaced.err()).isZero();
                assertSameKeysAndValues(src, r);
            }
        }
    }

    @Test
    void copy_sameUrlTwiceOrNoScheme_isAUsageError() {
        assertThat(Cli.run("copy", "etcd://127.0.0.1:1", "etcd://127.0.0.1:1").exitCode())
                .isEqualTo(2);
        Result noScheme = Cli.run("copy", "/tmp/socket", "etcd://127.0.0.1:1");
        assertThat(noScheme.exitCode()).isEqualTo(2);
        assertThat(noScheme.err()).contains("SRC_URL").contains("no scheme");
    }

    private static byte[] value(int i) {
        byte[] v = new byte[i * 37];
        for (int j = 0; j < v.length; j++) {
            v[j] = (byte) (i + j);
        }
        return v;
    }

    private static void assertSameKeysAndValues(PortableMap expected, PortableMap actual) {
        byte[] prefix = "app/".getBytes(StandardCharsets.UTF_8);
        assertThat(actual.keys(prefix).map(KeyInfo::keyAsString).toList())
                .containsExactlyElementsOf(
                        expected.keys(prefix).map(KeyInfo::keyAsString).toList());
        expected.keys(prefix)
                .forEach(k -> assertThat(actual.get(k.key()).orElseThrow().value())
                        .as(k.keyAsString())
                        .isEqualTo(expected.get(k.key()).orElseThrow().value()));
    }
}
