package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sharedmap.launcher.WorkerReport;
import io.sharedmap.tests.clients.CounterMain;
import io.sharedmap.tests.clients.Dump;
import io.sharedmap.tests.clients.OneShotMain;
import io.sharedmap.tests.clients.Verify;
import io.sharedmap.tests.clients.WriteLog;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.JavaCommand;
import io.sharedmap.tests.support.SystemTestEnv;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many client JVMs against one daemon JVM: what one process writes, every other process reads, and
 * on keys written by several processes the last applied write (highest version) wins.
 */
class MultiProcessTest {
    private static final int WRITERS = 5;
    private static final int THREADS = 2;
    private static final int WRITES_PER_THREAD = 300;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void set_fiveWriterProcesses_everyKeyHoldsItsLastAcknowledgedWrite() {
        writeAndVerify(false);
    }

    /** The same with the daemon pinned to one CPU: interleavings that two cores never produce. */
    @Test
    @Tag("slow")
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void set_fiveWriterProcessesDaemonOnOneCpu_everyKeyHoldsItsLastAcknowledgedWrite() {
        assumeTrue(
                JavaCommand.tasksetAvailable(),
                "taskset (util-linux) is not installed; cannot pin the daemon to one CPU");
        writeAndVerify(true);
    }

    private void writeAndVerify(boolean oneCpu) {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec().withOneCpu(oneCpu));
        // Each thread: 20 keys of its own and the 8 keys every thread of every writer shares.
        List<ChildProcess> writers = Workload.startWriters(
                env,
                daemon.socket(),
                WRITERS,
                "--threads",
                Integer.toString(THREADS),
                "--own",
                "20",
                "--shared",
                "8",
                "--value-bytes",
                "100",
                "--max-writes",
                Integer.toString(WRITES_PER_THREAD));
        Workload.awaitExit(writers);

        WriteLog log = WriteLog.of(writers);
        assertThat(log.ackedCount()).isEqualTo(WRITERS * THREADS * WRITES_PER_THREAD);
        Verify.assertNone("versions", log.versionProblems());

        Dump dump = Workload.dump(env, daemon.socket(), log, "dump");
        assertThat(dump.items()).hasSize(WRITERS * THREADS * 20 + 8);
        Verify.assertNone(
                "after " + log.ackedCount() + " writes from " + WRITERS + " processes",
                Verify.lastWriteWins(log, dump));
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void get_valueSetInOneProcess_isReadInAnotherAndAfterRestart() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        String setLine = oneShot("setter", "set", daemon, "greeting", "hello-from-A");
        assertThat(setLine).matches("SET [1-9][0-9]*");
        long version = Long.parseLong(setLine.substring(4));

        assertThat(oneShot("getter", "get", daemon, "greeting", null)).isEqualTo("VALUE " + version + " hello-from-A");
        assertThat(oneShot("getter-missing", "get", daemon, "no-such-key", null))
                .isEqualTo("NOT_FOUND");

        daemon.stop();
        DaemonProcess again = env.startDaemon(daemon.spec());
        assertThat(oneShot("getter-after-restart", "get", again, "greeting", null))
                .isEqualTo("VALUE " + version + " hello-from-A");
        String second = oneShot("setter-after-restart", "set", again, "greeting", "v2");
        assertThat(Long.parseLong(second.substring(4)))
                .as("versions keep increasing across restarts")
                .isGreaterThan(version);
    }

    /**
     * Read-modify-write from five processes at once on one key: GET, CAS with the version read,
     * retry on CONFLICT. No increment may be lost or applied twice: the counter ends at exactly the
     * number of increments, and every applied CAS produced a distinct counter value.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void compareAndSet_fiveProcessesIncrementOneCounter_noIncrementLost() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        int processes = 5;
        int increments = 200;
        List<ChildProcess> counters = new ArrayList<>();
        for (int i = 0; i < processes; i++) {
            counters.add(env.startClient(
                    "counter-" + i,
                    CounterMain.class,
                    List.of("--socket", daemon.socket().toString(), "--increments", Integer.toString(increments))));
        }
        Set<Long> valuesSeen = new HashSet<>();
        for (ChildProcess c : counters) {
            c.awaitExit(Duration.ofSeconds(120), 0);
            for (String line : c.lines()) {
                if (WorkerReport.isKind(line, CounterMain.INC)) {
                    long value = WorkerReport.parse(line).number("value");
                    assertThat(valuesSeen.add(value))
                            .as("counter value %d produced by two applied CAS", value)
                            .isTrue();
                }
            }
        }
        assertThat(valuesSeen).hasSize(processes * increments);
        assertThat(oneShot("reader", "get", daemon, "counter", null))
                .startsWith("VALUE ")
                .endsWith(" " + processes * increments);
    }

    private String oneShot(String name, String op, DaemonProcess daemon, String key, String value) {
        List<String> args = value == null
                ? List.of(op, daemon.socket().toString(), key)
                : List.of(op, daemon.socket().toString(), key, value);
        ChildProcess p = env.startClient(name, OneShotMain.class, args);
        p.awaitExit(Duration.ofSeconds(60), 0);
        assertThat(p.lines()).hasSize(1);
        return p.lines().get(0);
    }
}
