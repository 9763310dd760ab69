package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.tests.clients.Dump;
import io.sharedmap.tests.clients.Values;
import io.sharedmap.tests.clients.Verify;
import io.sharedmap.tests.clients.WriteLog;
import io.sharedmap.tests.support.DaemonProcess;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The checkers the system tests rely on, fed made-up outputs: each must pass a correct history and
 * catch each kind of broken promise. (A checker that cannot fail proves nothing.)
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CheckersTest {
    private static final List<String> WRITER = List.of(
            "READY tag=w0",
            "A key=w0.0/k1 tag=w0.0 seq=1 version=10",
            "A key=w0.0/k0 tag=w0.0 seq=2 version=11",
            "A key=w0.0/k1 tag=w0.0 seq=3 version=12",
            "L key=w0.0/k0 tag=w0.0 seq=4 reason=unavailable",
            "N key=w0.0/k1 tag=w0.0 seq=5 reason=SHUTTING_DOWN",
            "A key=w0.0/k0 tag=w0.0 seq=6 version=20",
            "DONE tag=w0.0 lastSeq=6 acks=4");

    private static WriteLog log() {
        return WriteLog.parse(Map.of("writer-0", WRITER));
    }

    private static Dump dump(String... entries) {
        List<String> lines = new ArrayList<>(Arrays.asList(entries));
        lines.add("END " + entries.length);
        return Dump.parse(lines);
    }

    @Test
    void durability_correctHistory_noProblems() {
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 20 w0.0 6 1 20 200 200", "E w0.0/k1 12 w0.0 3 1 12 200 200"), true))
                .isEmpty();
        // The unknown-outcome write may have landed after all.
        assertThat(Verify.durability(
                        WriteLog.parse(Map.of("w", WRITER.subList(0, 5))),
                        dump("E w0.0/k0 13 w0.0 4 1 13 200 200", "E w0.0/k1 12 w0.0 3 1 12 200 200"),
                        true))
                .isEmpty();
    }

    @Test
    void durability_lostAcknowledgedWrite_reported() {
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 11 w0.0 2 1 11 200 200", "E w0.0/k1 12 w0.0 3 1 12 200 200"), true))
                .anyMatch(p -> p.contains("acknowledged write was lost"));
        assertThat(Verify.durability(log(), dump("E w0.0/k1 12 w0.0 3 1 12 200 200"), true))
                .anyMatch(p -> p.contains("w0.0/k0") && p.contains("gone"));
    }

    @Test
    void durability_neverWrittenOrNotExecuted_reported() {
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 20 w0.0 6 1 20 200 200", "E w0.0/k1 30 w0.0 7 1 30 200 200"), true))
                .anyMatch(p -> p.contains("never written"));
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 20 w0.0 6 1 20 200 200", "E w0.0/k1 30 w0.0 5 1 30 200 200"), true))
                .anyMatch(p -> p.contains("SHUTTING_DOWN"));
        assertThat(Verify.durability(
                        log(),
                        dump(
                                "E w0.0/k0 20 w0.0 6 1 20 200 200",
                                "E w0.0/k1 12 w0.0 3 1 12 200 200",
                                "E stranger 5 w9.0 1 1 5 200 200"),
                        true))
                .anyMatch(p -> p.contains("stranger"));
    }

    @Test
    void durability_wrongVersionCorruptValueOrScanMismatch_reported() {
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 21 w0.0 6 1 21 200 200", "E w0.0/k1 12 w0.0 3 1 12 200 200"), true))
                .anyMatch(p -> p.contains("with version 21"));
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 20 CORRUPT - 1 20 200 200", "E w0.0/k1 12 w0.0 3 1 12 200 200"), true))
                .anyMatch(p -> p.contains("torn or mixed"));
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 20 w0.0 6 0 0 -1 200", "E w0.0/k1 12 w0.0 3 1 11 200 200"), true))
                .anyMatch(p -> p.contains("did not return it"))
                .anyMatch(p -> p.contains("scan says version 11"));
    }

    @Test
    void durability_concurrentDump_checksOnlyLowerBounds() {
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 40 w0.0 8 0 0 -1 200", "E w0.0/k1 41 w0.0 9 1 12 200 200"), false))
                .isEmpty();
        assertThat(Verify.durability(
                        log(), dump("E w0.0/k0 11 w0.0 2 1 11 200 200", "E w0.0/k1 41 w0.0 9 1 12 200 200"), false))
                .isNotEmpty()
                .allMatch(p -> p.startsWith("w0.0/k0"));
    }

    @Test
    void lastWriteWins_olderValueOnSharedKey_reported() {
        WriteLog shared = WriteLog.parse(Map.of(
                "a", List.of("A key=shared/k0 tag=w0.0 seq=1 version=5", "A key=shared/k0 tag=w0.0 seq=2 version=9"),
                "b", List.of("A key=shared/k0 tag=w1.0 seq=1 version=7")));
        assertThat(Verify.lastWriteWins(shared, dump("E shared/k0 9 w0.0 2 1 9 100 100")))
                .isEmpty();
        assertThat(Verify.lastWriteWins(shared, dump("E shared/k0 7 w1.0 1 1 7 100 100")))
                .anyMatch(p -> p.contains("older acknowledged value"));
        assertThat(Verify.lastWriteWins(shared, dump("E shared/k0 8 w1.0 2 1 8 100 100")))
                .anyMatch(p -> p.contains("no writer was acknowledged"));
    }

    @Test
    void seenValuesSurvive_valueShownThenLost_reported() {
        WriteLog reader = WriteLog.parse(Map.of(
                "reader",
                List.of(
                        "S key=w0.0/k0 tag=w0.0 seq=6 version=20",
                        "S key=w0.0/k0 tag=w0.0 seq=2 version=11",
                        "READS reads=100 direct=0 socket=0")));
        assertThat(Verify.seenValuesSurvive(reader, dump("E w0.0/k0 20 w0.0 6 1 20 200 200")))
                .isEmpty();
        assertThat(Verify.seenValuesSurvive(reader, dump("E w0.0/k0 11 w0.0 2 1 11 200 200")))
                .anyMatch(p -> p.contains("a reader was shown w0.0 seq 6"));
        assertThat(Verify.seenValuesSurvive(reader, dump())).anyMatch(p -> p.contains("gone"));
        assertThat(Verify.seenValuesSurvive(
                        WriteLog.parse(Map.of("reader", List.of("CORRUPT key=w0.0/k0 version=3 fromStore=false"))),
                        dump()))
                .hasSize(1);
    }

    @Test
    void prefixConsistency_laterWriteSurvivedEarlierAckedLost_reported() {
        // w0.0 acked seq 3 on k1, then seq 6 on k0. Seq 6 surviving with k1 back at seq 1 is no prefix.
        assertThat(Verify.prefixConsistency(
                        log(), dump("E w0.0/k0 20 w0.0 6 1 20 200 200", "E w0.0/k1 12 w0.0 3 1 12 200 200")))
                .isEmpty();
        assertThat(Verify.prefixConsistency(
                        log(), dump("E w0.0/k0 11 w0.0 2 1 11 200 200", "E w0.0/k1 10 w0.0 1 1 10 200 200")))
                .isEmpty();
        assertThat(Verify.prefixConsistency(
                        WriteLog.parse(Map.of(
                                "w",
                                List.of(
                                        "A key=w0.0/k1 tag=w0.0 seq=1 version=10",
                                        "A key=w0.0/k0 tag=w0.0 seq=2 version=11",
                                        "A key=w0.0/k1 tag=w0.0 seq=3 version=12",
                                        "A key=w0.0/k0 tag=w0.0 seq=4 version=13"))),
                        dump("E w0.0/k0 13 w0.0 4 1 13 200 200", "E w0.0/k1 10 w0.0 1 1 10 200 200")))
                .anyMatch(p -> p.contains("not a prefix"));
    }

    @Test
    void versionProblems_duplicateOrDecreasingVersions_reported() {
        assertThat(log().versionProblems()).isEmpty();
        assertThat(WriteLog.parse(Map.of(
                                "a", List.of("A key=k tag=w0.0 seq=1 version=5", "A key=k tag=w0.0 seq=2 version=5")))
                        .versionProblems())
                .isNotEmpty();
        assertThat(WriteLog.parse(Map.of(
                                "a", List.of("A key=k tag=w0.0 seq=1 version=5", "A key=k tag=w0.0 seq=2 version=3")))
                        .versionProblems())
                .isNotEmpty();
        assertThat(WriteLog.parse(Map.of(
                                "a",
                                List.of("A key=k tag=w0.0 seq=1 version=5"),
                                "b",
                                List.of("A key=j tag=w1.0 seq=1 version=5")))
                        .versionProblems())
                .anyMatch(p -> p.contains("twice"));
    }

    @Test
    void values_roundTripAndDetectDamage() {
        byte[] v = Values.make("w3.1", 42, 300);
        assertThat(v).hasSize(300);
        assertThat(Values.parse(v)).isEqualTo(new Values.Origin("w3.1", 42));
        v[200] ^= 1;
        assertThat(Values.parse(v)).isNull();
        assertThat(Values.parse(Arrays.copyOf(Values.make("w3.1", 42, 300), 299)))
                .isNull();
        assertThat(Values.parse("w3.1:43:".getBytes(StandardCharsets.US_ASCII))).isNotNull();
        assertThat(Values.parse(new byte[0])).isNull();
    }

    @Test
    void unexpectedErrors_onlyUnallowedErrorLines() {
        List<String> daemonLog = List.of(
                "2026-11-21T20:00:00.123Z INFO [main] SharedMapServer: serving",
                "2026-11-21T20:00:00.124Z ERROR [conn-1] Connection: connection failed unexpectedly",
                "\tat io.sharedmap.server.Connection.run(Connection.java:87)",
                "2026-11-21T20:00:00.125Z WARNING [main] x: ERROR in the message is not an error line",
                "2026-11-21T20:00:00.126Z ERROR [engine] Engine: snapshot failed",
                "Exception in thread \"main\" java.lang.IllegalStateException");
        assertThat(DaemonProcess.unexpectedErrors(daemonLog, List.of())).hasSize(3);
        assertThat(DaemonProcess.unexpectedErrors(daemonLog, List.of(Pattern.compile("snapshot failed"))))
                .hasSize(2)
                .noneMatch(l -> l.contains("snapshot"));
    }
}
