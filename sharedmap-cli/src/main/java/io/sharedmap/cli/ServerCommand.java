package io.sharedmap.cli;

import io.sharedmap.server.MetricsConfig;
import io.sharedmap.server.MetricsExporter;
import io.sharedmap.server.RespConfig;
import io.sharedmap.server.SecurityConfig;
import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.ServerStartException;
import io.sharedmap.server.SharedMapServer;
import io.sharedmap.server.StoreConfig;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap server}: runs the daemon in the foreground until SIGTERM or SIGINT. */
@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        description = {
            "Run the daemon in the foreground until SIGTERM/SIGINT, which stop it gracefully"
                    + " (new work refused, requests in flight finished, journal synced).",
            "Prints one line once clients can connect. Use 'sharedmap start' to run it in the background."
        })
final class ServerCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    ServerOptions options;

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config = options.toConfig();
        SecurityConfig security = options.toSecurity();
        StoreConfig store = options.toStore();
        RespConfig resp = options.toResp();
        MetricsConfig metricsConfig = options.toMetrics();
        // On SIGTERM/SIGINT the JVM runs this hook: refuse new work, drain, sync, stop, then exit 0, as
        // rmmod does after a clean unload (a JVM would otherwise exit 128+signal, 143, and systemd would
        // call a clean stop a failure). halt() ends the JVM at once, so other shutdown hooks, such as a
        // JFR dump-on-exit, may not finish: dump a recording with `jcmd <pid> JFR.dump` before stopping.
        // The hook is in place before the socket is bound, so no signal can find a server without it.
        AtomicReference<SharedMapServer> running = new AtomicReference<>();
        Thread hook = new Thread(
                () -> {
                    SharedMapServer server = running.get();
                    if (server == null) {
                        return; // still starting: nothing was served, nothing to drain
                    }
                    server.stop();
                    try {
                        server.awaitStopped();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    root.flush();
                    System.err.flush();
                    Runtime.getRuntime().halt(ExitCodes.OK);
                },
                "sharedmap-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        SharedMapServer server;
        try {
            server = SharedMapServer.start(config, security, store, resp);
        } catch (ServerStartException e) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // a signal arrived during start; the hook has nothing to stop
            }
            throw new CliException(ExitCodes.LIFECYCLE, e.getMessage());
        }
        running.set(server);
        MetricsExporter metrics;
        try {
            metrics = MetricsExporter.start(server, metricsConfig);
        } catch (ServerStartException e) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook); // its exit code would be 0
            } catch (IllegalStateException shuttingDown) {
                // a signal arrived: the hook stops the server
            }
            server.stop();
            throw new CliException(ExitCodes.LIFECYCLE, e.getMessage());
        }
        PrintStream out = root.out();
        out.printf(
                "sharedmap serving on %s, data in %s (pid %d, durability %s)%n",
                config.socket(), config.dataDir(), ProcessHandle.current().pid(), config.durability());
        out.flush();

        server.awaitStopped();
        metrics.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook); // stopped on its own: exit normally
        } catch (IllegalStateException shuttingDown) {
            // the JVM is shutting down (a signal): the hook stops the server
        }
        return ExitCodes.OK;
    }
}
