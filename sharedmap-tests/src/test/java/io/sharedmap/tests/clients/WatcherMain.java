package io.sharedmap.tests.clients;

import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.client.WatchEvent;
import io.sharedmap.client.WatchListener;
import io.sharedmap.client.Watcher;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A watcher process: {@code --socket S --prefix P [--from V]} watches every key under P and prints,
 * flushed, one line per change: {@code E <version> <KIND> <key>} ({@code C <version>} if the
 * history was compacted, {@code X <message>} if the watch failed); with {@code --values yes}, a
 * SET's value follows the key. {@code READY} once the watch is
 * open. Stops at EOF on stdin and exits 0.
 */
public final class WatcherMain {
    private static final PrintStream OUT =
            new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

    private WatcherMain() {}

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv, List.of());
        Path socket = Path.of(args.get("--socket"));
        String prefix = args.get("--prefix");
        long from = Long.parseLong(args.get("--from", "-1"));
        boolean values = args.get("--values", "no").equals("yes");
        WatchListener listener = new WatchListener() {
            @Override
            public void onEvent(WatchEvent e) {
                if (e.kind() != WatchEvent.Kind.PROGRESS) {
                    byte[] v = e.value();
                    OUT.println("E " + e.version() + " " + e.kind() + " " + e.keyAsString()
                            + (v != null ? " " + new String(v, StandardCharsets.UTF_8) : ""));
                }
            }

            @Override
            public void onCompacted(long currentVersion) {
                OUT.println("C " + currentVersion);
            }

            @Override
            public void onError(SharedMapException error) {
                OUT.println("X " + error.getMessage().replace('\n', ' '));
            }
        };
        try (SharedMap map = SharedMap.connect(socket);
                Watcher w = map.watch(prefix.getBytes(StandardCharsets.UTF_8), true, from, values, listener)) {
            while (w.lastVersion() < 0 && !w.ended()) {
                LockSupport.parkNanos(1_000_000);
            }
            OUT.println("READY");
            while (System.in.read() >= 0) {
                // until EOF
            }
        }
        System.exit(0);
    }
}
