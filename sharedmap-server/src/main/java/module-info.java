/**
 * The sharedmap daemon. Exports what the CLI needs to run one ({@code SharedMapServer},
 * {@code ServerConfig} and friends); the engine and the security model stay inside (the JMH
 * benchmarks and the tests reach them on the class path).
 */
@SuppressWarnings("requires-automatic") // the Prometheus client's jars are automatic modules
module io.sharedmap.server {
    requires io.sharedmap.protocol;
    requires transitive io.sharedmap.os; // UnixAccounts in SecurityConfig's API
    requires jdk.net; // SO_PEERCRED
    requires jdk.httpserver; // MetricsExporter's --metrics-port
    requires io.prometheus.metrics.core;
    requires io.prometheus.metrics.model;
    requires io.prometheus.writer.text;
    requires static transitive org.jspecify;
    requires static com.google.errorprone.annotations;

    exports io.sharedmap.server;

    provides java.lang.System.LoggerFinder with
            io.sharedmap.server.log.StderrLoggerFinder;
}
