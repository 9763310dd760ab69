package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link PortableMapContract} on the local daemon, reached by a {@code unix://} URL. */
class LocalPortableMapTest extends PortableMapContract {
    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private DaemonProcess daemon;

    @Override
    PortableMap open() {
        daemon = env.startDaemon(env.daemonSpec());
        return SharedMap.connect(URI.create("unix://" + daemon.socket().toAbsolutePath()));
    }

    @Test
    void connect_unixUrl_isTheLocalClientOnThatSocket() {
        assertThat(map).isInstanceOf(SharedMap.class);
        assertThat(((SharedMap) map).socket()).isEqualTo(daemon.socket().toAbsolutePath());
        assertThat(map.url()).isEqualTo("unix://" + daemon.socket().toAbsolutePath());
    }
}
