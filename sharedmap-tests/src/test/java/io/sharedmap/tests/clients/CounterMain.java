package io.sharedmap.tests.clients;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.Entry;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.launcher.WorkerReport;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Increments a counter key {@code --increments} times by read-modify-write: GET, add one, CAS with
 * the version read, retry on CONFLICT. Prints {@code INC value= version=} per applied increment and
 * {@code DONE increments= conflicts= unknown=} at the end ({@link WorkerReport}s).
 *
 * <p>The map is the daemon on {@code --socket}, or any backend named by {@code --url} (e.g. {@code
 * etcd://...}). A backend without exactly-once resends (etcd) may fail a CAS whose outcome is then
 * unknown (a member killed under it): that prints {@code UNKNOWN} and the increment is tried again
 * from a fresh read, so the counter ends between the acknowledged increments and those plus the
 * unknown ones. At most {@value #MAX_FAILURES_IN_A_ROW} failures in a row, then exit 2.
 */
public final class CounterMain {
    /** The report of one applied increment. */
    public static final String INC = "INC";

    /** A CAS that failed with an unknown outcome. */
    public static final String UNKNOWN = "UNKNOWN";

    private static final int MAX_FAILURES_IN_A_ROW = 200;

    private CounterMain() {}

    public static void main(String[] argv) {
        Args args = new Args(argv, List.of());
        String url = args.get("--url", "");
        String key = args.get("--key", "counter");
        int increments = args.getInt("--increments", 100);
        long conflicts = 0;
        long unknown = 0;
        try (PortableMap map =
                url.isEmpty() ? SharedMap.connect(Path.of(args.get("--socket"))) : SharedMap.connect(URI.create(url))) {
            for (int i = 0; i < increments; i++) {
                int failures = 0;
                while (true) {
                    Optional<Entry> seen;
                    try {
                        seen = map.get(key);
                    } catch (DaemonUnavailableException e) {
                        failed(++failures, e);
                        continue;
                    }
                    long value =
                            seen.map(e -> Long.parseLong(e.valueAsString())).orElse(0L);
                    long expected = seen.map(Entry::version).orElse(0L);
                    CasResult r;
                    try {
                        r = map.compareAndSet(key, expected, Long.toString(value + 1));
                    } catch (DaemonUnavailableException e) {
                        unknown++;
                        System.out.println(WorkerReport.of(UNKNOWN)
                                .with("value", value + 1)
                                .line());
                        failed(++failures, e);
                        continue;
                    }
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
                .with("unknown", unknown)
                .line());
        System.out.flush();
        System.exit(0);
    }

    private static void failed(int failures, DaemonUnavailableException e) {
        System.err.println("attempt failed (" + failures + " in a row): " + e.getMessage());
        if (failures >= MAX_FAILURES_IN_A_ROW) {
            System.err.println("giving up after " + failures + " failures in a row");
            System.exit(2);
        }
    }
}
