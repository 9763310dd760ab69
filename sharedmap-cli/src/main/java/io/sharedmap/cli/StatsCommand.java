package io.sharedmap.cli;

import io.sharedmap.client.SharedMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap stats}: every counter and setting the daemon reports. */
@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        description = "Print the daemon's statistics, one 'name value' per line.")
final class StatsCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Option(names = "--json", description = "Print one JSON object (numbers unquoted).")
    boolean json;

    @Override
    public Integer call() {
        Map<String, String> stats;
        try (SharedMap map = socket.connect()) {
            stats = map.stats();
        }
        if (json) {
            root.out().println(Json.object(stats));
        } else {
            stats.forEach((name, value) -> root.out().println(name + " " + value));
        }
        return ExitCodes.OK;
    }
}
