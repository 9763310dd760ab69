package io.sharedmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli.Result;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Usage, help and parameter validation, which need no daemon; and the small formatting helpers. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CommandLineTest {

    @Test
    void noArguments_exits2WithUsage() {
        Result r = Cli.run();

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: sharedmap");
    }

    @Test
    void unknownCommandOrMissingParameter_exits2() {
        assertThat(Cli.run("frobnicate").exitCode()).isEqualTo(2);
        assertThat(Cli.run("get").exitCode()).isEqualTo(2);
        assertThat(Cli.run("cas", "k", "notanumber", "v").exitCode()).isEqualTo(2);
    }

    /** A usage error is the error and where help is, not the whole usage (~80 lines) with the error on top. */
    @Test
    void usageErrors_printTheErrorAndWhereHelpIs_notTheUsage() {
        String[][] cases = {
            {"sharedmap start", "Unknown option", "start", "--data", "x"},
            {"sharedmap server", "always, interval, never", "server", "--durability", "sometimes"},
            {"sharedmap start", "'999' is not an octal mode", "start", "--socket-mode", "999"},
            {"sharedmap chmod", "'999' is not an octal mode", "chmod", "999", "k"},
            {"sharedmap get", "Missing required parameter: 'KEY'", "get"},
            {"sharedmap limit set", "Missing required parameters", "limit", "set"},
            {"sharedmap del", "--if-version: 0 is not a version", "del", "k", "--if-version", "0"}
        };
        for (String[] c : cases) {
            String[] args = Arrays.copyOfRange(c, 2, c.length);

            Result r = Cli.run(args);

            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().lines().toList()).as(String.join(" ", args)).hasSize(2);
            assertThat(r.err())
                    .as(String.join(" ", args))
                    .startsWith(c[0] + ": ")
                    .contains(c[1])
                    .endsWith("see '" + c[0] + " --help'\n")
                    .doesNotContain("Usage:");
        }
    }

    @Test
    void unknownCommand_suggestsNearOnes() {
        Result r = Cli.run("stat");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .contains("'stat'", "Did you mean", "sharedmap stats")
                .endsWith("see 'sharedmap --help'\n")
                .doesNotContain("Usage:");
    }

    @Test
    void help_listsEveryCommandAndExitCode() {
        Result r = Cli.run("--help");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out())
                .contains(
                        "server",
                        "start",
                        "stop",
                        "status",
                        "set",
                        "get",
                        "del",
                        "cas",
                        "keys",
                        "stats",
                        "ping",
                        "Exit codes:",
                        "3  no daemon answers",
                        "6  start or stop failed");
    }

    /** get and set print no version: the help names the commands that do. */
    @Test
    void delHelp_ifVersion_namesWhereVersionsAreShown() {
        Result r = Cli.run("del", "--help");

        assertThat(r.out().replaceAll("\\s+", " "))
                .contains("the VERSION column of 'keys -l'", "cas printed")
                .doesNotContain("get/set");
    }

    @Test
    void serverHelp_showsDefaultsAndRanges() {
        Result r = Cli.run("server", "--help");

        assertThat(r.out())
                .contains(
                        "--durability",
                        "(default: interval)",
                        "1..60000",
                        "0..268435456",
                        "1..65536",
                        "0..600000",
                        "--snapshot-min-journal-bytes",
                        "--drain-timeout-ms",
                        "SHAREDMAP_DIR",
                        "--[no-]resp",
                        "--resp-socket",
                        "--resp-port",
                        "--resp-tcp-user");
    }

    @Test
    void server_parameterOutOfRange_exits2BeforeTouchingTheDirectory(@TempDir Path tmp) {
        Path dir = tmp.resolve("data");

        Result r = Cli.run(
                "server",
                "--dir",
                dir.toString(),
                "--socket",
                tmp.resolve("s.sock").toString(),
                "--fsync-interval-ms",
                "0");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--fsync-interval-ms", "1..60000");
        assertThat(Files.exists(dir)).isFalse();
    }

    @Test
    void server_unknownDurability_exits2() {
        Result r = Cli.run("server", "--durability", "sometimes");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("always, interval, never");
    }

    @Test
    void server_socketPathTooLong_exits2(@TempDir Path tmp) {
        Result r = Cli.run("server", "--dir", tmp.toString(), "--socket", "/tmp/" + "s".repeat(120));

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("107 bytes");
    }

    @Test
    void start_parameterOutOfRange_exits2(@TempDir Path tmp) {
        Result r = Cli.run(
                "start",
                "--dir",
                tmp.toString(),
                "--socket",
                tmp.resolve("s.sock").toString(),
                "--max-connections",
                "0");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--max-connections");
    }

    @Test
    void start_dataDirectoryCannotBeCreated_exits6WithTheReasonAndWhatToDo(@TempDir Path tmp) throws Exception {
        Path file = Files.createFile(tmp.resolve("file"));

        Result r = Cli.run(
                "start",
                "--dir",
                file.resolve("data").toString(),
                "--socket",
                tmp.resolve("s.sock").toString());

        assertThat(r.exitCode()).isEqualTo(6);
        assertThat(r.err())
                .isEqualTo("sharedmap start: cannot create data directory " + file.resolve("data") + ": " + file
                        + ": exists and is not a directory; use --dir or SHAREDMAP_DIR\n");
    }

    /** A user without a home directory: createDirectories fails on /home/NAME with a message that is only the path. */
    @Test
    void reason_accessDenied_saysPermissionDenied() {
        assertThat(StartCommand.reason(new AccessDeniedException("/home/nc_alice")))
                .isEqualTo("/home/nc_alice: permission denied");
        assertThat(StartCommand.reason(new FileSystemException("/x", null, "Read-only file system")))
                .isEqualTo("/x: Read-only file system");
    }

    @Test
    void object_numbersAndStrings_formatsJson() {
        String json = Json.object(new LinkedHashMap<>(Map.of("a", "12")));
        assertThat(json).isEqualTo("{\"a\":12}");
        assertThat(Json.isLong("-5")).isTrue();
        assertThat(Json.isLong("007")).isFalse();
        assertThat(Json.isLong("99999999999999999999")).isFalse();
        assertThat(Json.isLong("")).isFalse();
        assertThat(Json.quote("a\"b\\c\nd\u0001")).isEqualTo("\"a\\\"b\\\\c\\nd\\u0001\"");
    }

    @Test
    void duration_millis_formatsHoursMinutesSeconds() {
        assertThat(Stats.duration(0)).isEqualTo("0h00m00s");
        assertThat(Stats.duration(3_723_999)).isEqualTo("1h02m03s");
        assertThat(Stats.duration(100L * 3600 * 1000)).isEqualTo("100h00m00s");
    }
}
