package io.sharedmap.tests.clients;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} and {@code --flag} arguments of the test mains. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] args, List<String> flags) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a);
            }
            if (flags.contains(a)) {
                values.put(a, "true");
            } else if (i + 1 < args.length) {
                values.put(a, args[++i]);
            } else {
                throw new IllegalArgumentException(a + " needs a value");
            }
        }
    }

    String get(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return v;
    }

    String get(String name, String def) {
        return values.getOrDefault(name, def);
    }

    int getInt(String name, int def) {
        return Integer.parseInt(values.getOrDefault(name, Integer.toString(def)));
    }

    long getLong(String name, long def) {
        return Long.parseLong(values.getOrDefault(name, Long.toString(def)));
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }
}
