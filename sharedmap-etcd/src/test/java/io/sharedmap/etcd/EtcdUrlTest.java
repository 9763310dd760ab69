package io.sharedmap.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing etcd URLs, and the key ranges a scan asks for: no engine needed. */
class EtcdUrlTest {
    @Test
    void parse_membersUserAndTimeout() {
        EtcdUrl u = EtcdUrl.parse(URI.create("etcd://app:s%40cret@10.0.0.1:2379,node2:2380/?timeout-ms=1500"));

        assertThat(u.endpoints()).isEqualTo(List.of("http://10.0.0.1:2379", "http://node2:2380"));
        assertThat(u.user()).isEqualTo("app");
        assertThat(u.password()).isEqualTo("s@cret");
        assertThat(u.timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(u.toString()).doesNotContain("cret").contains("***@10.0.0.1:2379");
    }

    @Test
    void parse_defaults() {
        EtcdUrl u = EtcdUrl.parse(URI.create("etcd://127.0.0.1:2379"));

        assertThat(u.user()).isNull();
        assertThat(u.timeout()).isEqualTo(EtcdUrl.DEFAULT_TIMEOUT);
    }

    @Test
    void parse_malformed_namesWhatIsWrong_withoutThePassword() {
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcd:///"))).hasMessageContaining("names no member");
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcd://a:1,b")))
                .hasMessageContaining("member 'b' is not host:port");
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcd://a:99999")))
                .hasMessageContaining("no port in 1..65535");
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcd://a:1?timeout=5")))
                .hasMessageContaining("unknown parameter 'timeout=5'");
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcd://a:1?timeout-ms=0")))
                .hasMessageContaining("timeout-ms must be");
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcd://u:topsecret@a:1/x")))
                .hasMessageContaining("has a path")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcd://justuser@a:1")))
                .hasMessageContaining("without a password");
    }

    @Test
    void parse_tls_httpsMembersAndTheCaFile() {
        EtcdUrl u =
                EtcdUrl.parse(URI.create("etcds://10.0.0.1:2379,10.0.0.2:2379?ca-file=%2Fetc%2Fca.pem&timeout-ms=9"));

        assertThat(u.tls()).isTrue();
        assertThat(u.endpoints()).containsExactly("https://10.0.0.1:2379", "https://10.0.0.2:2379");
        assertThat(u.caFile()).isEqualTo("/etc/ca.pem");
        assertThat(u.timeout()).isEqualTo(Duration.ofMillis(9));
        assertThat(EtcdUrl.parse(URI.create("etcds://a:1")).caFile()).isNull();
        assertThat(EtcdUrl.parse(URI.create("etcd://a:1")).tls()).isFalse();
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcd://a:1?ca-file=/etc/ca.pem")))
                .hasMessageContaining("has a ca-file but no TLS; write etcds://");
        assertThatThrownBy(() -> EtcdUrl.parse(URI.create("etcds://a:1?ca-file=")))
                .hasMessageContaining("empty ca-file");
    }

    @Test
    void prefixEnd_isTheFirstKeyAfterThePrefix() {
        assertThat(EtcdMap.prefixEnd(new byte[] {'a', 'b'})).isEqualTo(new byte[] {'a', 'c'});
        assertThat(EtcdMap.prefixEnd(new byte[] {'a', (byte) 0xFF})).isEqualTo(new byte[] {'b'});
        assertThat(EtcdMap.prefixEnd(new byte[] {(byte) 0xFF, (byte) 0xFF})).isEqualTo(new byte[] {0});
        assertThat(EtcdMap.prefixEnd(new byte[0])).isEqualTo(new byte[] {0});
    }
}
