package io.sharedmap.server.store;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.sharedmap.os.store.StoreReader;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Growth: the daemon replaces the hash index by a new generation (the old one RETIRED after the
 * root names the new) while a client looks up a key that was acknowledged before and is not
 * changing. The client must find it, in the old generation or the new, and never call it absent.
 *
 * <p>Result: (what the lookup found: 1 the value, 0 asked the daemon, -1 absent; the byte the value
 * is made of).
 */
@JCStressTest
@Description("A new index generation replaces the old while lookup(K) runs: K, stable, is found.")
@Outcome(id = "1, 7", expect = ACCEPTABLE, desc = "acceptable: found, in either generation")
@Outcome(
        id = "0, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "gave up to the socket: the generation kept changing for 64 tries")
@Outcome(id = "-1, 0", expect = FORBIDDEN, desc = "miss across a rebuild: a stable, acknowledged key called absent")
@Outcome(expect = FORBIDDEN, desc = "another value than K's")
@State
public class StoreGrowth {
    private static final StoreFixture F = new StoreFixture("growth");
    private final byte[] k = F.newKey();

    public StoreGrowth() {
        F.put(k, StoreFixture.filled(12, 7), StoreFixture.PUBLIC);
    }

    @Actor
    public void daemon() {
        F.rebuild();
    }

    @Actor
    public void client(II_Result r) {
        StoreReader.Result got = F.reader.lookup(k);
        r.r1 = StoreFixture.kind(got);
        r.r2 = got instanceof StoreReader.Found f ? StoreFixture.uniformByte(f.value()) : 0;
    }

    @Arbiter
    public void cleanUp(II_Result r) {
        F.delete(k);
    }
}
