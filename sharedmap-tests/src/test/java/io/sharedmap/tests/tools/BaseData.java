package io.sharedmap.tests.tools;

import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.Pipeline;
import io.sharedmap.client.Response;
import io.sharedmap.client.SharedMap;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * A data set of {@code n} keys that nothing changes after it is loaded, so that after any restart
 * every one of them must hold exactly its value: {@code base/NNNNNNNNN}, each with a 100-byte value
 * of its own. Loaded and read through the socket, 1,000 requests a pipeline.
 */
final class BaseData {
    static final int VALUE_BYTES = 100;
    /** Every base key starts so (the crash loop's dumps leave them out: they are checked here). */
    static final String PREFIX = "base/";

    private static final int BATCH = 1_000;
    private static final Options PLAIN = Options.defaults().recovering(false).directReads(false);

    private BaseData() {}

    static byte[] key(int i) {
        return String.format(PREFIX + "%09d", i).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] value(int i) {
        byte[] v = new byte[VALUE_BYTES];
        byte[] tag = ("value of base key " + i + ";").getBytes(StandardCharsets.US_ASCII);
        for (int j = 0; j < v.length; j++) {
            v[j] = tag[j % tag.length];
        }
        return v;
    }

    /** Loads keys {@code 0..n-1}; every SET acknowledged. */
    static void load(Path socket, int n) {
        try (SharedMap map = SharedMap.connect(socket, PLAIN)) {
            for (int from = 0; from < n; from += BATCH) {
                List<Response<?>> replies = new ArrayList<>(BATCH);
                try (Pipeline p = map.pipelined()) {
                    for (int i = from; i < Math.min(n, from + BATCH); i++) {
                        replies.add(p.set(key(i), value(i)));
                    }
                    p.sync();
                }
                for (Response<?> r : replies) {
                    r.get(); // throws if the SET failed
                }
            }
        }
    }

    /** Problems found reading {@code sample} random keys of {@code 0..n-1} (all of them if {@code sample >= n}). */
    static List<String> check(Path socket, int n, int sample, Random random) {
        int[] which = sample >= n
                ? IntStream.range(0, n).toArray()
                : random.ints(sample, 0, n).toArray();
        List<String> problems = new ArrayList<>();
        try (SharedMap map = SharedMap.connect(socket, PLAIN)) {
            for (int from = 0; from < which.length; from += BATCH) {
                int to = Math.min(which.length, from + BATCH);
                List<Response<Optional<Entry>>> replies = new ArrayList<>(to - from);
                try (Pipeline p = map.pipelined()) {
                    for (int k = from; k < to; k++) {
                        replies.add(p.get(key(which[k])));
                    }
                    p.sync();
                }
                for (int k = from; k < to; k++) {
                    int i = which[k];
                    Optional<Entry> got = replies.get(k - from).get();
                    if (got.isEmpty()) {
                        problems.add("base key " + i + " of " + n + " is gone");
                    } else if (!Arrays.equals(got.get().value(), value(i))) {
                        problems.add("base key " + i + " of " + n + " holds another value ("
                                + got.get().value().length + " bytes)");
                    }
                }
            }
        }
        return problems;
    }
}
