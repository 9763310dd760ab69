package io.sharedmap.bench;

import io.sharedmap.server.Durability;
import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.SharedMapServer;
import java.nio.file.Path;

/**
 * Stands in for {@code io.sharedmap.cli.Main server} in this module's tests (the CLI module
 * depends on this one, so it cannot be on its test class path): the same arguments, the same
 * ready line, stops on SIGTERM.
 */
public final class TestDaemonMain {
    private TestDaemonMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = null;
        Path socket = null;
        Durability durability = ServerConfig.DEFAULT_DURABILITY;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[i + 1]);
                case "--socket" -> socket = Path.of(args[i + 1]);
                case "--durability" -> durability = Durability.parse(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        SharedMapServer server =
                SharedMapServer.start(ServerConfig.defaults(dir, socket).withDurability(durability));
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop));
        System.out.println(BenchServer.SHAREDMAP_READY + " " + socket);
        System.out.flush();
        server.awaitStopped();
    }
}
