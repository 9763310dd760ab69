package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.EtcdCluster;
import io.sharedmap.tests.support.SystemTestEnv;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The torture tool's checks, linearizability first, against a real 3-member etcd cluster on
 * loopback through {@code sharedmap torture --url etcd://...}: 5 worker processes x 2 threads, and
 * in the middle of the run the leader is killed with SIGKILL, the run goes on with two members, and
 * the member is started again. etcd is linearizable with a majority up, so every check passes; a
 * call that failed when its member died is an operation of unknown outcome in the history (etcd has
 * no exactly-once resend), which the checker may place either way.
 */
class EtcdTortureTest {
    private static final int MEMBERS = 3;

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void torture_threeMembersLeaderKilledAndRestartedMidRun_everyCheckPasses() {
        try (EtcdCluster etcd = EtcdCluster.start(MEMBERS, env.newDir("etcd"))) {
            ChildProcess torture = TortureRuns.start(
                    env,
                    "torture",
                    etcd.url() + "?timeout-ms=5000",
                    "--duration",
                    "40s",
                    "--processes",
                    "5",
                    "--threads",
                    "2",
                    "--keys",
                    "16",
                    "--counters",
                    "3",
                    "--lin-keys",
                    "4",
                    "--stall-seconds",
                    "30");
            long before = TortureRuns.awaitStatus(torture, 10, Duration.ofSeconds(90));
            int leader = etcd.leader();
            assertThat(leader).as("the member that leads").isNotNegative();
            etcd.kill9(leader);
            long withTwo = TortureRuns.awaitStatus(torture, 20, Duration.ofSeconds(60));
            assertThat(withTwo)
                    .as("operations completed with the leader (m%d) dead", leader)
                    .isGreaterThan(before);
            etcd.restart(leader, "restarted");
            int exit = torture.awaitExit(Duration.ofSeconds(180));

            assertThat(TortureRuns.verdict(torture, "(a) corruption")).contains("PASS");
            assertThat(TortureRuns.verdict(torture, "(b) lost updates")).contains("PASS");
            assertThat(TortureRuns.verdict(torture, "(c) linearizability"))
                    .contains("PASS")
                    .contains("every key linearizable");
            assertThat(TortureRuns.verdict(torture, "(d) stalls")).contains("PASS");
            assertThat(TortureRuns.verdict(torture, "(e) direct reads")).contains("not judged");
            assertThat(TortureRuns.verdict(torture, "result:")).isEqualTo("result: PASS");
            assertThat(exit).isZero();
        }
    }
}
