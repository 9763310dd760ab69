package io.sharedmap.bench.jmh;

import io.sharedmap.server.Durability;
import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.EngineConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/** Opens engines on temporary directories for the benchmarks and removes them afterwards. */
final class EngineFixture {
    private EngineFixture() {}

    static Path tempDir() throws IOException {
        return Files.createTempDirectory("sharedmap-jmh");
    }

    static Engine open(Path dir, Durability durability) throws IOException {
        return Engine.open(new EngineConfig(
                dir,
                durability,
                ServerConfig.DEFAULT_FSYNC_INTERVAL_MS,
                ServerConfig.DEFAULT_SNAPSHOT_MIN_JOURNAL_BYTES));
    }

    /** Key {@code i}: {@code key:} and the index zero-padded to 10 digits (14 bytes), as {@code sharedmap bench}. */
    static byte[][] keys(int n) {
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = String.format("key:%010d", i).getBytes(StandardCharsets.US_ASCII);
        }
        return keys;
    }

    static byte[] value(int size) {
        byte[] v = new byte[size];
        Arrays.fill(v, (byte) 'v');
        return v;
    }

    static void delete(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
