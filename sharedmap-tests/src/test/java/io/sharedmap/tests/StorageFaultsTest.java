package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.ServerFailureException;
import io.sharedmap.client.SharedMap;
import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Storage faults at system level: a disk that really fills up (a 4 MiB tmpfs, as root), fsync
 * errors and a slow disk injected with {@code -Dsharedmap.faults}, a corrupted journal tail, a
 * corrupted or truncated snapshot. The daemon says what went wrong, never acknowledges what it did
 * not persist, keeps serving durable reads, and never starts silently with lost data.
 */
class StorageFaultsTest {
    private static final Options PLAIN = Options.defaults().recovering(false);

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private Path mounted;

    @AfterEach
    void unmount() throws Exception {
        if (mounted != null) {
            for (DaemonProcess d : env.daemons()) {
                if (d.isAlive()) {
                    d.kill9(); // a daemon holding files open would keep the tmpfs busy
                }
            }
            int code = run("umount", mounted.toString());
            assertThat(code).as("umount %s", mounted).isZero();
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        if (p.exitValue() != 0) {
            System.err.println(String.join(" ", command) + ": " + out);
        }
        return p.exitValue();
    }

    private static byte[] value(String key, int size) {
        byte[] v = new byte[size];
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            v[i] = (byte) (k[i % k.length] + i / k.length);
        }
        return v;
    }

    /** SETs fresh keys until a STORAGE_FAILURE (or {@code max} writes); returns what was acknowledged. */
    private static Map<String, byte[]> writeUntilStorageFailure(
            SharedMap map, String prefix, int size, int max, List<ServerFailureException> failure) {
        Map<String, byte[]> acked = new LinkedHashMap<>();
        for (int i = 0; i < max; i++) {
            String key = prefix + i;
            byte[] v = value(key, size);
            try {
                map.set(key.getBytes(StandardCharsets.UTF_8), v);
                acked.put(key, v);
            } catch (ServerFailureException e) {
                failure.add(e);
                return acked;
            }
        }
        return acked;
    }

    private static void assertAllPresent(SharedMap map, Map<String, byte[]> acked, String when) {
        for (Map.Entry<String, byte[]> e : acked.entrySet()) {
            Optional<Entry> got = map.get(e.getKey());
            assertThat(got).as("%s: acknowledged key %s", when, e.getKey()).isPresent();
            assertThat(Arrays.equals(got.get().value(), e.getValue()))
                    .as("%s: value of %s", when, e.getKey())
                    .isTrue();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void diskFull_realTmpfs_storageFailureNothingUnpersistedAckedReadsServed_allBackAfterSpaceFreed() throws Exception {
        assumeTrue(
                "root".equals(System.getProperty("user.name")),
                "not root: cannot mount a 4 MiB tmpfs to fill (run the tests as root for the real disk-full case)");
        Path mnt = env.newDir("mnt");
        assumeTrue(
                run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt.toString()) == 0,
                "mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?): skipping the real disk-full case");
        mounted = mnt;
        env.allowDaemonErrors("(?i)(space|journal|storage|write|fsync|I/O)");
        // Room to free later: 512 KiB the daemon cannot use while this file is there.
        Path filler = mnt.resolve("filler");
        Files.write(filler, new byte[512 * 1024]);
        DaemonProcess.Spec spec = env.daemonSpec()
                .withDataDir(mnt.resolve("data"))
                .withServerArgs("--snapshot-min-journal-bytes", Long.toString(1L << 30));
        DaemonProcess daemon = env.startDaemon(spec);
        Map<String, byte[]> acked;
        try (SharedMap map = SharedMap.connect(daemon.socket(), PLAIN)) {
            List<ServerFailureException> failure = new ArrayList<>();
            acked = writeUntilStorageFailure(map, "k", 8 * 1024, 2000, failure);
            assertThat(failure)
                    .as("a write on a full 4 MiB disk after %d acknowledged 8 KiB values", acked.size())
                    .hasSize(1);
            assertThat(failure.get(0).errorCode()).contains(ErrorCode.STORAGE_FAILURE);
            assertThat(failure.get(0).getMessage()).as("the error says why").isNotBlank();
            assertThat(acked.size()).as("acknowledged before the disk filled").isGreaterThan(100);
            // From now on every change is refused, durable reads are served.
            for (int i = 0; i < 5; i++) {
                try {
                    map.set("after-" + i, "x");
                    throw new AssertionError("a SET was acknowledged after the journal failed");
                } catch (ServerFailureException e) {
                    assertThat(e.errorCode()).contains(ErrorCode.STORAGE_FAILURE);
                }
            }
            assertAllPresent(map, acked, "while the disk is full");
            assertThat(map.stats().get("journal_failed"))
                    .as("STATS journal_failed")
                    .isNotIn("0", "false", null);
        }
        daemon.sigterm();
        daemon.awaitExit(DaemonProcess.STOP_TIMEOUT); // exit status after a storage failure is not the point here
        Files.delete(filler);
        DaemonProcess restarted = env.startDaemon(spec);
        try (SharedMap map = SharedMap.connect(restarted.socket(), PLAIN)) {
            assertAllPresent(map, acked, "after freeing space and restarting");
            for (String a : List.of("after-0", "after-4")) {
                assertThat(map.get(a))
                        .as("%s was refused, never acknowledged", a)
                        .isEmpty();
            }
            map.set("new", "works again");
            assertThat(map.get("new").orElseThrow().valueAsString()).isEqualTo("works again");
        }
        restarted.stop();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void fsyncFails_durabilityAlways_storageFailureDurableReadsServed_ackedSurviveKill9() {
        env.allowDaemonErrors("(?i)(fsync|journal|storage|I/O|injected)");
        DaemonProcess.Spec spec = env.daemonSpec().withDurability("always");
        DaemonProcess daemon = env.startDaemon(spec.withJvmArgs("-Dsharedmap.faults=fail-fsync-after=40"));
        Map<String, byte[]> acked;
        try (SharedMap map = SharedMap.connect(daemon.socket(), PLAIN)) {
            List<ServerFailureException> failure = new ArrayList<>();
            acked = writeUntilStorageFailure(map, "k", 300, 1000, failure);
            assertThat(failure).as("a write after 40 fsyncs").hasSize(1);
            assertThat(failure.get(0).errorCode()).contains(ErrorCode.STORAGE_FAILURE);
            assertThat(acked.size())
                    .as("acknowledged: at most one per successful fsync")
                    .isBetween(1, 40);
            assertAllPresent(map, acked, "after the fsync failure");
        }
        daemon.kill9();
        try (SharedMap map = SharedMap.connect(env.startDaemon(spec).socket(), PLAIN)) {
            assertAllPresent(map, acked, "after kill -9 and a restart without faults");
        }
    }

    /**
     * A slow disk (every fsync takes 300 ms, durability always): writes still complete, correctly,
     * and a GET of a durable key does not queue behind the slow fsyncs of other keys' writes.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void slowDisk_fsyncTakes300ms_writesCompleteAndDurableReadsDoNotWaitForIt() throws Exception {
        DaemonProcess daemon = env.startDaemon(
                env.daemonSpec().withDurability("always").withJvmArgs("-Dsharedmap.faults=delay-fsync-us=300000"));
        try (SharedMap map = SharedMap.connect(daemon.socket(), PLAIN)) {
            long t0 = System.nanoTime();
            map.set("stable", "durable value");
            assertThat(System.nanoTime() - t0)
                    .as("a write waits for its slow fsync")
                    .isGreaterThan(250_000_000L);
            Thread writer = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 8; i++) {
                    map.set("slow" + i, "v" + i);
                }
            });
            long maxGetNs = 0;
            int gets = 0;
            while (writer.isAlive() && gets < 100_000) {
                long s = System.nanoTime();
                assertThat(map.get("stable").orElseThrow().valueAsString()).isEqualTo("durable value");
                maxGetNs = Math.max(maxGetNs, System.nanoTime() - s);
                gets++;
            }
            assertThat(writer.join(Duration.ofSeconds(30)))
                    .as("8 writes at 300 ms per fsync finish")
                    .isTrue();
            assertThat(maxGetNs)
                    .as("slowest of %d GETs of a durable key during slow fsyncs", gets)
                    .isLessThan(250_000_000L);
            for (int i = 0; i < 8; i++) {
                assertThat(map.get("slow" + i).orElseThrow().valueAsString()).isEqualTo("v" + i);
            }
        }
    }

    private static Path activeSegment(Path dataDir) throws IOException {
        try (Stream<Path> s = Files.list(dataDir)) {
            return s.filter(p -> p.getFileName().toString().matches("journal-\\d+\\.log"))
                    .max(Path::compareTo)
                    .orElseThrow();
        }
    }

    private Map<String, byte[]> fill(Path socket, int keys, int size) {
        Map<String, byte[]> written = new LinkedHashMap<>();
        try (SharedMap map = SharedMap.connect(socket, PLAIN)) {
            for (int i = 0; i < keys; i++) {
                String k = "key" + i;
                map.set(k.getBytes(StandardCharsets.UTF_8), value(k, size));
                written.put(k, value(k, size));
            }
        }
        return written;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"garbage appended", "last record cut short"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void corruptedJournalTail_droppedReportedSavedAside_restKept(String damage) throws Exception {
        DaemonProcess.Spec spec = env.daemonSpec();
        DaemonProcess daemon = env.startDaemon(spec);
        Map<String, byte[]> written = fill(daemon.socket(), 100, 200);
        daemon.stop();
        Path segment = activeSegment(spec.dataDir());
        long size = Files.size(segment);
        long expectedDropped;
        if (damage.startsWith("garbage")) {
            byte[] garbage = new byte[100];
            new Random(7).nextBytes(garbage);
            Files.write(segment, garbage, StandardOpenOption.APPEND);
            expectedDropped = 100;
        } else {
            try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
                f.setLength(size - 50); // the last record (key99, 200-byte value) loses its last 50 bytes
            }
            written.remove("key99");
            expectedDropped = -1; // the rest of that record: its length depends on the record layout
        }
        DaemonProcess restarted = env.startDaemon(spec);
        Map<String, String> restartedStats;
        try (SharedMap map = SharedMap.connect(restarted.socket(), PLAIN)) {
            Map<String, String> stats = map.stats();
            restartedStats = stats;
            long dropped = Long.parseLong(stats.get("recovery_dropped_bytes"));
            if (expectedDropped > 0) {
                assertThat(dropped).as("STATS %s", stats).isEqualTo(expectedDropped);
            } else {
                assertThat(dropped).as("STATS %s", stats).isBetween(1L, 250L);
            }
            assertThat(stats.get("recovery_drop_reason"))
                    .as("drop reason")
                    .isNotBlank()
                    .isNotEqualTo("none");
            assertAllPresent(map, written, "after recovery from a damaged tail");
            if (!damage.startsWith("garbage")) {
                assertThat(map.get("key99"))
                        .as("the torn record is not half-applied")
                        .isEmpty();
            }
            map.set("after", "ok");
        }
        try (Stream<Path> s = Files.list(spec.dataDir())) {
            List<Path> damaged = s.filter(p -> p.getFileName().toString().contains(".damaged-"))
                    .toList();
            assertThat(damaged).as("the dropped tail saved aside").hasSize(1);
            assertThat(Files.size(damaged.get(0)))
                    .as("saved tail size")
                    .isEqualTo(Long.parseLong(restartedStats.get("recovery_dropped_bytes")));
        }
        assertThat(restarted.logLines())
                .as("a WARNING about the dropped tail")
                .anyMatch(l -> l.contains("WARNING")
                        && l.contains(segment.getFileName().toString()));
        restarted.stop();
        try (SharedMap map = SharedMap.connect(env.startDaemon(spec).socket(), PLAIN)) {
            assertThat(map.stats().get("recovery_dropped_bytes"))
                    .as("the next start finds nothing to drop")
                    .isEqualTo("0");
            assertThat(map.get("after").orElseThrow().valueAsString()).isEqualTo("ok");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"byte flipped", "truncated"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void damagedSnapshot_refusesToStartNamingTheFile_exit6_filesLeftAlone(String damage) throws Exception {
        DaemonProcess.Spec spec = env.daemonSpec().withServerArgs("--snapshot-min-journal-bytes", "1048576");
        DaemonProcess daemon = env.startDaemon(spec);
        try (SharedMap map = SharedMap.connect(daemon.socket(), PLAIN)) {
            for (int round = 0; round < 40 && Long.parseLong(map.stats().get("snapshots")) == 0; round++) {
                for (int i = 0; i < 50; i++) {
                    String k = "key" + i;
                    map.set(k.getBytes(StandardCharsets.UTF_8), value(k + round, 4096));
                }
            }
            // 40 rounds write ~8 MiB, past the 1 MiB threshold; the snapshot runs in the background and
            // is counted when it finishes, which on a loaded machine may be after the last write.
            Await.until(
                    "a snapshot was taken", () -> !map.stats().get("snapshots").equals("0"), Duration.ofSeconds(60));
        }
        daemon.stop();
        Path snapshot;
        try (Stream<Path> s = Files.list(spec.dataDir())) {
            snapshot = s.filter(p -> p.getFileName().toString().endsWith(".snap"))
                    .max(Path::compareTo)
                    .orElseThrow();
        }
        long size = Files.size(snapshot);
        try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
            if (damage.equals("truncated")) {
                f.setLength(size / 2);
            } else {
                f.seek(size / 2);
                int b = f.read();
                f.seek(size / 2);
                f.write(b ^ 0x10);
            }
        }
        byte[] damagedBytes = Files.readAllBytes(snapshot);
        env.allowDaemonErrors(snapshot.getFileName().toString());
        DaemonProcess refused = env.launchDaemon(spec);
        int code = refused.awaitExit(Duration.ofSeconds(60));
        assertThat(code)
                .as(
                        "exit code of a daemon on a damaged snapshot%s",
                        refused.process().describeEnd())
                .isEqualTo(6);
        assertThat(refused.output())
                .as("the message names the snapshot")
                .contains(snapshot.getFileName().toString());
        assertThat(refused.stdoutLines())
                .as("never announced it serves")
                .noneMatch(l -> l.startsWith(DaemonProcess.READY_PREFIX));
        assertThat(Files.readAllBytes(snapshot))
                .as("the snapshot is left as it was, for restore")
                .isEqualTo(damagedBytes);
        assertThat(Files.exists(spec.socket())).as("no socket served").isFalse();
    }
}
