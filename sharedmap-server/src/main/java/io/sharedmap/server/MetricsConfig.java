package io.sharedmap.server;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where the daemon publishes its metrics in Prometheus's text format ({@link MetricsExporter};
 * docs/OPERATIONS.md, "Metrics"): on a loopback HTTP port, in a node_exporter textfile, both or
 * neither (the default).
 *
 * @param port the HTTP port on 127.0.0.1 serving {@code /metrics} ({@code --metrics-port}): -1 for
 *     none, 0 for one the kernel chooses
 * @param textfile a file rewritten every {@link #TEXTFILE_INTERVAL_MS} ms ({@code --metrics-textfile},
 *     for node_exporter's textfile collector: a name ending in {@code .prom}), or null
 */
public record MetricsConfig(int port, @Nullable Path textfile) {
    /** Neither. */
    public static final MetricsConfig NONE = new MetricsConfig(-1, null);

    /** How often the textfile is rewritten. */
    public static final long TEXTFILE_INTERVAL_MS = 10_000;

    /** @throws IllegalArgumentException if the port is out of range or the textfile's name does not end in .prom */
    public MetricsConfig {
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("--metrics-port " + port + " is not a TCP port (0..65535; 0: any)");
        }
        if (textfile != null && !String.valueOf(textfile.getFileName()).endsWith(".prom")) {
            throw new IllegalArgumentException("--metrics-textfile " + textfile
                    + ": node_exporter's textfile collector reads only names ending in .prom");
        }
    }

    /** Whether anything is published. */
    public boolean enabled() {
        return port != -1 || textfile != null;
    }
}
