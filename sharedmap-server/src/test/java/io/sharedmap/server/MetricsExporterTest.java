package io.sharedmap.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.testing.TestDaemon;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The daemon's metrics in Prometheus's text format, on a loopback HTTP port and in a node_exporter textfile. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsExporterTest {
    private static String get(int port, String method) throws IOException {
        HttpURLConnection c = (HttpURLConnection)
                URI.create("http://127.0.0.1:" + port + "/metrics").toURL().openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        try {
            if (c.getResponseCode() != 200) {
                return "HTTP " + c.getResponseCode();
            }
            assertThat(c.getContentType()).startsWith("text/plain; version=0.0.4");
            try (InputStream in = c.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } finally {
            c.disconnect();
        }
    }

    private static double value(String text, String series) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertThat(m.find()).as("%s in:\n%s", series, text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void httpAndTextfile_countersGaugesAndTheRespHistogram() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "smt");
        try {
            SharedMapServer s = SharedMapServer.start(
                    ServerConfig.defaults(root.resolve("data"), root.resolve("s.sock")),
                    SecurityConfig.DEFAULTS,
                    StoreConfig.DEFAULTS.withDir(root.resolve("store")),
                    RespConfig.DEFAULTS);
            Path textfile = root.resolve("sharedmap.prom");
            try (MetricsExporter m = MetricsExporter.start(s, new MetricsConfig(0, textfile))) {
                try (RespClient c = new RespClient(root.resolve("s.sock.resp"))) {
                    assertThat(c.call("SET", "a", "1")).isEqualTo("+OK\r\n");
                    assertThat(c.call("SET", "b", "2")).isEqualTo("+OK\r\n");
                    assertThat(c.call("SET", "c", "3")).isEqualTo("+OK\r\n");
                    assertThat(c.call("GET", "a")).isEqualTo("$1\r\n1\r\n");
                    assertThat(c.call("HSET", "h", "f", "v")).startsWith("-ERR unknown command");
                }
                String text = get(m.port(), "GET");
                assertThat(text).contains("# TYPE sharedmap_resp_commands_total counter");
                assertThat(value(text, "sharedmap_resp_commands_total")).isEqualTo(5);
                assertThat(value(text, "sharedmap_keys")).isEqualTo(3);
                assertThat(text).contains("# TYPE sharedmap_keys gauge");
                assertThat(value(text, "sharedmap_connections_total")).isEqualTo(1);
                assertThat(value(text, "sharedmap_journal_failed")).isZero();
                assertThat(text)
                        .contains("sharedmap_info{durability=\"interval\",version=\"" + SharedMapServer.VERSION
                                + "\"} 1");
                assertThat(text).contains("# TYPE sharedmap_resp_command_seconds histogram");
                assertThat(value(text, "sharedmap_resp_command_seconds_count{command=\"set\"}"))
                        .isEqualTo(3);
                assertThat(value(text, "sharedmap_resp_command_seconds_count{command=\"get\"}"))
                        .isEqualTo(1);
                assertThat(text)
                        .as("an unknown command is refused before it runs: not timed")
                        .doesNotContain("command=\"hset\"")
                        .doesNotContain("command=\"other\"");
                assertThat(value(text, "sharedmap_resp_command_seconds_bucket{command=\"set\",le=\"+Inf\"}"))
                        .isEqualTo(3);
                assertThat(text)
                        .as("no key or value is exported")
                        .doesNotContain("\"a\"")
                        .doesNotContain("hset");
                assertThat(get(m.port(), "POST")).isEqualTo("HTTP 405");

                // the textfile: written at start, a complete exposition
                String file = Files.readString(textfile);
                assertThat(file).contains("# TYPE sharedmap_keys gauge", "sharedmap_resp_command_seconds_bucket");
                assertThat(root.resolve(".sharedmap.prom.tmp")).doesNotExist();
                // a textfile that cannot be written: the start fails naming it, nothing left serving
                Path nowhere = root.resolve("no-such-dir").resolve("x.prom");
                assertThatThrownBy(() -> MetricsExporter.start(s, new MetricsConfig(0, nowhere)))
                        .isInstanceOf(ServerStartException.class)
                        .hasMessageContaining("--metrics-textfile: cannot write " + nowhere);
                // a port already taken: likewise
                int taken = m.port();
                assertThatThrownBy(() -> MetricsExporter.start(s, new MetricsConfig(taken, null)))
                        .isInstanceOf(ServerStartException.class)
                        .hasMessageContaining("--metrics-port: cannot listen on 127.0.0.1:" + taken);
            } finally {
                s.stop();
            }
            assertThatThrownBy(() -> new MetricsConfig(0, root.resolve("metrics.txt")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ending in .prom");
        } finally {
            TestDaemon.deleteTree(root);
        }
    }
}
