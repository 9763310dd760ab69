package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.Entry;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.JavaCommand;
import io.sharedmap.tests.support.SystemTestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's example is real: the same lines, run as a separate program against a real daemon. */
class ReadmeExampleTest {
    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private static List<String> between(List<String> lines, String begin, String end) {
        int from = -1;
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            if (from < 0 && line.trim().equals(begin)) {
                from = 0;
            } else if (from >= 0 && line.trim().equals(end)) {
                return out;
            } else if (from >= 0) {
                out.add(line);
            }
        }
        throw new AssertionError("no block between '" + begin + "' and '" + end + "'");
    }

    private static List<String> dedent(List<String> lines) {
        int indent = lines.stream()
                .filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length())
                .min()
                .orElse(0);
        return lines.stream()
                .map(l -> l.isBlank() ? "" : l.substring(indent).stripTrailing())
                .toList();
    }

    @Test
    void readme_javaExample_isTheExampleProgram() throws IOException {
        List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
        List<String> program = Files.readAllLines(Path.of("src/test/java/io/sharedmap/tests/ReadmeExample.java"));
        assertThat(dedent(between(readme, "```java", "```")))
                .isEqualTo(dedent(between(program, "// README:begin", "// README:end")));
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void readmeExample_runAsItsOwnProcess_leavesHiForEveryProcess() throws Exception {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        ProcessBuilder pb = new ProcessBuilder(
                JavaCommand.command(false, SystemTestEnv.CLIENT_JVM_ARGS, ReadmeExample.class.getName(), List.of()));
        pb.environment().put("SHAREDMAP_SOCKET", daemon.socket().toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(env.logDir().resolve("readme-example.log").toFile());
        Process p = pb.start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS))
                    .as("the example finished")
                    .isTrue();
            assertThat(p.exitValue())
                    .as("exit code; output in %s", env.logDir())
                    .isZero();
        } finally {
            p.destroyForcibly();
        }
        try (SharedMap map = SharedMap.connect(daemon.socket())) {
            Entry e = map.get("greeting").orElseThrow();
            assertThat(e.valueAsString()).isEqualTo("hi");
        }
    }
}
