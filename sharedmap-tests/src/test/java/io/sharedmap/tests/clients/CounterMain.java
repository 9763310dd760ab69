package io.sharedmap.tests.clients;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.SharedMap;
import io.sharedmap.launcher.WorkerReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Increments a counter key {@code --increments} times by read-modify-write: GET, add one, CAS with
 * the version read, retry on CONFLICT. Prints {@code INC value= version=} per applied increment and
 * {@code DONE increments= conflicts=} at the end ({@link WorkerReport}s).
 */
public final class CounterMain {
    /** The report of one applied increment. */
    public static final String INC = "INC";

    private CounterMain() {}

    public static void main(String[] argv) {
        Args args = new Args(argv, List.of());
        Path socket = Path.of(args.get("--socket"));
        String key = args.get("--key", "counter");
        int increments = args.getInt("--increments", 100);
        long conflicts = 0;
        try (SharedMap map = SharedMap.connect(socket)) {
            for (int i = 0; i < increments; i++) {
                while (true) {
                    Optional<Entry> seen = map.get(key);
                    long value =
                            seen.map(e -> Long.parseLong(e.valueAsString())).orElse(0L);
                    long expected = seen.map(Entry::version).orElse(0L);
                    CasResult r = map.compareAndSet(key, expected, Long.toString(value + 1));
                    if (r instanceof CasResult.Applied a) {
                        System.out.println(WorkerReport.of(INC)
                                .with("value", value + 1)
                                .with("version", a.version())
                                .line());
                        break;
                    }
                    conflicts++;
                }
            }
        }
        System.out.println(WorkerReport.of("DONE")
                .with("increments", increments)
                .with("conflicts", conflicts)
                .line());
        System.out.flush();
        System.exit(0);
    }
}
