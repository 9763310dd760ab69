package io.sharedmap.tests.clients;

import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.launcher.WorkerReport;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A reader process beside the {@link WriterMain}s: GETs their keys round and round and prints
 * {@code S key= tag= seq= version=} each time it sees a newer value of a key, followed by a line
 * {@code DIRECT} when that GET was answered from the daemon's mapped store (direct reads are on
 * unless {@code --socket-reads}). The protocol promises that no reply shows a value before it is
 * durable as the mode promises, and the store holds only durable values, so every value printed
 * here must survive a kill -9 of the daemon. {@code --pass-pause-us} sleeps between passes over
 * the keys (0: none). Stops at EOF on stdin, printing {@code READS reads= direct= socket=}; rides out
 * daemon restarts.
 */
public final class ReaderMain {
    private static final PrintStream OUT =
            new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

    private ReaderMain() {}

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv, List.of("--socket-reads"));
        Path socket = Path.of(args.get("--socket"));
        int writers = args.getInt("--writers", 1);
        int threads = args.getInt("--threads", 1);
        int own = args.getInt("--own", 10);
        long durationMs = args.getLong("--duration-ms", 120_000);
        long pausePerPassUs = args.getLong("--pass-pause-us", 0);
        boolean direct = !args.flag("--socket-reads");
        List<String> keys = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < own; i++) {
                    keys.add("w" + w + "." + t + "/k" + i);
                }
            }
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // EOF means stop
                }
            } catch (IOException e) {
                // treat as EOF
            }
            stop.set(true);
        });
        long endNs = System.nanoTime() + durationMs * 1_000_000;
        Map<String, Long> lastSeq = new HashMap<>();
        SharedMap map = null;
        long reads = 0;
        while (!stop.get() && System.nanoTime() - endNs < 0) {
            try {
                if (map == null) {
                    map = SharedMap.connect(socket, Options.defaults().directReads(direct));
                }
                for (String key : keys) {
                    long before = map.readStats().direct();
                    Optional<Entry> e = map.get(key);
                    boolean fromStore = map.readStats().direct() > before;
                    reads++;
                    if (e.isEmpty()) {
                        continue;
                    }
                    Values.Origin o = Values.parse(e.get().value());
                    if (o == null) {
                        OUT.println(WorkerReport.of("CORRUPT")
                                .with("key", key)
                                .with("version", e.get().version())
                                .with("fromStore", fromStore)
                                .line());
                    } else if (o.seq() > lastSeq.getOrDefault(key, 0L)) {
                        lastSeq.put(key, o.seq());
                        OUT.println(WorkerReport.of("S")
                                .with("key", key)
                                .with("tag", o.tag())
                                .with("seq", o.seq())
                                .with("version", e.get().version())
                                .line());
                        if (fromStore) {
                            OUT.println(WorkerReport.of("DIRECT").line());
                        }
                    }
                }
                if (pausePerPassUs > 0) {
                    Thread.sleep(
                            pausePerPassUs / 1000, (int) (pausePerPassUs % 1000) * 1000); // pacing, not synchronisation
                }
            } catch (SharedMapException e) {
                Thread.sleep(20); // retry back-off while the daemon restarts; not test synchronisation
            }
        }
        OUT.println(WorkerReport.of("READS")
                .with("reads", reads)
                .with("direct", map == null ? 0 : map.readStats().direct())
                .with("socket", map == null ? 0 : map.readStats().socket())
                .line());
        if (map != null) {
            map.close();
        }
        System.exit(0);
    }
}
