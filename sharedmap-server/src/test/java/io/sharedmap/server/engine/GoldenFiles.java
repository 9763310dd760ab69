package io.sharedmap.server.engine;

import io.sharedmap.server.Durability;
import io.sharedmap.server.security.Caller;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Writes the golden data directory and mapped store of the current formats (journal and snapshot
 * format {@value StoreFileDescriptor#FORMAT_VERSION}, store chunk format 2) that {@link GoldenFilesTest}
 * reads: the same changes as the golden directories of the older formats (see
 * src/test/resources/golden/README.md). Run it only when a format changes, into a new directory:
 *
 * <pre>
 * bin/with-jdk java -cp "$(cat cp.txt)" io.sharedmap.server.engine.GoldenFiles OUT/data OUT/store
 * </pre>
 */
public final class GoldenFiles {
    private GoldenFiles() {}

    /** Format 4's key with a deadline: 2100-01-01, renewed to a millisecond later. */
    static final long T1_DEADLINE = 4_102_444_800_000L;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path store = Path.of(args[1]);
        Caller alice = new Caller(1001, 100, new long[] {100}, false);
        EngineConfig config = new EngineConfig(data, Durability.ALWAYS, 1000, 1L << 30)
                .withStore(new StoreSettings(store, 0640, -1, 0, true));
        try (Engine e = Engine.open(config, EngineHooks.NONE)) {
            for (int i = 0; i < 20; i++) {
                e.awaitDurable(e.set(b("k" + i), b("v" + i)).visibleVersion());
            }
            for (int i = 0; i < 5; i++) {
                e.awaitDurable(e.set(alice, alice.newOwner(027), b("a" + i), b("alice" + i), 0, 0)
                        .visibleVersion());
            }
            e.snapshot();
            for (int i = 20; i < 25; i++) {
                e.awaitDurable(e.set(b("k" + i), b("v" + i)).visibleVersion());
            }
            e.awaitDurable(e.set(b("k1"), b("v1b")).visibleVersion());
            e.awaitDurable(e.delete(b("k2"), 0).visibleVersion());
            e.awaitDurable(e.chmod(alice, b("a1"), false, 0600).visibleVersion());
            e.awaitDurable(e.set(b("seq"), b("s1"), 77, 1).visibleVersion());
            e.awaitDurable(e.compareAndSet(b("k3"), 999_999, b("x"), 77, 2).visibleVersion());
            // format 4: deadlines, a renewal, and an expiry
            e.awaitDurable(e.set(b("t1"), b("lease"), T1_DEADLINE).visibleVersion());
            e.awaitDurable(e.setDeadline(b("t1"), 0, T1_DEADLINE + 1).visibleVersion());
            e.awaitDurable(e.set(b("t2"), b("gone"), 1).visibleVersion());
            e.expireAllDue();
        }
    }
}
