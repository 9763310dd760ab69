package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.support.Tool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis's own tests of its string commands, run against sharedmap: the Redis 7.0.15 TCL suite's
 * {@code unit/type/string}, {@code unit/type/incr} and {@code unit/keyspace}, and {@code unit/multi}
 * (transactions), {@code unit/protocol}, {@code unit/info-command} and {@code unit/quit}, fetched from Debian's
 * source package at test time ({@code .ci/fetch-redis-tests}; never committed), run by its {@code
 * runtest} (tclsh) against a daemon this test starts, through the RESP loopback TCP port ({@code
 * --resp-port 0 --resp-tcp-user} the test's own user: the suite speaks only TCP).
 *
 * <p>The tests that cannot apply are skipped by the suite's own mechanisms, each for a reason
 * written beside it: {@code redis-tcl-skipped.tsv} ({@code --skiptest}), the tags needs:debug,
 * needs:repl and needs:config-maxmemory ({@code --tags}), and {@code --singledb}. Everything else must pass: no failure, no
 * exception, at least {@link #MIN_PASSED} passed (the count docs/PROTOCOL.md publishes), and every
 * line of the skip list must skip something (a list that skips nothing is stale).
 *
 * <p>Bounded: one runtest client (the units share the one keyspace and each starts with FLUSHALL),
 * runtest's own per-test timeout of 120 s, and the whole run killed after {@link #SUITE_TIMEOUT}.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class RedisTclSuiteTest {
    /** Tests of the units that pass on 2026-12-07 (docs/PROTOCOL.md, "Redis's test suite"). */
    static final int MIN_PASSED = 132;

    private static final Duration SUITE_TIMEOUT = Duration.ofSeconds(420);
    private static final List<String> UNITS = List.of(
            "unit/type/string",
            "unit/type/incr",
            "unit/keyspace",
            "unit/multi",
            "unit/protocol",
            "unit/info-command",
            "unit/quit");
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final Pattern RESULT =
            Pattern.compile("^\\[(ok|err|exception|skip|ignore)]: (.*?)(?: \\(\\d+ ms\\))?$");

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    /** The skip list: test name or /regex -> why. */
    private static Map<String, String> skipList() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        try (InputStream in = Objects.requireNonNull(
                RedisTclSuiteTest.class.getResourceAsStream("redis-tcl-skipped.tsv"), "redis-tcl-skipped.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", 2);
                assertThat(f)
                        .as("skip list line '%s': name, a tab, the reason", line)
                        .hasSize(2);
                assertThat(f[1]).as("the reason of '%s'", f[0]).isNotBlank();
                m.put(f[0], f[1]);
            }
        }
        return m;
    }

    @Test
    void redisSuite_stringIncrAndKeyspace_passEverythingThatApplies() throws IOException {
        String tclsh = Tool.require("tclsh", "tcl");
        Tool.require("dpkg-source", "dpkg-dev");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Tool.Run fetched = Tool.run(
                List.of(
                        repo.resolve(".ci/fetch-redis-tests").toString(),
                        Path.of("target", "redis-tcl").toAbsolutePath().toString()),
                new byte[0],
                env.scratch(),
                Duration.ofSeconds(300));
        assertThat(fetched.exit())
                .as("fetching Debian's redis source: %s", fetched)
                .isZero();
        Path src = Path.of(fetched.out().strip());
        assertThat(src.resolve("tests/unit/type/string.tcl")).exists();

        String user = System.getProperty("user.name");
        DaemonProcess d = env.startDaemon(env.daemonSpec()
                .withServerArgs("--resp-port", "0", "--resp-tcp-user", user, "--max-value-bytes", "8388608"));
        Path resp = d.socket().resolveSibling(d.socket().getFileName() + ".resp");
        Tool.Run info = Tool.run(
                List.of(Tool.require("redis-cli", "redis-tools"), "-s", resp.toString(), "INFO", "server"),
                new byte[0],
                env.scratch(),
                Duration.ofSeconds(60));
        Matcher port = Pattern.compile("tcp_port:(\\d+)").matcher(info.out());
        assertThat(port.find()).as("INFO server names the TCP port: %s", info).isTrue();

        Map<String, String> skips = skipList();
        List<String> cmd = new ArrayList<>(List.of(
                "timeout",
                "-k",
                "10",
                Long.toString(SUITE_TIMEOUT.toSeconds()),
                tclsh,
                "tests/test_helper.tcl",
                "--host",
                "127.0.0.1",
                "--port",
                port.group(1),
                "--singledb",
                "--clients",
                "1",
                "--timeout",
                "120",
                "--tags",
                "-needs:debug -needs:repl -needs:config-maxmemory"));
        for (String u : UNITS) {
            cmd.addAll(List.of("--single", u));
        }
        for (String s : skips.keySet()) {
            cmd.addAll(List.of("--skiptest", s));
        }
        Tool.Run run = Tool.run(cmd, new byte[0], src, SUITE_TIMEOUT.plusSeconds(30));
        String out = ANSI.matcher(run.out()).replaceAll("");

        Map<String, List<String>> results = new LinkedHashMap<>();
        for (String line : out.lines().toList()) {
            Matcher m = RESULT.matcher(line.strip());
            if (m.matches()) {
                results.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(m.group(2));
            }
        }
        List<String> passed = results.getOrDefault("ok", List.of());
        List<String> skipped = results.getOrDefault("skip", List.of());
        System.out.printf(
                "Redis 7.0.15 TCL suite (%s) against sharedmap: %d passed, %d skipped, %d ignored by tag, %d failed,"
                        + " %d exceptions%n",
                String.join(", ", UNITS),
                passed.size(),
                skipped.size(),
                results.getOrDefault("ignore", List.of()).size(),
                results.getOrDefault("err", List.of()).size(),
                results.getOrDefault("exception", List.of()).size());

        assertThat(results.getOrDefault("err", List.of()))
                .as("failed tests; the run:\n%s", out)
                .isEmpty();
        assertThat(results.getOrDefault("exception", List.of()))
                .as("exceptions; the run:\n%s", out)
                .isEmpty();
        assertThat(out).as("runtest's verdict (exit %d)", run.exit()).contains("All tests passed without errors");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(passed).as("tests passed").hasSizeGreaterThanOrEqualTo(MIN_PASSED);
        for (String s : skips.keySet()) {
            Pattern p = s.startsWith("/") ? Pattern.compile(s.substring(1)) : Pattern.compile(Pattern.quote(s));
            assertThat(skipped)
                    .as("the skip list's '%s' (%s) skips a test of the suite", s, skips.get(s))
                    .anyMatch(name -> s.startsWith("/") ? p.matcher(name).find() : name.equals(s));
        }
        assertThat(passed).as("no skipped test also passed").doesNotContainAnyElementsOf(skipped);
    }
}
