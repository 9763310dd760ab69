package io.sharedmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli.Result;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * chmod, chown, keys -l and limit, in process, as the user running the tests (root in CI, so every
 * check passes: the refusals of other users are in sharedmap-tests' MultiUserTest, with real users).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SecurityCliTest extends DaemonCliTest {
    private String me() {
        return System.getProperty("user.name");
    }

    @Test
    void chmod_singleKey_showsInKeysLong() {
        run("set", "app:a", "1");

        Result chmod = run("chmod", "600", "app:a");
        Result list = run("keys", "-l", "app:");

        assertThat(chmod.exitCode()).isZero();
        assertThat(list.out()).matches("rw------- " + me() + " +\\S+ +1 +\\d+ app:a\n");
    }

    @Test
    void chmod_prefix_countsChangedKeys() {
        run("set", "app:a", "1");
        run("set", "app:b", "2");
        run("set", "other", "3");

        Result r = run("chmod", "--prefix", "640", "app:");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("chmod: 2 keys under 'app:' changed\n");
        assertThat(run("keys", "-l")
                        .out()
                        .lines()
                        .filter(l -> l.startsWith("rw-r----- "))
                        .count())
                .isEqualTo(2);
    }

    @Test
    void chmod_missingKey_exits1AndSaysSo() {
        Result r = run("chmod", "600", "nope");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("nope: no such key");
    }

    @Test
    void chmod_executeBits_isAUsageError() {
        run("set", "k", "v");

        Result r = run("chmod", "755", "k");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo(
                        "sharedmap chmod: mode 755 has bits outside 666 (keys have read and write bits" + " only)\n");
    }

    @Test
    void chown_numericIds_changesOwnerAndMovesUsage() {
        run("set", "k", "value");

        Result r = run("chown", "4242:4343", "k");
        Result list = run("keys", "-l", "k");
        Result user = run("limit", "show", "user:4242");
        Result group = run("limit", "show", "group:4343");

        assertThat(r.exitCode()).isZero();
        assertThat(list.out()).matches("rw-r--r-- 4242 +4343 +5 +\\d+ k\n");
        assertThat(user.out().lines().skip(1).findFirst().orElseThrow())
                .matches("user:4242 +1 +none +6 +none +0 +none");
        assertThat(group.out().lines().skip(1).findFirst().orElseThrow())
                .matches("group:4343 +1 +none +6 +none +0 +none");
    }

    @Test
    void chown_unknownUser_isAUsageError() {
        run("set", "k", "v");

        Result r = run("chown", "no-such-user-xyz", "k");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("sharedmap chown: no user named 'no-such-user-xyz'\n");
    }

    @Test
    void limit_setShowUnset_roundTripsAndPersistsAcrossRestart() throws Exception {
        Result set = run("limit", "set", "user:4242", "keys=10", "bytes=2K", "conns=3");
        daemon.restart();
        Result shown = run("limit", "show", "user:4242");
        Result unset = run("limit", "unset", "user:4242", "bytes");
        Result after = run("limit", "show", "user:4242");

        assertThat(set.exitCode()).isZero();
        assertThat(shown.out().lines().skip(1).findFirst().orElseThrow()).matches("user:4242 +0 +10 +0 +2K +0 +3");
        assertThat(unset.exitCode()).isZero();
        assertThat(after.out().lines().skip(1).findFirst().orElseThrow()).matches("user:4242 +0 +10 +0 +none +0 +3");
        assertThat(Files.readString(daemon.dir.resolve("limits"))).contains("user:4242 keys=10 bytes=-1 conns=3");
    }

    @Test
    void limit_showAll_listsDefaultAndUsers() {
        run("set", "k", "v");
        run("limit", "set", "default", "keys=100");

        Result r = run("limit", "show");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("default ").contains("user:" + me()).contains("group:");
        assertThat(r.out()
                        .lines()
                        .filter(l -> l.startsWith("default "))
                        .findFirst()
                        .orElseThrow())
                .matches("default +- +100 +- +none +- +none");
    }

    /** The default group's row shows the usage of every user without limits of its own; unlimited prints as such. */
    @Test
    void limit_defaultGroupAndUnlimited_setAndShown() {
        run("limit", "set", "default", "keys=100");
        Result group = run("limit", "set", "default-group", "keys=1000", "bytes=1M");
        Result exempt = run("limit", "set", "user:4242", "keys=unlimited");

        assertThat(group.exitCode()).isZero();
        assertThat(group.out().lines().skip(1).findFirst().orElseThrow())
                .matches("default-group +0 +1000 +0 +1M +0 +none");
        assertThat(exempt.out().lines().skip(1).findFirst().orElseThrow())
                .as("its own keys limit, the default's none for the others")
                .matches("user:4242 +0 +unlimited +0 +none +0 +none");
        assertThat(run("limit", "show", "default-group").exitCode()).isZero();
        assertThat(run("limit", "set", "user:4242", "keys=lots").err()).contains("keys=lots", "unlimited");
    }

    @Test
    void limit_badArguments_areUsageErrors() {
        assertThat(run("limit", "set", "user:4242", "keys=-1").exitCode()).isEqualTo(2);
        assertThat(run("limit", "set", "user:4242", "widgets=3").err()).contains("widgets=3");
        assertThat(run("limit", "set", "user:4242", "bytes=12Q").err()).contains("bytes=12Q");
        assertThat(run("limit", "set", "planet:mars", "keys=1").err()).contains("planet:mars");
        assertThat(run("limit", "unset", "user:4242", "widgets").exitCode()).isEqualTo(2);
    }

    /** Byte sizes print as limit set reads them: with K, M or G when exact. */
    @Test
    void limit_show_printsBytesAsTheyAreSet() {
        run("set", "k", "x".repeat(2047)); // 2048 bytes of key and value
        run("chown", "4242", "k"); // root, who runs the tests, is never limited

        Result r = run("limit", "set", "user:4242", "bytes=64M");
        run("limit", "set", "default", "bytes=1000");

        assertThat(r.out().lines().skip(1).findFirst().orElseThrow()).matches("user:4242 +1 +none +2K +64M +0 +none");
        assertThat(run("limit", "show", "default")
                        .out()
                        .lines()
                        .skip(1)
                        .findFirst()
                        .orElseThrow())
                .matches("default +- +none +- +1000 +- +none");
        assertThat(LimitCommand.sizeString(0)).isEqualTo("0");
        assertThat(LimitCommand.sizeString(1536)).isEqualTo("1536");
        assertThat(LimitCommand.sizeString(3L << 30)).isEqualTo("3G");
        assertThat(LimitCommand.sizeString(1L << 40)).isEqualTo("1024G");
        assertThat(LimitCommand.size("bytes", LimitCommand.sizeString(1L << 40)))
                .isEqualTo(1L << 40);
    }

    /** The handler prefixes the command's name; the messages do not repeat it. */
    @Test
    void limit_errors_haveOnePrefix() {
        assertThat(run("limit", "set", "user:4242", "bytes=1Q").err())
                .isEqualTo(
                        "sharedmap limit set: bytes=1Q is not a number >= 0 or unlimited (optionally with K, M or G)\n");
        assertThat(run("limit", "set", "user:4242", "widgets=3").err())
                .isEqualTo("sharedmap limit set: 'widgets=3' is not keys=N, bytes=SIZE or conns=N\n");
        assertThat(run("limit", "unset", "user:4242", "widgets").err())
                .isEqualTo("sharedmap limit unset: 'widgets' is not keys, bytes or conns\n");
        assertThat(run("limit", "show", "planet:mars").err())
                .isEqualTo(
                        "sharedmap limit show: 'planet:mars' is not user:NAME, group:NAME, default or default-group\n");
        assertThat(Cli.run("limit").err())
                .isEqualTo("sharedmap limit: give show, set or unset (see 'sharedmap limit --help')\n");
    }
}
