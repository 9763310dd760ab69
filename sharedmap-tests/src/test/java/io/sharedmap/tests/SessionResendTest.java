package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.SharedMap;
import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.Status;
import io.sharedmap.tests.clients.Values;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.RawConnection;
import io.sharedmap.tests.support.RawConnection.Response;
import io.sharedmap.tests.support.SystemTestEnv;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sessions over a raw socket (docs/PROTOCOL.md, "Sessions"): a sequenced change resent under the
 * same client id is answered with its original outcome and never applied twice, also after kill -9
 * and restart and after snapshots have pruned the journal that recorded it; a resend older than the
 * window is refused with SEQUENCE_EXPIRED; a change that was not applied is evaluated again.
 */
class SessionResendTest {
    private static final long CLIENT = 0x5E55_1011_0000_0001L;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private static void assertApplied(Response r, Status status, long version) {
        assertThat(r.status()).as("reply %s", r).isEqualTo(status);
        assertThat(r.version()).as("version in %s", r).isEqualTo(version);
    }

    private static Response get(RawConnection c, String key) {
        return c.call(Opcode.GET, key, "", 0);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void resend_afterKill9_originalOutcomeAndNotAppliedTwice() {
        DaemonProcess.Spec spec = env.daemonSpec();
        DaemonProcess daemon = env.startDaemon(spec);
        byte[] setV1 = RawConnection.sequenced(Opcode.SET, 1, "k", "v1", 0);
        long v1;
        long v2;
        try (RawConnection session = RawConnection.openWithSession(daemon.socket(), CLIENT);
                RawConnection plain = RawConnection.openWithHello(daemon.socket())) {
            Response first = session.call(setV1);
            assertThat(first.status()).isEqualTo(Status.CREATED);
            v1 = first.version();
            assertApplied(session.call(setV1), Status.CREATED, v1);

            // Another client changes the key; the resent SET must not overwrite that change.
            Response other = plain.call(Opcode.SET, "k", "v2", 0);
            assertThat(other.status()).isEqualTo(Status.UPDATED);
            v2 = other.version();
            assertApplied(session.call(setV1), Status.CREATED, v1);
            Response now = get(plain, "k");
            assertApplied(now, Status.FOUND, v2);
            assertThat(now.valueAsString())
                    .as("value after resending an applied SET")
                    .isEqualTo("v2");
        }

        daemon.kill9();
        daemon = env.startDaemon(spec);
        try (RawConnection session = RawConnection.openWithSession(daemon.socket(), CLIENT)) {
            assertApplied(session.call(setV1), Status.CREATED, v1);
            Response now = get(session, "k");
            assertApplied(now, Status.FOUND, v2);
            assertThat(now.valueAsString()).isEqualTo("v2");
            Response next = session.call(RawConnection.sequenced(Opcode.SET, 2, "k", "v3", 0));
            assertThat(next.status()).isEqualTo(Status.UPDATED);
            assertThat(next.version()).isGreaterThan(v2);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void resend_casAndDelete_everyAnswerRememberedEvenWhenNothingChanged() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        try (RawConnection session = RawConnection.openWithSession(daemon.socket(), CLIENT);
                RawConnection plain = RawConnection.openWithHello(daemon.socket())) {
            Response created = session.call(RawConnection.sequenced(Opcode.CAS, 1, "c", "x", 0));
            assertThat(created.status()).isEqualTo(Status.CREATED);
            // Applied CAS: the resend gets CREATED again, not CONFLICT.
            assertApplied(
                    session.call(RawConnection.sequenced(Opcode.CAS, 1, "c", "x", 0)),
                    Status.CREATED,
                    created.version());

            // A CAS that conflicted changed nothing, and is remembered all the same (so a resent pipeline
            // keeps its order): resent once the key is at the expected version, it still answers CONFLICT.
            byte[] casAtWrongVersion = RawConnection.sequenced(Opcode.CAS, 2, "c", "y", created.version() + 1000);
            Response conflict = session.call(casAtWrongVersion);
            assertThat(conflict.status()).isEqualTo(Status.CONFLICT);
            assertApplied(session.call(casAtWrongVersion), Status.CONFLICT, conflict.version());
            assertThat(get(plain, "c").valueAsString()).isEqualTo("x");

            Response deleted = session.call(RawConnection.sequenced(Opcode.DELETE, 3, "c", "", 0));
            assertThat(deleted.status()).isEqualTo(Status.DELETED);
            plain.call(Opcode.SET, "c", "recreated", 0);
            // The resent DELETE answers as before and does not delete the recreated key.
            assertApplied(
                    session.call(RawConnection.sequenced(Opcode.DELETE, 3, "c", "", 0)),
                    Status.DELETED,
                    deleted.version());
            assertThat(get(plain, "c").valueAsString()).isEqualTo("recreated");

            // A DELETE that found nothing is remembered too: resent after the key appeared, it answers
            // NOT_FOUND again and leaves the key alone.
            assertThat(session.call(RawConnection.sequenced(Opcode.DELETE, 4, "absent", "", 0))
                            .status())
                    .isEqualTo(Status.NOT_FOUND);
            plain.call(Opcode.SET, "absent", "now-here", 0);
            assertThat(session.call(RawConnection.sequenced(Opcode.DELETE, 4, "absent", "", 0))
                            .status())
                    .as("a resent DELETE that found nothing the first time")
                    .isEqualTo(Status.NOT_FOUND);
            assertThat(get(plain, "absent").valueAsString()).isEqualTo("now-here");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void resend_olderThanTheWindow_sequenceExpiredAndNothingApplied() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        int last = FrameDescriptor.SESSION_WINDOW + 100;
        try (RawConnection session = RawConnection.openWithSession(daemon.socket(), CLIENT)) {
            for (int seq = 1; seq <= last; seq++) {
                assertThat(session.call(RawConnection.sequenced(Opcode.SET, seq, "w", "v" + seq, 0))
                                .status())
                        .isIn(Status.CREATED, Status.UPDATED);
            }
            long lastVersion = get(session, "w").version();
            Response expired = session.call(RawConnection.sequenced(Opcode.SET, 1, "w", "v1", 0));
            assertThat(expired.status()).as("reply %s", expired).isEqualTo(Status.ERROR);
            assertThat(expired.error().code()).isEqualTo(ErrorCode.SEQUENCE_EXPIRED);
            assertThat(expired.closing()).isFalse();
            Response now = get(session, "w");
            assertApplied(now, Status.FOUND, lastVersion);
            assertThat(now.valueAsString()).isEqualTo("v" + last);
            // Within the window the remembered outcome comes back.
            assertApplied(
                    session.call(RawConnection.sequenced(Opcode.SET, last, "w", "v" + last, 0)),
                    Status.UPDATED,
                    lastVersion);
        }
    }

    /**
     * Outcomes are kept in snapshots too: after the journal segments that recorded them are pruned
     * and the daemon is killed, resends still get their original answers.
     */
    @Test
    @Tag("slow")
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void resend_afterSnapshotsAndKill9_originalOutcomes() {
        DaemonProcess.Spec spec = env.daemonSpec().withServerArgs("--snapshot-min-journal-bytes", "1048576");
        DaemonProcess daemon = env.startDaemon(spec);
        int changes = 800; // 800 x 4 KiB = 3.2 MiB over 16 keys of 4 KiB: several snapshots
        long[] versions = new long[changes + 1];
        Status[] statuses = new Status[changes + 1];
        try (RawConnection session = RawConnection.openWithSession(daemon.socket(), CLIENT)) {
            for (int seq = 1; seq <= changes; seq++) {
                Response r = session.call(RawConnection.sequenced(
                        Opcode.SET,
                        seq,
                        ("s" + seq % 16).getBytes(StandardCharsets.UTF_8),
                        Values.make("s", seq, 4096),
                        0));
                assertThat(r.status()).isIn(Status.CREATED, Status.UPDATED);
                versions[seq] = r.version();
                statuses[seq] = r.status();
            }
        }
        try (SharedMap map = SharedMap.connect(daemon.socket())) {
            Await.until(
                    "a snapshot has been taken",
                    () -> Long.parseLong(map.stats().get("snapshots")) >= 1,
                    Duration.ofSeconds(30));
        }
        daemon.kill9();
        daemon = env.startDaemon(spec);
        try (RawConnection session = RawConnection.openWithSession(daemon.socket(), CLIENT)) {
            for (int seq : new int[] {1, 2, 17, changes / 2, changes - 1, changes}) {
                Response r = session.call(RawConnection.sequenced(
                        Opcode.SET,
                        seq,
                        ("s" + seq % 16).getBytes(StandardCharsets.UTF_8),
                        Values.make("s", seq, 4096),
                        0));
                assertThat(r.status()).as("resent seq %d: %s", seq, r).isEqualTo(statuses[seq]);
                assertThat(r.version()).as("resent seq %d", seq).isEqualTo(versions[seq]);
            }
            for (int k = 0; k < 16; k++) {
                Response now = get(session, "s" + k);
                int lastSeq = changes - Math.floorMod(changes - k, 16);
                assertThat(now.version()).as("key s%d after resends", k).isEqualTo(versions[lastSeq]);
                assertThat(Values.parse(now.value())).isEqualTo(new Values.Origin("s", lastSeq));
            }
        }
    }
}
