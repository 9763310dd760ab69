package io.sharedmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli.Result;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code sharedmap watch}, {@code expire} and {@code ttl}, in process, against a real in-process daemon. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchCliTest extends DaemonCliTest {
    private static long versionOf(Result r) {
        return Long.parseLong(r.out().trim().replaceAll("[^0-9]", ""));
    }

    @Test
    void watch_fromAVersion_printsOneLinePerChange_textAndJson() {
        Result first = run("cas", "app/a", "0", "1");
        assertThat(first.exitCode()).as(first.err()).isZero();
        long from = versionOf(first);
        run("set", "app/b", "2");
        run("set", "other", "x");
        run("del", "app/a");
        run("chmod", "600", "app/b");
        run("expire", "app/b", "1h");

        Result text = run("watch", "--prefix", "app/", "--from", Long.toString(from), "--values", "--count", "4");
        assertThat(text.exitCode()).as(text.err()).isZero();
        String[] lines = text.out().split("\n");
        assertThat(lines).hasSize(4);
        assertThat(lines[0]).matches("[0-9]+ set app/b 2");
        assertThat(lines[1]).matches("[0-9]+ delete app/a");
        assertThat(lines[2]).matches("[0-9]+ owner app/b");
        assertThat(lines[3]).matches("[0-9]+ deadline app/b");

        Result json = run("watch", "app/b", "--from", Long.toString(from), "--json", "--count", "1");
        assertThat(json.out()).matches("\\{\"version\":[0-9]+,\"kind\":\"set\",\"key\":\"app/b\"\\}\n");

        Result quiet = run("watch", "nothing", "--timeout", "300ms");
        assertThat(quiet.exitCode()).isZero();
        assertThat(quiet.out()).isEmpty();
    }

    @Test
    void expireAndTtl_renewAndRemoveADeadline() {
        run("set", "--ttl", "1h", "lease", "me");
        assertThat(run("ttl", "lease").out()).matches("[0-9]+ ms \\(until .*\\)\n");
        Result renewed = run("expire", "lease", "2h");
        assertThat(renewed.out()).isEqualTo("expires in PT2H\n");
        assertThat(run("expire", "--persist", "lease").out()).isEqualTo("persisted\n");
        assertThat(run("ttl", "lease").out()).isEqualTo("never\n");
        Result absent = run("expire", "nope", "1s");
        assertThat(absent.exitCode()).isEqualTo(1);
        assertThat(absent.err()).isEqualTo("not found: nope\n");
        Result both = run("expire", "--persist", "lease", "1s");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("give either a TTL or --persist");
    }
}
