package io.sharedmap.tests.clients;

import io.sharedmap.tests.support.ChildProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The output of a {@link DumpMain} process. */
public final class Dump {
    /** One key as read back. {@code tag} is null when the value is not exactly a test value. */
    public record Item(
            String key,
            long version,
            String tag,
            long seq,
            boolean inScan,
            long scanVersion,
            int scanLength,
            int length) {
        public boolean corrupt() {
            return tag == null;
        }
    }

    private final Map<String, Item> items = new TreeMap<>();
    private final List<String> missing = new ArrayList<>();
    private final List<String> duplicates = new ArrayList<>();

    private Dump() {}

    public static Dump of(ChildProcess dumper) {
        Dump d = parse(dumper.lines());
        if (d == null) {
            throw new AssertionError("dump " + dumper.name() + " did not finish" + dumper.describeEnd());
        }
        return d;
    }

    /** Parses DumpMain output; null when it lacks the END line. */
    public static Dump parse(List<String> lines) {
        Dump d = new Dump();
        boolean ended = false;
        for (String line : lines) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "E" -> {
                    boolean corrupt = f[3].equals("CORRUPT");
                    d.items.put(
                            f[1],
                            new Item(
                                    f[1],
                                    Long.parseLong(f[2]),
                                    corrupt ? null : f[3],
                                    corrupt ? -1 : Long.parseLong(f[4]),
                                    f[5].equals("1"),
                                    Long.parseLong(f[6]),
                                    Integer.parseInt(f[7]),
                                    Integer.parseInt(f[8])));
                }
                case "MISSING" -> d.missing.add(f[1]);
                case "DUPLICATE" -> d.duplicates.add(f[1]);
                case "END" -> ended = true;
                default -> throw new AssertionError("unexpected dump line: " + line);
            }
        }
        return ended ? d : null;
    }

    public Map<String, Item> items() {
        return items;
    }

    public List<String> missing() {
        return missing;
    }

    public List<String> duplicates() {
        return duplicates;
    }
}
