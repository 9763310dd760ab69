package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.launcher.WorkerReport;
import io.sharedmap.tests.clients.CounterMain;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.RedisServers;
import io.sharedmap.tests.support.SystemTestEnv;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real 3-primary Redis Cluster on loopback and 5 client JVMs doing compare-and-set increments of
 * three counters (one on each primary) through {@code
 * SharedMap.connect(redis-cluster://...)}: with no failover, each counter ends equal to its
 * acknowledged increments and no value is produced twice. (With a failover, Redis can lose
 * acknowledged writes: docs/SCALE-OUT.md; not tested here.)
 */
class RedisClusterCounterTest {
    private static final int PRIMARIES = 3;
    private static final int PROCESSES = 5;
    private static final int INCREMENTS = 100;
    /** CRC16 slots 2150, 10276 and 14465: one per primary of redis-cli's even split of the slots. */
    private static final List<String> KEYS = List.of("counter-c", "counter-a", "counter-d");

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void casIncrements_fiveProcessesThreePrimaries_eachCounterEqualsItsAcknowledgedIncrements() {
        try (RedisServers redis = RedisServers.cluster(PRIMARIES, env.newDir("redis"))) {
            List<ChildProcess> counters = new ArrayList<>();
            for (int i = 0; i < PROCESSES; i++) {
                counters.add(env.startClient(
                        "counter-" + i,
                        CounterMain.class,
                        List.of(
                                "--url",
                                redis.url().toString(),
                                "--key",
                                key(i),
                                "--increments",
                                Integer.toString(INCREMENTS))));
            }
            long[] acked = new long[KEYS.size()];
            List<Set<Long>> values = new ArrayList<>();
            KEYS.forEach(k -> values.add(new HashSet<>()));
            for (int i = 0; i < PROCESSES; i++) {
                ChildProcess c = counters.get(i);
                c.awaitExit(Duration.ofSeconds(180), 0);
                int k = KEYS.indexOf(key(i));
                for (String line : c.lines()) {
                    assertThat(WorkerReport.isKind(line, CounterMain.UNKNOWN))
                            .as("a CAS with an unknown outcome, with every primary up: %s", line)
                            .isFalse();
                    if (WorkerReport.isKind(line, CounterMain.INC)) {
                        long value = WorkerReport.parse(line).number("value");
                        assertThat(values.get(k).add(value))
                                .as("%s value %d produced by two applied CAS", KEYS.get(k), value)
                                .isTrue();
                        acked[k]++;
                    }
                }
            }
            for (int i = 0; i < PRIMARIES; i++) {
                assertThat(redis.command(i, "DBSIZE"))
                        .as("keys on primary %d", i)
                        .isEqualTo(":1");
            }
            try (PortableMap map = SharedMap.connect(redis.url())) {
                for (int k = 0; k < KEYS.size(); k++) {
                    long expected =
                            (long) INCREMENTS * (PROCESSES / KEYS.size() + (k < PROCESSES % KEYS.size() ? 1 : 0));
                    assertThat(acked[k]).isEqualTo(expected);
                    assertThat(Long.parseLong(map.get(KEYS.get(k)).orElseThrow().valueAsString()))
                            .as(KEYS.get(k))
                            .isEqualTo(acked[k]);
                }
            }
        }
    }

    private static String key(int process) {
        return KEYS.get(process % KEYS.size());
    }
}
