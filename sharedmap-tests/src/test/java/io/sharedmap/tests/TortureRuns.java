package io.sharedmap.tests;

import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.JavaCommand;
import io.sharedmap.tests.support.SystemTestEnv;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sharedmap torture --url ...} as a child process (the CLI's main on the test class path,
 * which holds the torture tool and both remote backends), and what its output says.
 */
final class TortureRuns {
    /** The coordinator's status line, every 10 s: {@code "   10 s: 4,619 operations, 0 kills, 0 failures"}. */
    private static final Pattern STATUS = Pattern.compile("^\\s*(\\d+) s: ([\\d,]+) operations.*");

    private TortureRuns() {}

    /** Starts a torture run of {@code url} with {@code options}; its stdout is in the test's log directory. */
    static ChildProcess start(SystemTestEnv env, String name, String url, String... options) {
        List<String> jvm = new ArrayList<>(SystemTestEnv.CLIENT_JVM_ARGS);
        jvm.add("--sun-misc-unsafe-memory-access=allow"); // Netty, under jetcd and Lettuce
        List<String> args = new ArrayList<>(List.of("torture", "--url", url));
        args.addAll(List.of(options));
        return env.startCommand(name, JavaCommand.command(false, jvm, "io.sharedmap.cli.Main", args));
    }

    /** Waits for the status line of second {@code seconds} (or later) and returns its operation count. */
    static long awaitStatus(ChildProcess torture, int seconds, Duration timeout) {
        String line = torture.awaitLine(
                l -> {
                    Matcher m = STATUS.matcher(l);
                    return m.matches() && Integer.parseInt(m.group(1)) >= seconds;
                },
                timeout);
        Matcher m = STATUS.matcher(line);
        if (!m.matches()) {
            throw new AssertionError("not a status line: " + line);
        }
        return Long.parseLong(m.group(2).replace(",", ""));
    }

    /** The verdict line of a check, e.g. {@code "(c) linearizability"}: the first line starting with it. */
    static String verdict(ChildProcess torture, String check) {
        return torture.lines().stream()
                .filter(l -> l.startsWith(check))
                .findFirst()
                .orElseThrow(() -> new AssertionError(
                        "no '" + check + "' line in the torture output:\n" + String.join("\n", torture.lines())));
    }
}
