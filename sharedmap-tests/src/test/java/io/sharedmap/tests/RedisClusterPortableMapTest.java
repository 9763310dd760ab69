package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.RedisServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PortableMapContract} on a real 3-primary Redis Cluster on loopback ({@code
 * redis-cluster://}): keys spread over every primary, scans still cover each key once in order.
 */
class RedisClusterPortableMapTest extends PortableMapContract {
    @TempDir
    static Path dir;

    private static RedisServers redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServers.cluster(3, dir);
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    PortableMap open() {
        return SharedMap.connect(redis.url());
    }

    @Override
    boolean versionsOrderedAcrossKeys() {
        return false;
    }

    @Test
    void keys_spreadOverEveryPrimary_areAllScannedInOrder() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            String k = String.format("%sspread/%02d", prefix, i);
            map.set(k, "v");
            expected.add(k);
        }
        for (int i = 0; i < redis.ports().size(); i++) {
            String count = redis.command(i, "DBSIZE");
            assertThat(count).as("keys on primary %d", i).startsWith(":").isNotEqualTo(":0");
        }

        List<String> seen = map.keys((prefix + "spread/").getBytes(StandardCharsets.UTF_8))
                .map(KeyInfo::keyAsString)
                .toList();

        assertThat(seen).containsExactlyElementsOf(expected);
    }
}
