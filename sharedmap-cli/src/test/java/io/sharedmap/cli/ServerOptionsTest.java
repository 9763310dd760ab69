package io.sharedmap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.MetricsConfig;
import io.sharedmap.server.RespConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The RESP TCP and metrics options: parsed, validated, and given back as arguments for {@code sharedmap start}. */
class ServerOptionsTest {
    private static ServerOptions parse(String... args) {
        ServerCommand c = new ServerCommand();
        new CommandLine(c).parseArgs(args);
        return c.options;
    }

    @Test
    void respTcpAndMetrics_parsed_andGivenBackAsTheSameArguments() {
        ServerOptions o = parse(
                "--resp-port",
                "6380",
                "--resp-tcp-user",
                "nobody",
                "--metrics-port",
                "0",
                "--metrics-textfile",
                "/tmp/x/sharedmap.prom");
        assertThat(o.toResp()).isEqualTo(new RespConfig(true, null, 6380, "nobody"));
        assertThat(o.toMetrics()).isEqualTo(new MetricsConfig(0, Path.of("/tmp/x/sharedmap.prom")));

        List<String> args = new ArrayList<>(ServerOptions.toArgs(o.toResp()));
        args.addAll(ServerOptions.toArgs(o.toMetrics()));
        ServerOptions again = parse(args.toArray(String[]::new));
        assertThat(again.toResp()).isEqualTo(o.toResp());
        assertThat(again.toMetrics()).isEqualTo(o.toMetrics());

        ServerOptions none = parse();
        assertThat(none.toResp()).isEqualTo(RespConfig.DEFAULTS);
        assertThat(none.toMetrics()).isEqualTo(MetricsConfig.NONE);
        assertThat(ServerOptions.toArgs(none.toMetrics())).isEmpty();
    }

    @Test
    void badValues_usageErrorsNamingTheOption() {
        assertThatThrownBy(() -> parse("--resp-tcp-user", "nobody").toResp())
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--resp-tcp-user needs --resp-port");
        assertThatThrownBy(() -> parse("--resp-port", "70000").toResp())
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--resp-port 70000");
        assertThatThrownBy(() -> parse("--no-resp", "--resp-port", "1").toResp())
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--no-resp");
        assertThatThrownBy(() -> parse("--metrics-textfile", "/tmp/metrics.txt").toMetrics())
                .isInstanceOf(CliException.class)
                .hasMessageContaining(".prom");
        assertThatThrownBy(() -> parse("--metrics-port", "-5").toMetrics())
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--metrics-port -5");
    }

    @Test
    void ioThreads_oneInAlwaysMode_onePerCpuOtherwise_unlessGiven() {
        int cpus = Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 256);
        String[] paths = {"--dir", "/tmp/sm-options-test", "--socket", "/tmp/sm-options-test.sock"};
        assertThat(parseWith(paths, "--durability", "always").toConfig().ioThreadsToRun())
                .isEqualTo(1);
        assertThat(parseWith(paths, "--durability", "interval").toConfig().ioThreadsToRun())
                .isEqualTo(cpus);
        assertThat(parseWith(paths, "--durability", "never").toConfig().ioThreadsToRun())
                .isEqualTo(cpus);
        assertThat(parseWith(paths, "--durability", "always", "--io-threads", "3")
                        .toConfig()
                        .ioThreadsToRun())
                .isEqualTo(3);
        assertThatThrownBy(() -> parseWith(paths, "--io-threads", "257").toConfig())
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--io-threads: 257 is outside the allowed range 0..256");
    }

    @Test
    void gatherUs_defaultsTo200_isForwardedToTheDaemon_andRangeChecked() {
        String[] paths = {"--dir", "/tmp/sm-options-test", "--socket", "/tmp/sm-options-test.sock"};
        assertThat(parseWith(paths).toConfig().gatherUs()).isEqualTo(200);
        ServerOptions zero = parseWith(paths, "--durability", "always", "--gather-us", "0");
        assertThat(zero.toConfig().gatherUs()).isZero();
        assertThat(ServerOptions.toArgs(zero.toConfig())).containsSequence("--gather-us", "0");
        assertThatThrownBy(() -> parseWith(paths, "--gather-us", "10001").toConfig())
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--gather-us: 10001 is outside the allowed range 0..10000");
    }

    private static ServerOptions parseWith(String[] first, String... more) {
        List<String> args = new ArrayList<>(List.of(first));
        args.addAll(List.of(more));
        return parse(args.toArray(String[]::new));
    }
}
