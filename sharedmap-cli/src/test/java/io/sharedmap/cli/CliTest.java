package io.sharedmap.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli.Result;
import io.sharedmap.client.SharedMap;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The data commands, in process, against a real in-process daemon. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CliTest extends DaemonCliTest {
    @Test
    void set_newThenExistingKey_printsCreatedThenUpdated() {
        Result first = run("set", "k", "v1");
        Result second = run("set", "k", "v2");

        assertThat(first.exitCode()).isZero();
        assertThat(first.out()).isEqualTo("created\n");
        assertThat(second.exitCode()).isZero();
        assertThat(second.out()).isEqualTo("updated\n");
    }

    @Test
    void get_existingKey_writesExactValueWithoutNewline() {
        run("set", "grüße", "wörld");

        Result r = run("get", "grüße");

        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("wörld".getBytes(UTF_8));
        assertThat(r.err()).isEmpty();
    }

    @Test
    void get_missingKey_exits1WithNotFound() {
        Result r = run("get", "nope");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.err()).isEqualTo("not found: nope\n");
    }

    @Test
    void set_valueFromStdin_isBinarySafe() {
        byte[] value = new byte[70_000];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) (i * 31);
        }

        Result set = Cli.runWithStdin(value, "set", "bin", "-", "--socket", socket);
        Result get = run("get", "bin");

        assertThat(set.exitCode()).isZero();
        assertThat(get.stdout()).isEqualTo(value);
    }

    @Test
    void del_existingMissingAndConflicting_printOutcomeAndExitCode() throws Exception {
        run("set", "a", "1");
        long version;
        try (SharedMap map = SharedMap.connect(daemon.socket)) {
            version = map.get("a").orElseThrow().version();
        }

        Result conflict = run("del", "a", "--if-version", Long.toString(version + 100));
        Result deleted = run("del", "a", "--if-version", Long.toString(version));
        Result missing = run("del", "a");

        assertThat(conflict.exitCode()).isEqualTo(1);
        assertThat(conflict.err()).isEqualTo("conflict: current version " + version + "\n");
        assertThat(deleted.exitCode()).isZero();
        assertThat(deleted.out()).isEqualTo("deleted\n");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("not found: a\n");
    }

    @Test
    void del_ifVersionZero_exits2() {
        Result r = run("del", "a", "--if-version", "0");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--if-version");
    }

    @Test
    void cas_createUpdateConflict_printVersionsAndExitCodes() {
        Result created = run("cas", "c", "0", "one");
        String v1 = created.out().replaceAll("\\D", "");
        Result updated = run("cas", "c", v1, "two");
        Result conflict = run("cas", "c", v1, "three");

        assertThat(created.exitCode()).isZero();
        assertThat(created.out()).matches("created version \\d+\n");
        assertThat(updated.exitCode()).isZero();
        assertThat(updated.out()).matches("updated version \\d+\n");
        String v2 = updated.out().replaceAll("\\D", "");
        assertThat(conflict.exitCode()).isEqualTo(1);
        assertThat(conflict.err()).isEqualTo("conflict: current version " + v2 + "\n");
        assertThat(run("get", "c").out()).isEqualTo("two");
    }

    @Test
    void cas_negativeVersion_exits2() {
        assertThat(run("cas", "c", "-1", "x").exitCode()).isEqualTo(2);
    }

    @Test
    void keys_withPrefixAndLong_listsInOrder() {
        run("set", "user:2", "bb");
        run("set", "user:1", "a");
        run("set", "other", "x");

        Result all = run("keys");
        Result users = run("keys", "user:");
        Result longList = run("keys", "user:", "-l");

        assertThat(all.out()).isEqualTo("other\nuser:1\nuser:2\n");
        assertThat(users.out()).isEqualTo("user:1\nuser:2\n");
        assertThat(longList.exitCode()).isZero();
        assertThat(longList.out().lines().toList())
                .hasSize(2)
                .satisfiesExactly(
                        l -> assertThat(l).matches("rw-r--r-- root +root +1 +\\d+ user:1"),
                        l -> assertThat(l).matches("rw-r--r-- root +root +2 +\\d+ user:2"));
    }

    /** --version names the version the daemon reports in STATS (it said 0.1.0-SNAPSHOT beside 0.1.0). */
    @Test
    void version_isTheDaemonsInStats() {
        Result version = Cli.run("--version");
        String server = run("stats")
                .out()
                .lines()
                .filter(l -> l.startsWith("server "))
                .findFirst()
                .orElseThrow();

        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).startsWith(server.substring("server ".length()) + " (protocol 1)\n");
    }

    @Test
    void stats_plainAndJson_showDaemonNumbers() {
        run("set", "a", "1");
        String pid = Long.toString(ProcessHandle.current().pid());

        Result plain = run("stats");
        Result json = run("stats", "--json");

        assertThat(plain.exitCode()).isZero();
        assertThat(plain.out().lines()).contains("pid " + pid, "keys 1", "socket " + socket);
        assertThat(json.exitCode()).isZero();
        assertThat(json.out())
                .startsWith("{")
                .endsWith("}\n")
                .contains("\"pid\":" + pid, "\"keys\":1", "\"socket\":\"" + socket + "\"");
    }

    @Test
    void status_daemonUp_printsPidSocketDataUptimeKeys() {
        run("set", "a", "1");

        Result r = run("status");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out().lines().toList())
                .satisfiesExactly(
                        l -> assertThat(l)
                                .isEqualTo("pid " + ProcessHandle.current().pid()),
                        l -> assertThat(l).isEqualTo("socket " + socket),
                        l -> assertThat(l).isEqualTo("data " + daemon.dir),
                        l -> assertThat(l).matches("uptime \\d+h\\d\\dm\\d\\ds"),
                        l -> assertThat(l).isEqualTo("keys 1"),
                        l -> assertThat(l)
                                .isEqualTo("view " + socket + ".view (1 keys readable without a system call)"));
        assertThat(run("status", "--json").out()).contains("\"keys\":1", "\"uptime_ms\":", "\"view_keys\":1");
    }

    @Test
    void ping_daemonUp_printsMicros() {
        Result r = run("ping");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).matches("pong \\d+ µs\n");
    }

    @Test
    void commands_noDaemon_exit3NamingSocket() throws Exception {
        Path absent = Files.createTempDirectory(Path.of("/tmp"), "smt").resolve("none.sock");
        try {
            for (String[] args : new String[][] {
                {"status"},
                {"get", "k"},
                {"set", "k", "v"},
                {"keys"},
                {"ping"},
                {"stats"},
                {"del", "k"},
                {"cas", "k", "0", "v"}
            }) {
                String[] withSocket = Stream.concat(Arrays.stream(args), Stream.of("--socket", absent.toString()))
                        .toArray(String[]::new);
                Result r = Cli.run(withSocket);
                assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(3);
                assertThat(r.err())
                        .as(String.join(" ", args))
                        .contains(absent.toString())
                        .contains("start one with: sharedmap start");
            }
        } finally {
            Files.delete(absent.getParent());
        }
    }

    @Test
    void commands_daemonDoesNotAnswer_exit3AfterReplyTimeout() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "smt");
        Path mute = dir.resolve("mute.sock");
        // bound and listening, never accepting: what a daemon stopped with SIGSTOP looks like
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(mute));
            for (String[] args : new String[][] {{"get", "k"}, {"status"}, {"stop"}}) {
                String[] withSocket = Stream.concat(
                                Arrays.stream(args),
                                Stream.of("--socket", mute.toString(), "--reply-timeout-ms", "200"))
                        .toArray(String[]::new);
                long start = System.nanoTime();
                Result r = Cli.run(withSocket);
                assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(3);
                assertThat(r.err())
                        .as(String.join(" ", args))
                        .contains(mute.toString(), "within 200 ms", "not answering");
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                        .isBetween(200L, 10_000L);
            }
        } finally {
            Files.deleteIfExists(mute);
            Files.delete(dir);
        }
    }

    @Test
    void stop_noDaemon_exits3SayingThereIsNothingToStop() throws Exception {
        Path absent = Files.createTempDirectory(Path.of("/tmp"), "smt").resolve("none.sock");
        try {
            Result r = Cli.run("stop", "--socket", absent.toString());

            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.err())
                    .startsWith("sharedmap stop: nothing to stop: no sharedmap daemon answers on " + absent + " (")
                    .doesNotContain("start one");
        } finally {
            Files.delete(absent.getParent());
        }
    }

    @Test
    void get_negativeReplyTimeout_exits2() {
        Result r = run("get", "k", "--reply-timeout-ms", "-1");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--reply-timeout-ms: -1 is outside 0..86400000 (0: wait forever)");
    }

    @Test
    void get_zeroReplyTimeout_waitsAsLongAsItTakes() {
        run("set", "k", "v");

        Result r = run("get", "k", "--reply-timeout-ms", "0");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("v");
    }

    @Test
    void set_keyTooLong_exits4WithTheLimit() {
        Result r = run("set", "k".repeat(1025), "v");

        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.err()).contains("1024 bytes");
    }

    @Test
    void set_valueOverDaemonLimit_exits4WithTheLimit() throws Exception {
        daemon.restart(c -> c.withMaxValueBytes(3));

        Result r = run("set", "k", "four");

        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.err()).contains("limit of 3 bytes");
    }

    @Test
    void stop_daemonInThisProcess_exits6() {
        Result r = run("stop");

        assertThat(r.exitCode()).isEqualTo(6);
        assertThat(r.err()).contains("inside this process");
    }

    @Test
    void server_dataDirInUse_exits6WithTheReason() {
        Path otherSocket = daemon.root.resolve("other.sock");

        Result r = Cli.run("server", "--dir", daemon.dir.toString(), "--socket", otherSocket.toString());

        assertThat(r.exitCode()).isEqualTo(6);
        assertThat(r.err()).contains(daemon.dir.toString());
        assertThat(r.out()).isEmpty();
    }
}
