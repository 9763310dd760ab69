package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.PermissionDeniedException;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.ServerFailureException;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.RedisServers;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PortableMapContract} on one real redis-server on loopback, reached by a {@code redis://} URL. */
class RedisPortableMapTest extends PortableMapContract {
    @TempDir
    static Path dir;

    private static RedisServers redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServers.single(dir);
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
    void connect_redisUrl_isTheRedisBackend() {
        assertThat(map).isNotInstanceOf(SharedMap.class);
        assertThat(map.url()).isEqualTo(redis.url().toString());
        map.ping();
    }

    @Test
    void scan_prefixWithGlobCharacters_matchesThemLiterally() {
        map.set(prefix + "a*[b]?\\/1", "x");
        map.set(prefix + "a-other", "y");

        assertThat(map.keys((prefix + "a*[b]?\\/").getBytes(StandardCharsets.UTF_8))
                        .map(k -> k.keyAsString())
                        .toList())
                .containsExactly(prefix + "a*[b]?\\/1");
    }

    @Test
    void get_keyWrittenBySomethingElse_failsInsteadOfAnsweringDifferently() {
        // a plain string, as another Redis client would write it: not a sharedmap entry
        assertThat(redis.command(0, "SET", prefix + "string", "raw")).isEqualTo("+OK");

        assertThatThrownBy(() -> map.get(prefix + "string"))
                .isInstanceOf(ServerFailureException.class)
                .hasMessageContaining("WRONGTYPE");
    }

    /** Redis ACLs replace per-key modes: a user allowed one key pattern is refused elsewhere. */
    @Test
    void acl_userAllowedAPattern_isRefusedOutsideIt() {
        String user = "app" + prefix.hashCode();
        assertThat(redis.command(0, "ACL", "SETUSER", user, "on", ">apppw", "~" + prefix + "app/*", "+@all"))
                .isEqualTo("+OK");
        URI asApp = URI.create(redis.url().toString().replace("redis://", "redis://" + user + ":apppw@"));

        try (PortableMap app = SharedMap.connect(asApp)) {
            assertThat(app.set(prefix + "app/x", "1").created()).isTrue();
            assertThatThrownBy(() -> app.set(prefix + "other/x", "1"))
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining("NOPERM");
        }
        assertThat(map.get(prefix + "other/x")).isEmpty();
    }

    @Test
    void connect_nothingListening_failsWithDaemonUnavailable() {
        assertThatThrownBy(() -> SharedMap.connect(URI.create("redis://127.0.0.1:1?timeout-ms=2000")))
                .isInstanceOf(DaemonUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1");
    }
}
