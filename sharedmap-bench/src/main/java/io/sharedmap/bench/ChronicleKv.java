package io.sharedmap.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import net.openhft.chronicle.map.ChronicleMap;
import org.jspecify.annotations.Nullable;

/**
 * The load against Chronicle Map (target {@code chronicle}): every process maps the same
 * persisted map file and reads and writes it in place, with no server. Only for the side-by-side
 * comparison issue 6 asks for; a bench-only, optional dependency (the CLI does not ship it), so the
 * target needs {@code net.openhft:chronicle-map} on the class path (see {@link #onClassPath}), and
 * its JVMs need {@link #JVM_OPTIONS}. The harness's own JVM never loads this class.
 */
final class ChronicleKv implements KvClient {
    /**
     * What Chronicle Map needs to run on JDK 25 (it defines classes and reaches JDK internals through
     * reflection and {@code sun.misc.Unsafe}), and no reporting home (chronicle-analytics). For the
     * chronicle host and workers only; never for the product.
     */
    static final List<String> JVM_OPTIONS = List.of(
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "--enable-native-access=ALL-UNNAMED",
            "-Dchronicle.analytics.disable=true",
            "-Dchronicle.disk.monitor.disable=true");

    /** The map's average key size: the bench's keys are {@code key:} and 10 digits. */
    static final int AVERAGE_KEY_SIZE = 14;

    private final ChronicleMap<byte[], byte[]> map;

    private ChronicleKv(ChronicleMap<byte[], byte[]> map) {
        this.map = map;
    }

    /** Whether Chronicle Map is on this JVM's class path (checked without loading it). */
    static boolean onClassPath() {
        return ClassLoader.getSystemResource("net/openhft/chronicle/map/ChronicleMap.class") != null;
    }

    /**
     * Creates the map file, or maps the one there (its header's settings win), sized for {@code keys}
     * keys of {@code keySize} bytes ({@link #AVERAGE_KEY_SIZE} if 0) and {@code valueSize}-byte
     * values, plus a few more (the seed key, the warm-up key).
     */
    static ChronicleKv open(Path file, int keys, int keySize, int valueSize) throws IOException {
        ChronicleMap<byte[], byte[]> m = ChronicleMap.of(byte[].class, byte[].class)
                .name("sharedmap-bench")
                .entries(keys + 1_000L)
                .averageKeySize(keySize > 0 ? keySize : AVERAGE_KEY_SIZE)
                .averageValueSize(Math.max(10, valueSize))
                .createPersistedTo(file.toFile());
        return new ChronicleKv(m);
    }

    /** The library's version, from its jar. */
    static String version() {
        String v = ChronicleMap.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    @Override
    public byte @Nullable [] get(byte[] key) {
        return map.get(key);
    }

    @Override
    public void set(byte[] key, byte[] value) {
        map.put(key, value);
    }

    @Override
    public void ping() {
        throw new UnsupportedOperationException("chronicle has no server to ping");
    }

    @Override
    public void preload(byte[][] keys, byte[] value) {
        for (byte[] k : keys) {
            map.put(k, value);
        }
    }

    @Override
    public void setAll(byte[][] keys, byte[][] values) {
        for (int i = 0; i < keys.length; i++) {
            map.put(keys[i], values[i]);
        }
    }

    @Override
    public long serverPid() {
        return -1;
    }

    @Override
    public void close() {
        map.close();
    }
}
