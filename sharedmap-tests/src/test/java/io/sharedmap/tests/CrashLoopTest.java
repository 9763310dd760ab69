package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.tests.clients.Verify;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.tools.CrashLoop;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The crash loop, bounded for CI: ten kill -9 at random moments under load from three writer
 * processes, per durability mode, each checked for exactly what the mode promises (see {@link
 * CrashLoop}); in the modes with direct reads, a direct reader's values survive every kill and it
 * reads new values from the new daemon's mapped store after each restart; 20,000 keys loaded before
 * the first kill and never changed are all there after every restart (a sample) and at the end. The
 * long run is {@code CrashLoop --kills 1000 --keys 1000000}.
 */
class CrashLoopTest {
    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @ParameterizedTest(name = "durability {0}")
    @ValueSource(strings = {"interval", "always", "never"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void tenKills_atRandomMoments_everyPromiseOfTheModeKept(String mode) {
        long seed = System.nanoTime();
        CrashLoop.Result r = CrashLoop.run(
                env, new CrashLoop.Config(mode, 10, mode.equals("never") ? 2 : 3, 2, seed, 300, 20_000, 0), line -> {});
        Verify.assertNone(r.summary() + " (seed " + seed + ")", r.problems());
        assertThat(r.kills()).isEqualTo(10);
        assertThat(r.acknowledged()).as("acknowledged writes").isGreaterThan(100);
        if (!mode.equals("never")) {
            assertThat(r.reader().direct()).as(r.summary()).isPositive();
            assertThat(r.reader().newStoreAfterRestarts()).as(r.summary()).isEqualTo(10);
        }
    }
}
