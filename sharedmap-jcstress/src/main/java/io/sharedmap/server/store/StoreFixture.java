package io.sharedmap.server.store;

import io.sharedmap.os.store.StoreReader;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * One mapped store shared by every state object of one jcstress test (a store per state would cost
 * files and milliseconds each, millions of times), with a reader of its public side. Each state
 * uses keys of its own. The store takes writers from several threads (its write lock), so the
 * daemon actor of one state and the arbiter cleaning up another may write at once; the reader
 * reads lock-free as a client does. Small chunks (4 KiB; an entry of 1 KiB or more gets a chunk of
 * its own) make chunks fill, die and come back with new incarnations often.
 */
final class StoreFixture {
    static final Owner PUBLIC = new Owner(0, 0, 0644);
    static final Owner PRIVATE = new Owner(0, 0, 0600);

    final MappedStore store;
    final StoreReader reader;
    private final Path dir;
    private final AtomicLong versions = new AtomicLong();
    private final AtomicLong keys = new AtomicLong();

    /** A change for {@link MappedStore#apply}. */
    private record Op(
            int changeKind,
            byte[] key,
            byte[] value,
            long version,
            @Nullable Owner owner) implements MappedStore.Change {}

    StoreFixture(String name) {
        try {
            Path shm = Path.of("/dev/shm");
            dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of("/tmp"), "jcstress-" + name);
            store = MappedStore.create(
                    new MappedStore.Settings(dir, 0600, -1, o -> (o.mode() & 0444) == 0444),
                    1,
                    CrashPoints.NONE,
                    new Side.Chunking(4096, 4096, 1024));
            reader = StoreReader.open(store.publicDir(), store.generation());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::delete));
    }

    private void delete() {
        store.abandon();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory: best effort
        }
    }

    byte[] newKey() {
        return ("k" + keys.incrementAndGet()).getBytes(StandardCharsets.US_ASCII);
    }

    /** Applies a PUT; returns its version. */
    long put(byte[] key, byte[] value, Owner owner) {
        long v = versions.incrementAndGet();
        apply(new Op(MappedStore.Change.PUT, key, value, v, owner));
        return v;
    }

    void delete(byte[] key) {
        apply(new Op(MappedStore.Change.DELETE, key, new byte[0], versions.incrementAndGet(), null));
    }

    void chmod(byte[] key, Owner owner) {
        apply(new Op(MappedStore.Change.OWNER, key, new byte[0], versions.incrementAndGet(), owner));
    }

    void compact() {
        try {
            store.compactStepForTest();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void rebuild() {
        try {
            store.rebuildForTest();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void apply(Op op) {
        try {
            store.apply(List.of(op), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code length} bytes, each {@code b}. */
    static byte[] filled(int length, int b) {
        byte[] v = new byte[length];
        Arrays.fill(v, (byte) b);
        return v;
    }

    /** The byte every byte of {@code value} holds, or -1 when they differ or the value is empty. */
    static int uniformByte(byte[] value) {
        if (value.length == 0) {
            return -1;
        }
        byte b = value[0];
        for (byte x : value) {
            if (x != b) {
                return -1;
            }
        }
        return b;
    }

    /**
     * The client actor of a test of two writes of one key (bytes 1, then bytes 2): {@code r1} the
     * byte the value read holds (-1 if mixed), {@code r2} its length (0: nothing found); returns the
     * version read (0: none).
     */
    long readInto(byte[] key, III_Result r) {
        if (reader.lookup(key) instanceof StoreReader.Found f) {
            r.r1 = uniformByte(f.value());
            r.r2 = f.value().length;
            return f.version();
        }
        return 0;
    }

    /** The arbiter of such a test: {@code r3} 1 when the bytes read are those of the version read. */
    static void judge(III_Result r, long seen, long v1, long v2) {
        if (r.r2 != 0) {
            r.r3 = r.r1 == 1 && seen == v1 || r.r1 == 2 && seen == v2 ? 1 : 0;
        }
    }

    /** 1 found, 0 unknown (ask the daemon), -1 absent. */
    static int kind(StoreReader.Result r) {
        return r instanceof StoreReader.Found ? 1 : r == StoreReader.ABSENT ? -1 : 0;
    }
}
