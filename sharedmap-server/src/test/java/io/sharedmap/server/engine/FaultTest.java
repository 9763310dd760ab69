package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.Durability;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Storage faults (injected through {@link Faults}): the engine never acknowledges what it did not
 * persist, refuses later changes clearly, keeps serving what was durable, and recovers every
 * acknowledged change after a restart.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearFaults() {
        System.clearProperty(Faults.PROPERTY);
    }

    private Engine open(Durability d, String faults) throws IOException {
        return open(d, faults, 1000);
    }

    private Engine open(Durability d, String faults, int fsyncIntervalMs) throws IOException {
        if (faults == null) {
            System.clearProperty(Faults.PROPERTY);
        } else {
            System.setProperty(Faults.PROPERTY, faults);
        }
        return Engine.open(new EngineConfig(dir, d, fsyncIntervalMs, 1L << 30));
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @ParameterizedTest
    @EnumSource(
            value = Durability.class,
            names = {"ALWAYS", "INTERVAL"})
    void diskFull_changesAfterItRefused_acknowledgedOnesSurviveRestart(Durability d) throws IOException {
        diskFull(d, "fail-write-after=40");
    }

    /**
     * A disk that fills up as a real one does under mapped appends: the zero-fill of the room ahead
     * fails first (records then go through write(2)), then the writes themselves.
     */
    @ParameterizedTest
    @EnumSource(
            value = Durability.class,
            names = {"ALWAYS", "INTERVAL"})
    void diskFull_preallocationFailsFirst_thenWrites_sameOutcome(Durability d) throws IOException {
        diskFull(d, "fail-preallocate-after=0,fail-write-after=40");
    }

    private void diskFull(Durability d, String faults) throws IOException {
        List<String> acknowledged = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        try (Engine e = open(d, faults)) {
            for (int i = 0; i < 60; i++) {
                String key = "k" + i;
                try {
                    Results.Write w = e.set(b(key), b("v" + i));
                    e.awaitDurable(w.visibleVersion());
                    acknowledged.add(key);
                } catch (JournalFailedException ex) {
                    assertThat(ex).hasMessageContaining("No space left on device");
                    refused.add(key);
                }
            }
            assertThat(acknowledged).hasSize(40);
            assertThat(refused).hasSize(20);
            assertThat(e.stats().journalFailed()).isTrue();
            Results.Lookup durable = e.get(b("k0"));
            e.awaitDurable(durable.visibleVersion()); // what was durable is still served
            // k40 was published to the index before its write failed: it must never be shown.
            Results.Lookup notDurable = e.get(b("k40"));
            assertThat(notDurable.entry()).isNotNull();
            assertThatThrownBy(() -> e.awaitDurable(notDurable.visibleVersion()))
                    .as("a value that never reached the journal is never shown")
                    .isInstanceOf(JournalFailedException.class);
            assertThat(e.get(b("k45")).entry())
                    .as("refused before it was applied")
                    .isNull();
        }
        try (Engine e = open(d, null)) {
            for (String k : acknowledged) {
                assertThat(e.get(b(k)).entry()).as(k).isNotNull();
            }
            for (String k : refused) {
                assertThat(e.get(b(k)).entry())
                        .as("%s was refused, so it must not appear", k)
                        .isNull();
            }
            e.awaitDurable(e.set(b("after"), b("restart")).visibleVersion());
        }
    }

    @Test
    void fsyncFailure_alwaysMode_changeNotAcknowledged() throws IOException {
        try (Engine e = open(Durability.ALWAYS, "fail-fsync-after=3")) {
            for (int i = 0; i < 3; i++) {
                e.awaitDurable(e.set(b("ok" + i), b("v")).visibleVersion());
            }
            Results.Write w = e.set(b("lost"), b("v"));
            assertThatThrownBy(() -> e.awaitDurable(w.visibleVersion()))
                    .isInstanceOf(JournalFailedException.class)
                    .hasMessageContaining("Input/output error on fsync");
            assertThatThrownBy(() -> e.set(b("later"), b("v")))
                    .isInstanceOf(JournalFailedException.class)
                    .hasMessageContaining("refused");
        }
        try (Engine e = open(Durability.ALWAYS, null)) {
            for (int i = 0; i < 3; i++) {
                assertThat(e.get(b("ok" + i)).entry()).isNotNull();
            }
        }
    }

    /**
     * In interval mode a snapshot's rotation first writes the segment back without holding the
     * writers; if that fsync fails, the journal fails there (the kernel may have dropped the dirty
     * pages, so no later fsync could prove them durable): the snapshot fails, later changes are
     * refused, and what was written before survives a restart.
     */
    @Test
    void fsyncFailure_atTheRotationsWriteBack_intervalMode_journalFailsAndWrittenChangesSurvive() throws IOException {
        // No background fsync during the test (once a minute): the rotation's is the first one.
        try (Engine e = open(Durability.INTERVAL, "fail-fsync-after=0", 60_000)) {
            for (int i = 0; i < 3; i++) {
                e.awaitDurable(e.set(b("ok" + i), b("v")).visibleVersion());
            }
            assertThatThrownBy(e::snapshot)
                    .isInstanceOf(JournalFailedException.class)
                    .hasMessageContaining("Input/output error on fsync");
            assertThatThrownBy(() -> e.set(b("later"), b("v")))
                    .isInstanceOf(JournalFailedException.class)
                    .hasMessageContaining("refused");
        }
        try (Engine e = open(Durability.INTERVAL, null)) {
            for (int i = 0; i < 3; i++) {
                assertThat(e.get(b("ok" + i)).entry()).isNotNull();
            }
            assertThat(e.get(b("later")).entry()).isNull();
        }
    }

    @Test
    void slowDisk_stillCorrect() throws IOException {
        try (Engine e = open(Durability.ALWAYS, "delay-write-us=200,delay-fsync-us=2000")) {
            for (int i = 0; i < 20; i++) {
                e.awaitDurable(e.set(b("k" + i), b("v" + i)).visibleVersion());
            }
        }
        try (Engine e = open(Durability.ALWAYS, null)) {
            assertThat(e.stats().keys()).isEqualTo(20);
        }
    }

    @Test
    void faultsProperty_malformed_refusedClearly() {
        assertThatThrownBy(() -> open(Durability.ALWAYS, "fail-everything=1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown fault 'fail-everything'");
    }
}
