package io.sharedmap.tests.clients;

import io.sharedmap.client.Entry;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.Options;
import io.sharedmap.client.ScanPage;
import io.sharedmap.client.SharedMap;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A fresh process that reads the whole map (or a prefix): scans the keys, adds the keys listed in
 * {@code --keys-file} (so keys a concurrent scan may skip are still read), GETs each, and prints
 *
 * <pre>
 *   E key version tag seq inScan scanVersion scanLength length    (tag "CORRUPT" when not a test value)
 *   MISSING key inScan                                            (GET found nothing)
 *   END count
 * </pre>
 */
public final class DumpMain {
    private DumpMain() {}

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv, List.of());
        Path socket = Path.of(args.get("--socket"));
        String prefix = args.get("--prefix", "");
        String keysFile = args.get("--keys-file", "");
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        List<String> keys = keysFile.isEmpty() ? List.of() : Files.readAllLines(Path.of(keysFile));
        try (SharedMap map = SharedMap.connect(socket)) {
            dump(map, prefix, keys).forEach(out::println);
        }
        out.flush();
        System.exit(0);
    }

    /** The lines this main prints, read in the calling process (for {@link Dump#parse}). */
    public static List<String> dump(SharedMap map, String prefix, Collection<String> extraKeys) {
        return dump(map, prefix, extraKeys, null);
    }

    /**
     * As {@link #dump(SharedMap, String, Collection)}, leaving out the keys that start with {@code
     * skipped} (a data set checked otherwise): the scan jumps past them instead of paging through.
     */
    static List<String> dump(SharedMap map, String prefix, Collection<String> extraKeys, @Nullable String skipped) {
        List<String> out = new ArrayList<>();
        Map<String, KeyInfo> scanned = new TreeMap<>();
        byte[] prefixBytes = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] cursor = new byte[0];
        while (true) {
            ScanPage page = map.scan(prefixBytes, cursor, 0);
            boolean jump = false;
            for (KeyInfo k : page.entries()) {
                String key = k.keyAsString();
                if (skipped != null && key.startsWith(skipped)) {
                    jump = true;
                    break;
                }
                KeyInfo previous = scanned.put(key, k);
                if (previous != null) {
                    out.add("DUPLICATE " + key);
                }
            }
            if (jump) {
                byte[] past = Arrays.copyOf(skipped.getBytes(StandardCharsets.UTF_8), skipped.length() + 64);
                Arrays.fill(past, skipped.length(), past.length, (byte) 0xFF); // after every key starting so
                cursor = past;
            } else if (page.done()) {
                break;
            } else {
                cursor = page.nextCursor();
            }
        }
        TreeMap<String, Boolean> all = new TreeMap<>();
        scanned.keySet().forEach(k -> all.put(k, true));
        for (String k : extraKeys) {
            if (!k.isBlank()) {
                all.putIfAbsent(k, false);
            }
        }
        for (var e : all.entrySet()) {
            String key = e.getKey();
            Optional<Entry> got = map.get(key);
            int inScan = e.getValue() ? 1 : 0;
            if (got.isEmpty()) {
                out.add("MISSING " + key + " " + inScan);
                continue;
            }
            Entry entry = got.get();
            Values.Origin origin = Values.parse(entry.value());
            KeyInfo info = scanned.get(key);
            out.add("E " + key + " " + entry.version() + " "
                    + (origin == null ? "CORRUPT -" : origin.tag() + " " + origin.seq()) + " " + inScan + " "
                    + (info == null ? "0 -1" : info.version() + " " + info.valueLength()) + " " + entry.value().length);
        }
        out.add("END " + all.size());
        return out;
    }

    /** Reads the whole map in this process over a fresh plain connection. */
    public static Dump dump(Path socket, Collection<String> extraKeys) {
        return dump(socket, extraKeys, null);
    }

    /** As {@link #dump(Path, Collection)}, without the keys that start with {@code skipped}. */
    public static Dump dump(Path socket, Collection<String> extraKeys, @Nullable String skipped) {
        try (SharedMap map = SharedMap.connect(socket, Options.defaults().recovering(false))) {
            return Dump.parse(dump(map, "", extraKeys, skipped));
        }
    }
}
