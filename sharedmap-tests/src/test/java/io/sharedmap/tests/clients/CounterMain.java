package io.sharedmap.tests.clients;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.SharedMap;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Increments a counter key {@code --increments} times by read-modify-write: GET, add one, CAS with
 * the version read, retry on CONFLICT. Prints {@code INC <new value> <version>} per applied
 * increment and {@code DONE <increments> <conflicts>} at the end.
 */
public final class CounterMain {
    private CounterMain() {}

    public static void main(String[] argv) {
        Args args = new Args(argv, java.util.List.of());
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
                        System.out.println("INC " + (value + 1) + " " + a.version());
                        break;
                    }
                    conflicts++;
                }
            }
        }
        System.out.println("DONE " + increments + " " + conflicts);
        System.out.flush();
        System.exit(0);
    }
}
