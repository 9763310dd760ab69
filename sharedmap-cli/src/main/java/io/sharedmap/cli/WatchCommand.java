package io.sharedmap.cli;

import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.client.WatchEvent;
import io.sharedmap.client.WatchListener;
import io.sharedmap.client.Watcher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap watch [--prefix] KEY [--from VERSION] [--json]}: one line per change, like {@code etcdctl watch}. */
@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        description = {
            "Print one line per change of KEY (with --prefix, of every key under it), in version order:"
                    + " VERSION KIND KEY [VALUE], KIND one of set, delete, expired, owner, deadline."
                    + " Survives daemon restarts (resuming after the last version seen). Runs until"
                    + " interrupted, --count changes or --timeout.",
            "Exit 1 if the history asked for with --from was compacted away (the message names the version"
                    + " to start again from)."
        })
final class WatchCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key or, with --prefix, the prefix (\"\" for all).")
    String key;

    @Option(
            names = {"-p", "--prefix"},
            description = "Watch every key that starts with KEY.")
    boolean prefix;

    @Option(
            names = "--from",
            paramLabel = "VERSION",
            description = "Changes after VERSION (from the journal's history); default: from now on.")
    long from = -1;

    @Option(names = "--values", description = "Print the value of each set (UTF-8).")
    boolean values;

    @Option(names = "--json", description = "One JSON object per line: version, kind, key (and value).")
    boolean json;

    @Option(names = "--progress", description = "Also print progress lines (no change up to VERSION).")
    boolean progress;

    @Option(names = "--count", paramLabel = "N", description = "Exit after N changes.")
    long count = Long.MAX_VALUE;

    @Option(
            names = "--timeout",
            paramLabel = "TTL",
            description = "Exit (0) after this long: 500ms, 30s, 5m ...",
            converter = Ttl.class)
    @Nullable
    Duration timeout;

    private sealed interface Item permits Change, Compacted, Failed {}

    private record Change(WatchEvent event) implements Item {}

    private record Compacted(long version) implements Item {}

    private record Failed(SharedMapException error) implements Item {}

    @Override
    public Integer call() throws InterruptedException {
        BlockingQueue<Item> items = new LinkedBlockingQueue<>(10_000);
        WatchListener listener = new WatchListener() {
            @Override
            public void onEvent(WatchEvent event) {
                try {
                    items.put(new Change(event)); // the watch waits for this thread to print
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted");
                }
            }

            @Override
            public void onCompacted(long currentVersion) {
                items.offer(new Compacted(currentVersion));
            }

            @Override
            public void onError(SharedMapException error) {
                items.offer(new Failed(error));
            }
        };
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        long printed = 0;
        try (SharedMap map = socket.connect();
                Watcher w = map.watch(Args.key(key), prefix, from, values, listener)) {
            while (printed < count && (!w.ended() || !items.isEmpty())) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return ExitCodes.OK;
                }
                Item item = items.poll(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                switch (item) {
                    case null -> {}
                    case Change c -> {
                        if (c.event().kind() != WatchEvent.Kind.PROGRESS || progress) {
                            print(c.event());
                            if (c.event().kind() != WatchEvent.Kind.PROGRESS) {
                                printed++;
                            }
                        }
                    }
                    case Compacted c -> {
                        root.err()
                                .println("history compacted: the changes after version " + from
                                        + " are no longer kept; read the current state and watch again with --from "
                                        + c.version());
                        return ExitCodes.NOT_FOUND_OR_CONFLICT;
                    }
                    case Failed f -> throw f.error();
                }
            }
        }
        return ExitCodes.OK;
    }

    private void print(WatchEvent e) {
        String kind = e.kind().name().toLowerCase(Locale.ROOT);
        byte[] v = e.value();
        if (json) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("version", Long.toString(e.version()));
            m.put("kind", kind);
            m.put("key", e.keyAsString());
            if (v != null) {
                m.put("value", new String(v, StandardCharsets.UTF_8));
            }
            root.out().println(Json.object(m));
        } else {
            root.out()
                    .println(e.version() + " " + kind + " " + e.keyAsString()
                            + (v != null ? " " + new String(v, StandardCharsets.UTF_8) : ""));
        }
        root.out().flush();
    }
}
