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
        description = "Show the daemon's pid, socket, data directory, uptime, key count and mapped store,"
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
        String direct = stats.getOrDefault("store_direct_reads", "");
        long keys = Stats.number(stats, Stats.KEYS);
        long publicKeys = stats.containsKey("store_keys_public") ? Stats.number(stats, "store_keys_public") : 0;
        String warning = stats.getOrDefault(Stats.DATA_DIR_WARNING, "");
        if (json) {
            status.put("uptime_ms", Long.toString(uptimeMs));
            status.put("keys", stats.getOrDefault(Stats.KEYS, "?"));
            status.put("store", stats.getOrDefault("store_dir", ""));
            status.put("direct_reads", direct);
            status.put("direct_keys", Long.toString(direct.isEmpty() ? 0 : publicKeys));
            status.put("warning", warning);
            out.println(Json.object(status));
        } else {
            status.put("uptime", Stats.duration(uptimeMs));
            status.put("keys", stats.getOrDefault(Stats.KEYS, "?"));
            status.put(
                    "store",
                    stats.getOrDefault("store_dir", "?") + " (" + Stats.bytes(stats, "store_chunk_bytes")
                            + " of entries, " + Stats.bytes(stats, "store_index_bytes") + " of hash index, "
                            + Stats.bytes(stats, "store_tree_bytes") + " of key order)");
            status.put(
                    "direct reads",
                    direct.isEmpty()
                            ? "off (every GET goes through the socket)"
                            : publicKeys + " of " + keys + " keys readable without a system call, in " + direct);
            if (!warning.isEmpty()) {
                status.put("warning", warning);
            }
            status.forEach((name, value) -> out.println(name + " " + value));
        }
        return ExitCodes.OK;
    }
}
