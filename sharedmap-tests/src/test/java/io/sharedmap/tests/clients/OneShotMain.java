package io.sharedmap.tests.clients;

import io.sharedmap.client.Entry;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMap;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One request from a fresh process: {@code set <socket> <key> <value>} prints {@code SET <version>};
 * {@code get <socket> <key>} prints {@code VALUE <version> <value>} or {@code NOT_FOUND}.
 */
public final class OneShotMain {
    private OneShotMain() {}

    public static void main(String[] args) {
        try (SharedMap map = SharedMap.connect(Path.of(args[1]))) {
            switch (args[0]) {
                case "set" -> {
                    SetResult r = map.set(args[2], args[3]);
                    System.out.println("SET " + r.version());
                }
                case "get" -> {
                    Optional<Entry> e = map.get(args[2]);
                    System.out.println(e.map(x -> "VALUE " + x.version() + " " + x.valueAsString())
                            .orElse("NOT_FOUND"));
                }
                default -> throw new IllegalArgumentException("unknown command " + args[0]);
            }
        }
        System.out.flush();
        System.exit(0);
    }
}
