package io.sharedmap.launcher;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;

/**
 * One line a worker process reports to the process that started it (torture's and the system
 * tests' workers, on their standard output or in a result file): a kind, then named fields.
 *
 * <pre>
 *   KIND name=value name=value ...
 * </pre>
 *
 * The kind is a word ({@code [A-Za-z0-9_.-]+}); names are words; a value is any string, with
 * {@code %}, space, {@code =}, and control characters percent-encoded as UTF-8 bytes ({@code %25},
 * {@code %20}, {@code %3D}, ...), so a line never breaks and fields never shift. Readers look
 * fields up by name: a new field breaks no reader, a missing one is an error that names it. This
 * class is the format's only writer and parser.
 *
 * @param kind what the line reports (e.g. {@code ops}, {@code counter}, {@code ACK})
 * @param fields the fields in the order written
 */
public record WorkerReport(String kind, Map<String, String> fields) {
    public WorkerReport {
        if (!isWord(kind)) {
            throw new IllegalArgumentException("report kind '" + kind + "' is not a word");
        }
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        for (String name : fields.keySet()) {
            if (!isWord(name)) {
                throw new IllegalArgumentException("report field name '" + name + "' is not a word");
            }
        }
    }

    /** A report of {@code kind} with no fields yet; add them with {@link #with}. */
    public static WorkerReport of(String kind) {
        return new WorkerReport(kind, Map.of());
    }

    /** This report with one more field (a copy: reports are immutable). */
    public WorkerReport with(String name, Object value) {
        Map<String, String> f = new LinkedHashMap<>(fields);
        if (f.put(name, String.valueOf(value)) != null) {
            throw new IllegalArgumentException("report field '" + name + "' given twice");
        }
        return new WorkerReport(kind, f);
    }

    /** The line, without a line terminator. */
    public String line() {
        StringBuilder b = new StringBuilder(kind);
        fields.forEach((name, value) -> b.append(' ').append(name).append('=').append(encode(value)));
        return b.toString();
    }

    @Override
    public String toString() {
        return line();
    }

    /**
     * Parses a {@link #line()}.
     *
     * @throws IllegalArgumentException naming what is wrong with the line
     */
    public static WorkerReport parse(String line) {
        String[] parts = line.strip().split(" ");
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("report '" + line + "': field '" + parts[i] + "' is not name=value");
            }
            if (fields.put(parts[i].substring(0, eq), decode(parts[i].substring(eq + 1), line)) != null) {
                throw new IllegalArgumentException(
                        "report '" + line + "': field '" + parts[i].substring(0, eq) + "' twice");
            }
        }
        return new WorkerReport(parts[0], fields);
    }

    /** Whether {@code line} is a report of {@code kind} (its first word), without parsing the rest. */
    public static boolean isKind(String line, String kind) {
        return line.startsWith(kind) && (line.length() == kind.length() || line.charAt(kind.length()) == ' ');
    }

    /** The field's value, or null when the report has no such field. */
    public @Nullable String find(String name) {
        return fields.get(name);
    }

    /**
     * The field's value.
     *
     * @throws NoSuchElementException naming the field and the line when it is missing
     */
    public String text(String name) {
        String v = fields.get(name);
        if (v == null) {
            throw new NoSuchElementException("report '" + line() + "' has no field '" + name + "'");
        }
        return v;
    }

    /** The field as a long; missing or not a number: an exception naming it. */
    public long number(String name) {
        String v = text(name);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("report '" + line() + "': field '" + name + "' is not a number", e);
        }
    }

    /** The field as an int; see {@link #number}. */
    public int integer(String name) {
        return Math.toIntExact(number(name));
    }

    /** The field as a boolean ({@code true} or {@code false}). */
    public boolean flag(String name) {
        String v = text(name);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("report '" + line() + "': field '" + name + "' is not true or false");
        }
        return v.equals("true");
    }

    private static boolean isWord(String s) {
        return !s.isEmpty()
                && s.chars()
                        .allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-'));
    }

    private static String encode(String value) {
        StringBuilder b = new StringBuilder(value.length());
        for (byte x : value.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xFF;
            if (c <= ' ' || c == '%' || c == '=' || c >= 0x7F) {
                b.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xF, 16));
            } else {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    private static String decode(String s, String line) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IllegalArgumentException("report '" + line + "': a % not followed by two hex digits");
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("report '" + line + "': a % not followed by two hex digits");
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else {
                out[n++] = (byte) c;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}
