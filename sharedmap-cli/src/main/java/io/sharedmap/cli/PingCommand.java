package io.sharedmap.cli;

import io.sharedmap.client.SharedMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap ping}: one round trip on an open connection, timed. */
@Command(
        name = "ping",
        mixinStandardHelpOptions = true,
        description =
                "Print the round-trip time of one PING on a connected client (after one untimed" + " warm-up PING).")
final class PingCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Override
    public Integer call() {
        try (SharedMap map = socket.connect()) {
            map.ping();
            long start = System.nanoTime();
            map.ping();
            long micros = (System.nanoTime() - start) / 1_000;
            root.out().println("pong " + micros + " µs");
        }
        return ExitCodes.OK;
    }
}
