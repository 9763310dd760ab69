package io.sharedmap.bench;

import java.util.List;
import java.util.Locale;

/** What the worker processes do; each workload runs one or more {@link Mix}es. */
public enum Workload {
    /**
     * The shared_map report's benchmark: one key, {@code test_key} = {@code test_value}, read /
     * write / read+write.
     */
    SEED,
    /** A preloaded keyspace of N keys with V-byte values; keys drawn uniformly at random. */
    UNIFORM,
    /** As {@link #UNIFORM}, but keys drawn from a Zipf distribution (a few hot keys). */
    ZIPF,
    /** An empty request and reply: the floor any socket design pays on this machine. */
    PING,
    /**
     * Issue 11's measure of a large data set: N keys of {@code --key-size} bytes, each with its own
     * value ({@link ScaleKeys}), loaded through the client's pipeline; load rate, memory, disk,
     * uniform GET and SET, restart and kill -9 recovery, beside Redis ({@link ScaleRun}). Runs alone.
     */
    SCALE;

    /** The key of the seed workload, as in the report. */
    static final String SEED_KEY = "test_key";

    /** The value of the seed workload, as in the report. */
    static final String SEED_VALUE = "test_value";

    /** Lower-case name as used on the command line and in results. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mixes this workload runs, given the mixes asked for on the command line. */
    List<Mix> mixes(List<Mix> requested) {
        return this == PING
                ? List.of(Mix.PING)
                : requested.stream().filter(m -> m != Mix.PING).toList();
    }

    /** Whether the keyspace must be loaded before the workers start. */
    boolean needsPreload() {
        return this == UNIFORM || this == ZIPF;
    }

    static Workload parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "unknown workload '" + s + "'; expected seed, uniform, zipf, ping or scale", e);
        }
    }
}
