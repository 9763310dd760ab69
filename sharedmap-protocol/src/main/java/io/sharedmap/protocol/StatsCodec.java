package io.sharedmap.protocol;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The value of a {@link Status#STATS} reply: UTF-8 text, one {@code name=value} per line, each line
 * ending in {@code \n}. Names are {@code [a-z0-9_.]+}; values contain no newline. Order is stable.
 */
public final class StatsCodec {
    private StatsCodec() {}

    public static byte[] encode(Map<String, String> stats) {
        StringBuilder sb = new StringBuilder();
        stats.forEach(
                (k, v) -> sb.append(k).append('=').append(v.replace('\n', ' ')).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static Map<String, String> decode(byte[] payload) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : new String(payload, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return out;
    }
}
