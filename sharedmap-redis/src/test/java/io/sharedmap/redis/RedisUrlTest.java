package io.sharedmap.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing Redis URLs, and the SCAN pattern of a prefix: no server needed. */
class RedisUrlTest {
    @Test
    void parse_clusterNodesUserAndTimeout() {
        RedisUrl u =
                RedisUrl.parse(URI.create("redis-cluster://app:pw@10.0.0.1:7000,10.0.0.2:7001?timeout-ms=500"), true);

        assertThat(u.nodes())
                .isEqualTo(List.of(new RedisUrl.Node("10.0.0.1", 7000), new RedisUrl.Node("10.0.0.2", 7001)));
        assertThat(u.user()).isEqualTo("app");
        assertThat(u.password()).isEqualTo("pw");
        assertThat(u.timeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(u.toString()).doesNotContain("pw@").contains("***@10.0.0.1:7000");
    }

    @Test
    void parse_passwordAlone_isTheDefaultUsersPassword() {
        RedisUrl u = RedisUrl.parse(URI.create("redis://secret@127.0.0.1:6379"), false);

        assertThat(u.user()).isNull();
        assertThat(u.password()).isEqualTo("secret");
    }

    @Test
    void parse_malformed_namesWhatIsWrong() {
        assertThatThrownBy(() -> RedisUrl.parse(URI.create("redis://a:1,b:2"), false))
                .hasMessageContaining("use redis-cluster://");
        assertThatThrownBy(() -> RedisUrl.parse(URI.create("redis://a:1/3"), false))
                .hasMessageContaining("databases other than 0");
        assertThatThrownBy(() -> RedisUrl.parse(URI.create("redis-cluster://a"), true))
                .hasMessageContaining("not host:port");
        assertThatThrownBy(() -> RedisUrl.parse(URI.create("redis://a:1?db=2"), false))
                .hasMessageContaining("unknown parameter 'db=2'");
    }

    @Test
    void parse_tls_redissSchemesAndTheCaFile() {
        RedisUrl single = RedisUrl.parse(URI.create("rediss://127.0.0.1:6380?ca-file=/etc/ca.pem"), false);
        RedisUrl cluster = RedisUrl.parse(URI.create("rediss-cluster://10.0.0.1:7000,10.0.0.2:7000"), true);

        assertThat(single.tls()).isTrue();
        assertThat(single.caFile()).isEqualTo("/etc/ca.pem");
        assertThat(cluster.tls()).isTrue();
        assertThat(cluster.caFile()).isNull();
        assertThat(RedisUrl.parse(URI.create("redis://a:1"), false).tls()).isFalse();
        assertThatThrownBy(() -> RedisUrl.parse(URI.create("redis-cluster://a:1?ca-file=/etc/ca.pem"), true))
                .hasMessageContaining("has a ca-file but no TLS; write rediss-cluster://");
    }

    @Test
    void glob_escapesTheGlobCharactersOfThePrefix() {
        assertThat(new String(RedisMap.glob("a*b?[c]\\d".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8))
                .isEqualTo("a\\*b\\?\\[c\\]\\\\d*");
        assertThat(RedisMap.glob(new byte[0])).isEqualTo(new byte[] {'*'});
    }
}
