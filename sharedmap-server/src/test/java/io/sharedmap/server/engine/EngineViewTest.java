package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.protocol.view.ViewReader;
import io.sharedmap.server.Durability;
import io.sharedmap.server.security.Caller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The engine keeps its shared-memory view equal to the durable store, and retires it when replaced. */
class EngineViewTest {
    @TempDir
    Path dir;

    private static final Caller ALICE = new Caller(1001, 100, new long[] {100}, false);

    private EngineConfig config(Durability d) {
        return new EngineConfig(dir, d, 1000, 1L << 30)
                .withView(new ViewSettings(dir.resolve("view"), 1024, 256, 0640, -1, 0));
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static ViewReader reader(Engine e) throws IOException {
        Engine.ViewInfo v = e.view();
        assertThat(v).isNotNull();
        return ViewReader.open(v.file(), v.generation());
    }

    private static String valueOf(ViewReader r, String key) {
        ViewReader.Hit h = r.lookup(b(key));
        return h == null ? null : new String(h.value(), UTF_8);
    }

    @ParameterizedTest
    @EnumSource(
            value = Durability.class,
            names = {"ALWAYS", "INTERVAL"})
    void acknowledgedChanges_areInTheView(Durability d) throws Exception {
        try (Engine e = Engine.open(config(d))) {
            ViewReader r = reader(e);
            Results.Write w = e.set(b("a"), b("1"));
            e.awaitDurable(w.visibleVersion());
            assertThat(valueOf(r, "a")).isEqualTo("1");
            assertThat(r.lookup(b("a")).version()).isEqualTo(w.version());
            e.awaitDurable(e.set(b("a"), b("22")).visibleVersion());
            assertThat(valueOf(r, "a")).isEqualTo("22");
            e.awaitDurable(e.delete(b("a"), 0).visibleVersion());
            assertThat(r.lookup(b("a"))).isNull();
            e.awaitDurable(e.set(b("big"), new byte[300]).visibleVersion());
            assertThat(r.lookup(b("big"))).as("larger than a slot: socket only").isNull();
            assertThat(e.viewStats().withdrawnTooLarge()).isEqualTo(1);
        }
    }

    @Test
    void keysTheFilesReadersMayNotRead_areNeverPublished() throws Exception {
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            ViewReader r = reader(e);
            e.awaitDurable(
                    e.set(ALICE, ALICE.newOwner(077), b("secret"), b("s"), 0, 0).visibleVersion()); // 0600
            e.awaitDurable(
                    e.set(ALICE, ALICE.newOwner(022), b("public"), b("p"), 0, 0).visibleVersion()); // 0644
            e.awaitDurable(
                    e.set(ALICE, ALICE.newOwner(027), b("team"), b("t"), 0, 0).visibleVersion()); // 0640 group 100
            assertThat(valueOf(r, "secret")).isNull();
            assertThat(valueOf(r, "public")).isEqualTo("p");
            assertThat(valueOf(r, "team"))
                    .as("group 100 is not the view file's group")
                    .isNull();
            e.awaitDurable(e.chmod(ALICE, b("secret"), false, 0644).visibleVersion());
            assertThat(valueOf(r, "secret")).as("chmod made it readable by all").isEqualTo("s");
            e.awaitDurable(e.chmod(ALICE, b("public"), false, 0600).visibleVersion());
            assertThat(valueOf(r, "public")).as("chmod made it private").isNull();
            long viewGid = ((Number) Files.getAttribute(dir.resolve("view"), "unix:gid")).longValue();
            e.awaitDurable(e.chown(Caller.ROOT, b("team"), false, -1, viewGid).visibleVersion());
            assertThat(valueOf(r, "team"))
                    .as("now in the view file's group, which may read it")
                    .isEqualTo("t");
        }
    }

    /**
     * A chmod 600 whose journal record the disk refuses has changed the index already (the socket
     * answers PERMISSION_DENIED) but will never reach the view: the failed journal retires the view,
     * so the value is not left readable there.
     */
    @Test
    void journalFailure_retiresTheView_soARefusedChmodLeavesNothingReadable() throws Exception {
        System.setProperty(Faults.PROPERTY, "fail-write-after=1");
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            System.clearProperty(Faults.PROPERTY);
            ViewReader r = reader(e);
            e.awaitDurable(
                    e.set(ALICE, ALICE.newOwner(022), b("public"), b("p"), 0, 0).visibleVersion());
            assertThat(valueOf(r, "public")).isEqualTo("p");
            long v = e.chmod(ALICE, b("public"), false, 0600).visibleVersion();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> e.awaitDurable(v))
                    .isInstanceOf(JournalFailedException.class);
            assertThat(valueOf(r, "public")).as("the view was retired").isNull();
            assertThat(e.viewStats().failed()).isTrue();
            assertThat(e.view()).as("no view is offered to new clients").isNull();
        } finally {
            System.clearProperty(Faults.PROPERTY);
        }
    }

    @Test
    void restart_retiresTheOldView_andPublishesTheRecoveredKeys() throws Exception {
        ViewReader old;
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            e.awaitDurable(e.set(b("k"), b("v1")).visibleVersion());
            old = reader(e);
        }
        assertThat(old.retired()).as("closed: readers go back to the socket").isTrue();
        assertThat(dir.resolve("view")).doesNotExist();
        try (Engine e = Engine.open(config(Durability.INTERVAL))) {
            ViewReader r = reader(e);
            assertThat(r.generation()).isNotEqualTo(old.generation());
            assertThat(valueOf(r, "k")).isEqualTo("v1");
        }
    }

    @Test
    void viewLeftByADeadDaemon_isRetiredBeforeTheNewOneServes() throws Exception {
        Path file = dir.resolve("view");
        // A view file as a killed daemon leaves it: LIVE, mapped by readers.
        try (var w = io.sharedmap.protocol.view.ViewWriter.create(
                file, 64, 64, 99, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"))) {
            w.put(b("k"), b("stale"), 1);
            ViewReader mapped = ViewReader.open(file, 99);
            try (Engine e = Engine.open(config(Durability.INTERVAL))) {
                assertThat(mapped.retired()).isTrue();
                assertThat(mapped.lookup(b("k"))).isNull();
                assertThat(reader(e).lookup(b("k"))).isNull();
            }
        }
    }

    @Test
    void neverMode_hasNoView() throws Exception {
        try (Engine e = Engine.open(config(Durability.NEVER))) {
            assertThat(e.view()).isNull();
            assertThat(dir.resolve("view")).doesNotExist();
        }
    }

    /**
     * Writers on several threads acknowledge (awaitDurable) and then record the version; readers
     * read the recorded version first, then the view: the view's version must never be older than one
     * acknowledged before the lookup, and a value must be whole. Bounded by count and time.
     */
    @ParameterizedTest
    @EnumSource(
            value = Durability.class,
            names = {"ALWAYS", "INTERVAL"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void readers_neverSeeOlderThanAcknowledged(Durability d) throws Exception {
        int keys = 8;
        try (Engine e = Engine.open(config(d))) {
            ViewReader r = reader(e);
            AtomicLong[] acked = new AtomicLong[keys];
            for (int k = 0; k < keys; k++) {
                acked[k] = new AtomicLong();
            }
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<String> problem = new AtomicReference<>();
            AtomicLong hits = new AtomicLong();
            for (int k = 0; k < keys; k++) {
                e.awaitDurable(e.set(b("key" + k), value(0)).visibleVersion());
            }
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (long n = 0; !done.get() && problem.get() == null; n++) {
                        int k = (int) (n % keys);
                        long floor = acked[k].get();
                        ViewReader.Hit h = r.lookup(b("key" + k));
                        if (h == null) {
                            continue; // a slot that kept changing for 64 tries: the client would ask the socket
                        }
                        hits.incrementAndGet();
                        long inValue = ByteBuffer.wrap(h.value()).getLong();
                        if (h.value().length != 8 + (int) (inValue % 50)) {
                            problem.compareAndSet(null, "key" + k + ": torn value");
                        }
                        if (h.version() < floor) {
                            problem.compareAndSet(
                                    null, "key" + k + ": version " + h.version() + " older than acknowledged " + floor);
                        }
                    }
                }));
            }
            List<Thread> writers = new ArrayList<>();
            AtomicLong counter = new AtomicLong();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(d == Durability.ALWAYS ? 10 : 20);
            for (int t = 0; t < 3; t++) {
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 20_000 && System.nanoTime() < deadline && problem.get() == null; i++) {
                            long n = counter.incrementAndGet();
                            int k = (int) (n % keys);
                            Results.Write w = e.set(b("key" + k), value(n));
                            e.awaitDurable(w.visibleVersion());
                            acked[k].accumulateAndGet(w.version(), Math::max); // versions of a key grow in apply order
                        }
                    } catch (JournalFailedException ex) {
                        problem.compareAndSet(null, ex.toString());
                    }
                }));
            }
            for (Thread t : writers) {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
            done.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertThat(problem.get()).isNull();
            assertThat(hits.get()).isPositive();
        }
    }

    /** A value that names its counter and whose length depends on it (8 to 57 bytes). */
    private static byte[] value(long n) {
        return ByteBuffer.allocate(8 + (int) (n % 50)).putLong(n).array();
    }
}
