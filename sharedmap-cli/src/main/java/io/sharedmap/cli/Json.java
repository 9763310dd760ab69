package io.sharedmap.cli;

import java.util.Map;
import java.util.regex.Pattern;

/** Just enough JSON for {@code stats --json} and {@code status --json}. */
final class Json {
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]{0,18})");

    private Json() {}

    /** A JSON object of the entries, in order; values that are int64 numbers are written unquoted. */
    static String object(Map<String, String> entries) {
        StringBuilder sb = new StringBuilder("{");
        entries.forEach((name, value) -> {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(quote(name)).append(':').append(isLong(value) ? value : quote(value));
        });
        return sb.append('}').toString();
    }

    static boolean isLong(String s) {
        if (!INTEGER.matcher(s).matches()) {
            return false;
        }
        try {
            Long.parseLong(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
