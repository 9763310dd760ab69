/**
 * The sharedmap daemon. Exports what the CLI needs to run one ({@code SharedMapServer},
 * {@code ServerConfig} and friends); the engine and the security model stay inside (the JMH
 * benchmarks and the tests reach them on the class path).
 */
module io.sharedmap.server {
    requires io.sharedmap.protocol;
    requires transitive io.sharedmap.os; // UnixAccounts in SecurityConfig's API
    requires jdk.net; // SO_PEERCRED
    requires static transitive org.jspecify;
    requires static com.google.errorprone.annotations;

    exports io.sharedmap.server;

    provides java.lang.System.LoggerFinder with
            io.sharedmap.server.log.StderrLoggerFinder;
}
