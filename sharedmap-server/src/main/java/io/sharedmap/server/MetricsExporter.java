package io.sharedmap.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The daemon's counters, gauges and histograms in Prometheus's text exposition format, written by
 * the Prometheus Java client's {@link PrometheusTextFormatWriter} from its metric model (no
 * hand-written formatting): served on {@code http://127.0.0.1:PORT/metrics} ({@code
 * --metrics-port}), and/or written to a node_exporter textfile ({@code --metrics-textfile}, replaced
 * atomically every {@value MetricsConfig#TEXTFILE_INTERVAL_MS} ms and at start).
 *
 * <p>What is exported: every numeric STATS value (docs/OPERATIONS.md, "STATS counters") as {@code
 * sharedmap_<name>}, a counter where the value only grows (named {@code _total} in the output) and a
 * gauge otherwise ({@code connections}: {@code sharedmap_connections_open}), booleans as 0/1 gauges, {@code sharedmap_info} with the version
 * and durability as labels, and the histogram of RESP command execution times ({@code
 * sharedmap_resp_command_seconds}, by command). Nothing names a key or a value.
 *
 * <p>Threads: the HTTP server's one thread, and one scheduler thread for the textfile; each scrape
 * reads the daemon's lock-free counters.
 */
public final class MetricsExporter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MetricsExporter.class.getName());

    /** STATS values that only grow while the daemon runs: Prometheus counters. */
    private static final Set<String> COUNTERS = Set.of(
            "connections_total",
            "connections_rejected",
            "connections_stalled_closed",
            "resp_connections_total",
            "resp_commands",
            "resp_transaction_conflicts",
            "errors_client",
            "errors_server",
            "journal_commits",
            "journal_fsyncs",
            "journal_bytes_written",
            "store_index_rebuilds",
            "store_compacted_bytes",
            "snapshots",
            "snapshot_failures");

    /** STATS values that are settings or facts of the start, not measurements (the info metric, or left out). */
    private static final Set<String> NOT_METRICS =
            Set.of("server", "pid", "durability", "recovery_drop_reason", "io_thread_connections");

    private final SharedMapServer server;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final @Nullable HttpServer http;
    private final @Nullable ExecutorService httpThread;
    private final @Nullable ScheduledExecutorService textfileWriter;

    private MetricsExporter(
            SharedMapServer server,
            @Nullable HttpServer http,
            @Nullable ExecutorService httpThread,
            @Nullable ScheduledExecutorService textfileWriter) {
        this.server = server;
        this.http = http;
        this.httpThread = httpThread;
        this.textfileWriter = textfileWriter;
    }

    /**
     * Starts publishing {@code server}'s metrics as {@code config} says (nothing when it names
     * neither a port nor a file).
     *
     * @throws ServerStartException if the port cannot be bound or the textfile cannot be written
     */
    public static MetricsExporter start(SharedMapServer server, MetricsConfig config) throws ServerStartException {
        HttpServer http = null;
        if (config.port() != -1) {
            try {
                http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), config.port()), 16);
            } catch (IOException e) {
                throw new ServerStartException(
                        "--metrics-port: cannot listen on 127.0.0.1:" + config.port() + ": " + e.getMessage(), e);
            }
        }
        ScheduledExecutorService scheduler = config.textfile() == null
                ? null
                : Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                        .name("sharedmap-metrics-textfile")
                        .daemon(true)
                        .factory());
        ExecutorService httpThread = http == null
                ? null
                : Executors.newSingleThreadExecutor(Thread.ofPlatform()
                        .name("sharedmap-metrics-http")
                        .daemon(true)
                        .factory());
        MetricsExporter m = new MetricsExporter(server, http, httpThread, scheduler);
        Path textfile = config.textfile();
        if (textfile != null && scheduler != null) {
            try {
                m.writeTextfile(textfile);
            } catch (IOException e) {
                m.close();
                throw new ServerStartException(
                        "--metrics-textfile: cannot write " + textfile + ": " + e.getMessage(), e);
            }
            scheduler.scheduleWithFixedDelay(
                    () -> {
                        try {
                            m.writeTextfile(textfile);
                        } catch (IOException | RuntimeException e) {
                            LOG.log(System.Logger.Level.WARNING, "writing the metrics textfile " + textfile + ": " + e);
                        }
                    },
                    MetricsConfig.TEXTFILE_INTERVAL_MS,
                    MetricsConfig.TEXTFILE_INTERVAL_MS,
                    TimeUnit.MILLISECONDS);
        }
        if (http != null) {
            http.createContext("/metrics", m::serve);
            http.setExecutor(httpThread);
            http.start();
            LOG.log(
                    System.Logger.Level.INFO,
                    "metrics on http://127.0.0.1:" + http.getAddress().getPort() + "/metrics");
        }
        return m;
    }

    /** The HTTP port serving {@code /metrics}, or -1. */
    public int port() {
        return http == null ? -1 : http.getAddress().getPort();
    }

    /** The daemon's metrics now, in the text format. */
    public byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        writer.write(out, snapshots());
        return out.toByteArray();
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")
                    && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = scrape();
            exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(body);
                }
            }
        }
    }

    /** Writes the file beside itself, then renames it over the old one: node_exporter never reads half. */
    private void writeTextfile(Path file) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(tmp, scrape());
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private MetricSnapshots snapshots() {
        Map<String, String> stats = server.statsSnapshot();
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(InfoSnapshot.builder()
                .name("sharedmap")
                .help("The daemon's version and durability")
                .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder()
                        .labels(Labels.of(
                                "version", SharedMapServer.VERSION, "durability", stats.getOrDefault("durability", "")))
                        .build())
                .build());
        for (Map.Entry<String, String> e : stats.entrySet()) {
            String name = e.getKey();
            if (NOT_METRICS.contains(name)) {
                continue;
            }
            Double v = number(e.getValue());
            if (v == null) {
                continue; // a path or a message: STATS and INFO have it
            }
            String help = "STATS " + name + " (docs/OPERATIONS.md, \"STATS counters\")";
            boolean counter = COUNTERS.contains(name) || name.startsWith("ops_");
            // a counter's name gets _total from the writer; the open connections' gauge is not "connections"
            String metric = "sharedmap_"
                    + (counter && name.endsWith("_total")
                            ? name.substring(0, name.length() - "_total".length())
                            : name.equals("connections") ? "connections_open" : name);
            if (counter) {
                out.add(CounterSnapshot.builder()
                        .name(metric)
                        .help(help)
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                                .value(v)
                                .build())
                        .build());
            } else {
                out.add(GaugeSnapshot.builder()
                        .name(metric)
                        .help(help)
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                                .value(v)
                                .build())
                        .build());
            }
        }
        out.add(server.stats().respCommandSeconds.collect());
        return new MetricSnapshots(out);
    }

    /** A STATS value as a number: an integer, or a boolean as 0/1; null otherwise. */
    private static @Nullable Double number(String s) {
        if (s.equals("true") || s.equals("false")) {
            return s.equals("true") ? 1.0 : 0.0;
        }
        try {
            return (double) Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
        }
        if (httpThread != null) {
            httpThread.shutdownNow();
        }
        if (textfileWriter != null) {
            textfileWriter.shutdownNow();
        }
    }
}
