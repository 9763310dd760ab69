package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli;
import io.sharedmap.cli.Cli.Result;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sharedmap} with the bench and torture jars on the class path, as {@code bin/sharedmap}
 * runs it: their subcommands are there (found with ServiceLoader), and without their optional
 * dependencies (Chronicle Map) as the launcher ships them.
 */
class ContributedCommandsTest {
    @Test
    void help_withBenchAndTortureOnTheClassPath_listsThem() {
        Result r = Cli.run("--help");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("bench", "torture", "Exit codes:");
    }

    /** bin/sharedmap does not ship Chronicle Map: the target is refused before any server starts. */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void bench_chronicleNotOnClassPath_exits2AtOnceWithTheCommandThatWorks(@TempDir Path tmp) {
        Path out = tmp.resolve("out");

        Result r = Cli.run(
                "bench",
                "--workload",
                "uniform",
                "--mix",
                "read",
                "--target",
                "direct",
                "--target",
                "chronicle",
                "--out",
                out.toString(),
                "--work-dir",
                tmp.resolve("work").toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .contains(
                        "--target chronicle needs net.openhft:chronicle-map on the class path",
                        "io.sharedmap.cli.Main bench --workload uniform --mix read --target direct --target chronicle --out "
                                + out);
        assertThat(out).doesNotExist();
        assertThat(tmp.resolve("work")).doesNotExist();
    }
}
