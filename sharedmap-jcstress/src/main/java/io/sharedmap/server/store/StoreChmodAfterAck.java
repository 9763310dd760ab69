package io.sharedmap.server.store;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Permissions: a chmod that makes K private moves it to the private side (counted there before it
 * leaves the public side, its public bytes zeroed), then is acknowledged. A lookup that starts after
 * the acknowledgment must not find K's value; and since K exists throughout, no lookup may call it
 * absent (the private side's count sends the reader to the daemon instead).
 *
 * <p>Result: (acknowledgment seen: 1 or 0, what the lookup found: 1 the value, 0 asked the daemon,
 * -1 absent).
 */
@JCStressTest
@Description("chmod K private, then acknowledged, against lookup(K): K's value never readable after, never absent.")
@Outcome(
        id = {"0, 1", "0, 0", "1, 0"},
        expect = ACCEPTABLE,
        desc = "acceptable: the value before the chmod was acknowledged, or asked the daemon")
@Outcome(
        id = {"0, -1", "1, -1"},
        expect = FORBIDDEN,
        desc = "absent: K exists throughout, in one side or the other")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "readable after the chmod that made it private was acknowledged")
@Outcome(expect = ACCEPTABLE_INTERESTING, desc = "unexpected")
@State
public class StoreChmodAfterAck {
    private static final StoreFixture F = new StoreFixture("chmod");
    private final byte[] k = F.newKey();
    private volatile boolean acked;

    public StoreChmodAfterAck() {
        F.put(k, StoreFixture.filled(20, 5), StoreFixture.PUBLIC);
    }

    @Actor
    public void daemon() {
        F.chmod(k, StoreFixture.PRIVATE);
        acked = true;
    }

    @Actor
    public void client(II_Result r) {
        r.r1 = acked ? 1 : 0;
        r.r2 = StoreFixture.kind(F.reader.lookup(k));
    }

    @Arbiter
    public void cleanUp(II_Result r) {
        F.delete(k);
    }
}
