package io.sharedmap.cli;

import io.sharedmap.client.SharedMap;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap status}: is a daemon answering, and which. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Show the daemon's pid, socket, data directory, uptime, key count and shared-memory view,"
                + " and a warning when other users may reach the data directory; exit 3 when no daemon answers.")
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        Map<String, String> stats;
        try (SharedMap map = socket.connect()) {
            stats = map.stats();
        }
        long uptimeMs = Stats.number(stats, Stats.UPTIME_MS);
        Map<String, String> status = new LinkedHashMap<>();
        status.put("pid", stats.getOrDefault(Stats.PID, "?"));
        status.put("socket", stats.getOrDefault(Stats.SOCKET, socket.socket.toString()));
        status.put("data", stats.getOrDefault(Stats.DATA_DIR, "?"));
        PrintStream out = root.out();
        String view = stats.getOrDefault("view_file", "");
        String warning = stats.getOrDefault(Stats.DATA_DIR_WARNING, "");
        if (json) {
            status.put("uptime_ms", Long.toString(uptimeMs));
            status.put("keys", stats.getOrDefault(Stats.KEYS, "?"));
            status.put("view", view);
            status.put("view_keys", stats.getOrDefault("view_keys", "0"));
            status.put("warning", warning);
            out.println(Json.object(status));
        } else {
            status.put("uptime", Stats.duration(uptimeMs));
            status.put("keys", stats.getOrDefault(Stats.KEYS, "?"));
            status.put(
                    "view",
                    view.isEmpty()
                            ? "none (every GET goes through the socket)"
                            : view + " (" + stats.getOrDefault("view_keys", "0")
                                    + " keys readable without a system call)");
            if (!warning.isEmpty()) {
                status.put("warning", warning);
            }
            status.forEach((name, value) -> out.println(name + " " + value));
        }
        return ExitCodes.OK;
    }
}
