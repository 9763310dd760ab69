package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Choosing a backend by URL, without any provider module on the class path. */
class BackendsTest {
    @Test
    void connect_etcdWithoutTheModule_namesTheModuleToAdd() {
        assertThatThrownBy(() -> SharedMap.connect(URI.create("etcd://127.0.0.1:2379")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sharedmap-etcd")
                .hasMessageContaining("schemes available here: unix");
    }

    @Test
    void connect_unknownScheme_saysSo() {
        assertThatThrownBy(() -> SharedMap.connect(URI.create("ftp://host/x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'ftp'")
                .hasMessageContaining("not a scheme sharedmap knows");
    }

    @Test
    void connect_noScheme_saysWhatToWrite() {
        assertThatThrownBy(() -> SharedMap.connect(URI.create("/tmp/socket")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no scheme")
                .hasMessageContaining("unix:///path/to/socket");
    }

    @Test
    void unixSocket_absolutePathForms_nameTheSocket() {
        assertThat(Backends.unixSocket(URI.create("unix:///run/sm/socket"))).isEqualTo(Path.of("/run/sm/socket"));
        assertThat(Backends.unixSocket(URI.create("unix:/run/sm/socket"))).isEqualTo(Path.of("/run/sm/socket"));
        assertThat(Backends.unixSocket(URI.create("unix:///tmp/a%20b"))).isEqualTo(Path.of("/tmp/a b"));
    }

    @Test
    void unixSocket_hostOrNoPath_isRefused() {
        assertThatThrownBy(() -> Backends.unixSocket(URI.create("unix://otherhost/tmp/s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has a host");
        assertThatThrownBy(() -> Backends.unixSocket(URI.create("unix:///")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names no socket");
        assertThatThrownBy(() -> Backends.unixSocket(URI.create("unix:relative")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names no socket");
    }

    @Test
    void unixUrl_roundTripsThroughUnixSocket() {
        Path socket = Path.of("/tmp/dir with space/sharedmap.sock");
        assertThat(Backends.unixSocket(URI.create(Backends.unixUrl(socket)))).isEqualTo(socket);
    }
}
