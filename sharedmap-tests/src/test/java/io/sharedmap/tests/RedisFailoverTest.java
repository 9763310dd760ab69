package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.Entry;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.RedisServers;
import io.sharedmap.tests.support.SystemTestEnv;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Redis Cluster failover under one {@code SharedMap.connect(redis-cluster://...)} client: 3
 * primaries with a replica each; a key on each primary, replicated ({@code WAIT}); the primary of
 * one of them killed with SIGKILL; its replica takes over, and the same client, after refreshing
 * its view of the cluster, reads every key and writes the failed primary's key again, within a
 * bounded time. Calls in between may fail (a {@link DaemonUnavailableException}); none may answer
 * wrongly.
 */
class RedisFailoverTest {
    /** CRC16 slots 2150, 10276 and 14465: one per primary of redis-cli's even split of the slots. */
    private static final List<String> KEYS = List.of("counter-c", "counter-a", "counter-d");

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void failover_primaryKilled_sameClientReadsAndWritesThroughThePromotedReplica() {
        try (RedisServers redis = RedisServers.cluster(3, 1, env.newDir("redis"));
                PortableMap map = SharedMap.connect(URI.create(redis.url() + "?timeout-ms=2000"))) {
            for (String k : KEYS) {
                map.set(k, "before " + k);
            }
            int primary = primaryOf(redis, "counter-a");
            int replica = redis.replicaOf(primary);
            assertThat(replica).as("a replica of primary %d", primary).isNotNegative();
            assertThat(redis.command(primary, "WAIT", "1", "5000"))
                    .as("the replica acknowledged the writes")
                    .isEqualTo(":1");

            redis.kill9(primary);
            redis.awaitPromoted(replica, Duration.ofSeconds(60));

            Await.until(
                    "the client writes counter-a through the promoted replica",
                    () -> {
                        try {
                            map.set("counter-a", "after");
                            return true;
                        } catch (SharedMapException e) {
                            // DaemonUnavailableException through the dead primary's connection (or CLUSTERDOWN)
                            // until the client has refreshed its view of the cluster
                            return false;
                        }
                    },
                    Duration.ofSeconds(60));
            assertThat(map.get("counter-a").map(Entry::valueAsString)).contains("after");
            for (String k : List.of("counter-c", "counter-d")) {
                Optional<Entry> e = map.get(k);
                assertThat(e.map(Entry::valueAsString)).as(k).contains("before " + k);
            }
            assertThat(redis.command(replica, "HGET", "counter-a", "v"))
                    .as("the write is on the promoted replica")
                    .isEqualTo("after");
            // a scan walks the primaries that hold slots, not the dead one the cluster still lists
            assertThat(map.keys("counter-".getBytes(StandardCharsets.UTF_8))
                            .map(k -> new String(k.key(), StandardCharsets.UTF_8))
                            .toList())
                    .containsExactly("counter-a", "counter-c", "counter-d");
            try (PortableMap fresh = SharedMap.connect(redis.url())) {
                assertThat(fresh.keys(new byte[0]).count())
                        .as("keys seen by a client that connects after the failover (the dead primary among its seeds)")
                        .isEqualTo(3);
            }
        }
    }

    /** The server that is the primary of {@code key}'s slot now. */
    private static int primaryOf(RedisServers redis, String key) {
        for (int i = 0; i < redis.ports().size(); i++) {
            if ("master".equals(redis.role(i)) && "+hash".equals(redis.command(i, "TYPE", key))) {
                return i; // the others answer -MOVED
            }
        }
        throw new AssertionError("no primary holds " + key);
    }
}
