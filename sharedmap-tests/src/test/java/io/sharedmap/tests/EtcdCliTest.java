package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli;
import io.sharedmap.cli.Cli.Result;
import io.sharedmap.tests.support.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The everyday commands with {@code --url etcd://...} against a real single-member etcd: the same
 * output and exit codes as on the local daemon, and a typed refusal for what etcd cannot do.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdCliTest {
    @TempDir
    static Path dir;

    private static EtcdCluster etcd;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(1, dir);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static Result run(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = args[0];
        all[1] = "--url=" + etcd.url();
        System.arraycopy(args, 1, all, 2, args.length - 1);
        return Cli.run(all);
    }

    @Test
    void setGetCasDelKeys_onEtcd_behaveAsOnTheDaemon() {
        Result created = run("set", "cli/a", "hello");
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(created.out()).isEqualTo("created\n");
        assertThat(run("set", "cli/b", "x").exitCode()).isZero();

        Result get = run("get", "cli/a");
        assertThat(get.exitCode()).isZero();
        assertThat(get.stdout()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));

        Result conflict = run("cas", "cli/a", "0", "other");
        assertThat(conflict.exitCode()).isEqualTo(1);
        assertThat(conflict.err()).startsWith("conflict: current version ");
        String version = conflict.err().trim().substring("conflict: current version ".length());

        Result applied = run("cas", "cli/a", version, "hi");
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        assertThat(applied.out()).startsWith("updated version ");

        Result keys = run("keys", "cli/");
        assertThat(keys.exitCode()).isZero();
        assertThat(keys.out()).isEqualTo("cli/a\ncli/b\n");

        assertThat(run("del", "cli/a").exitCode()).isZero();
        Result gone = run("get", "cli/a");
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.err()).contains("not found");
    }

    @Test
    void keysLong_onEtcd_isRefusedNamingWhatIsNotSupported() {
        Result r = run("keys", "-l", "cli/");

        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.err()).contains("keys -l").contains("not supported").contains("etcd://");
    }

    @Test
    void urlAndSocketTogether_isAUsageError() {
        Result r = Cli.run("get", "--url", etcd.url().toString(), "--socket", "/tmp/nowhere", "k");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--url or --socket");
    }

    @Test
    void unknownScheme_isAUsageErrorListingTheSchemesAvailable() {
        Result r = Cli.run("get", "--url", "ftp://127.0.0.1:7000", "k");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .contains("'ftp'")
                .contains("not a scheme sharedmap knows")
                .contains("schemes available here: unix, etcd, etcds, redis, redis-cluster, rediss, rediss-cluster");
    }
}
