package io.sharedmap.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DaemonSpecTest {
    private static final Path HERE = Path.of("").toAbsolutePath();

    @Test
    void ownHeapMaximum_leavesOutTheDefaultHeapSizes_soTheJvmStarts() {
        assertThat(DaemonLauncher.JVM_OPTIONS).contains("-Xms72m", "-Xmn64m"); // what the file says today
        DaemonSpec spec = DaemonSpec.of(Path.of("d"), Path.of("s")).withJvmOptions(List.of("-Xmx64m"));

        List<String> command = DaemonLauncher.command(spec);

        assertThat(command).contains("-Xmx64m", "-XX:+UseSerialGC").doesNotContain("-Xms72m", "-Xmn64m");
        assertThat(DaemonLauncher.command(DaemonSpec.of(Path.of("d"), Path.of("s"))))
                .contains("-Xms72m", "-Xmn64m");
    }

    @Test
    void relativePaths_becomeAbsolute_becauseTheDaemonRunsInItsDataDirectory() {
        DaemonSpec spec = new DaemonSpec(
                Path.of("data"),
                Path.of("run/s.sock"),
                List.of(),
                List.of(),
                0,
                "server",
                null,
                false,
                String.join(File.pathSeparator, "target/classes", "lib/*", "/opt/x.jar"));

        assertThat(spec.dataDir()).isEqualTo(HERE.resolve("data"));
        assertThat(spec.socket()).isEqualTo(HERE.resolve("run/s.sock"));
        assertThat(spec.classPath().split(File.pathSeparator))
                .containsExactly(HERE.resolve("target/classes").toString(), HERE + "/lib/*", "/opt/x.jar");
        List<String> command = DaemonLauncher.command(spec);
        assertThat(command.get(command.indexOf("-cp") + 1)).isEqualTo(spec.classPath());
        assertThat(command.get(command.indexOf("--dir") + 1))
                .isEqualTo(HERE.resolve("data").toString());
    }
}
