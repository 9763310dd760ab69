package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.PermissionDeniedException;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.ScanPage;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.EtcdCluster;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PortableMapContract} on a real single-member etcd on loopback, reached by an {@code etcd://} URL. */
class EtcdPortableMapTest extends PortableMapContract {
    @TempDir
    static Path dir;

    private static EtcdCluster etcd;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(1, dir);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Override
    PortableMap open() {
        return SharedMap.connect(etcd.url());
    }

    @Test
    void connect_etcdUrl_isTheEtcdBackend() {
        assertThat(map).isNotInstanceOf(SharedMap.class);
        assertThat(map.url()).isEqualTo(etcd.url().toString());
        map.ping();
    }

    /** A page larger than one range request (64 keys) is read in chunks at one revision. */
    @Test
    void scan_pageOfSeveralRangeChunks_coversEveryKeyOnceInOrder() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            String k = String.format("%s/chunked/%03d", prefix, i);
            map.set(k, "v");
            expected.add(k);
        }

        ScanPage first = map.scan((prefix + "/chunked/").getBytes(StandardCharsets.UTF_8), new byte[0], 140);
        ScanPage rest = map.scan((prefix + "/chunked/").getBytes(StandardCharsets.UTF_8), first.nextCursor(), 140);

        assertThat(first.entries()).hasSize(140);
        assertThat(first.done()).isFalse();
        assertThat(rest.entries()).hasSize(10);
        assertThat(rest.done()).isTrue();
        List<String> seen = new ArrayList<>();
        first.entries().forEach(e -> seen.add(e.keyAsString()));
        rest.entries().forEach(e -> seen.add(e.keyAsString()));
        assertThat(seen).containsExactlyElementsOf(expected);
    }

    /**
     * etcd's RBAC replaces per-key modes: a user granted one prefix reads and writes there and is
     * refused elsewhere with the client's PermissionDeniedException. Uses its own etcd: enabling
     * auth would change every other test's cluster.
     */
    @Test
    void rbac_userGrantedAPrefix_isRefusedOutsideIt(@TempDir Path authDir) {
        try (EtcdCluster secured = EtcdCluster.start(1, authDir)) {
            secured.etcdctl("user", "add", "root:rootpw");
            secured.etcdctl("user", "grant-role", "root", "root");
            secured.etcdctl("role", "add", "app");
            secured.etcdctl("role", "grant-permission", "app", "--prefix=true", "readwrite", "app/");
            secured.etcdctl("user", "add", "app:apppw");
            secured.etcdctl("user", "grant-role", "app", "app");
            secured.etcdctl("auth", "enable");
            URI asApp = URI.create(secured.url().toString().replace("etcd://", "etcd://app:apppw@"));

            try (PortableMap app = SharedMap.connect(asApp)) {
                assertThat(app.set("app/x", "1").created()).isTrue();
                assertThat(app.get("app/x").orElseThrow().valueAsString()).isEqualTo("1");
                assertThatThrownBy(() -> app.set("other/x", "1"))
                        .isInstanceOf(PermissionDeniedException.class)
                        .hasMessageContaining("SET")
                        .hasMessageContaining("RBAC");
            }
        }
    }

    @Test
    void connect_nothingListening_failsWithinTheUrlsTimeout() {
        URI nobody = URI.create("etcd://127.0.0.1:1?timeout-ms=2000"); // port 1: nothing listens
        assertThatThrownBy(() -> SharedMap.connect(nobody))
                .isInstanceOf(DaemonUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1");
    }

    @Test
    void connect_malformedUrl_namesWhatIsWrong() {
        assertThatThrownBy(() -> SharedMap.connect(URI.create("etcd://127.0.0.1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not host:port");
        assertThatThrownBy(() -> SharedMap.connect(URI.create("etcd://127.0.0.1:2379/some/path")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("path");
    }
}
