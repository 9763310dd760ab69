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
 * Read-your-acknowledged-write: the daemon applies a change to the store and only then
 * acknowledges it (here: a volatile flag standing for the reply on the socket). A lookup that
 * starts after the client saw the acknowledgment must see that change. The change is in place (same
 * length).
 *
 * <p>Result: (acknowledgment seen: 1 or 0, value found: 1 old, 2 new, 0 asked the daemon, -1 absent).
 */
@JCStressTest
@Description("After K is set to v2 and acknowledged, a lookup that starts after the acknowledgment sees v2.")
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "acceptable: acknowledged, new value")
@Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "acceptable: not yet acknowledged, new value already visible")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "acceptable: old value, not yet acknowledged")
@Outcome(
        id = {"0, 0", "1, 0"},
        expect = ACCEPTABLE_INTERESTING,
        desc = "gave up to the socket: the entry or slot kept changing for 64 tries")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "stale after acknowledgment: v1 after v2 was acknowledged")
@Outcome(
        id = {"0, -1", "1, -1"},
        expect = FORBIDDEN,
        desc = "absent: the key exists throughout")
@Outcome(expect = FORBIDDEN, desc = "a value neither write put")
@State
public class StoreStaleAfterAck {
    private static final StoreFixture F = new StoreFixture("stale");
    private final byte[] k = F.newKey();
    private volatile boolean acked;

    public StoreStaleAfterAck() {
        F.put(k, StoreFixture.filled(16, 1), StoreFixture.PUBLIC);
    }

    @Actor
    public void daemon() {
        F.put(k, StoreFixture.filled(16, 2), StoreFixture.PUBLIC);
        acked = true;
    }

    @Actor
    public void client(II_Result r) {
        r.r1 = acked ? 1 : 0;
        StoreReader.Result got = F.reader.lookup(k);
        r.r2 = got instanceof StoreReader.Found f ? StoreFixture.uniformByte(f.value()) : StoreFixture.kind(got);
    }

    @Arbiter
    public void cleanUp(II_Result r) {
        F.delete(k);
    }
}
