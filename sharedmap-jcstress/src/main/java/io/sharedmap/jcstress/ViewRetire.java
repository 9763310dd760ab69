package io.sharedmap.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A new daemon retires the old view before it acknowledges anything (here: a volatile flag standing
 * for its first reply). A lookup that starts after that acknowledgment must go back to the daemon
 * (null), and so must every lookup after the retirement (the arbiter's).
 *
 * <p>Result: (acknowledgment seen: 1 or 0, the client's lookup hit: 1 or 0, the arbiter's lookup
 * after both actors: 1 or 0).
 */
@JCStressTest
@Description("After retire() and its acknowledgment, lookups return null (ask the daemon).")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "acceptable: looked up before the retirement")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "acceptable: saw the retirement before its acknowledgment")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "acceptable: acknowledged, retired: ask the daemon")
@Outcome(id = "1, 1, 0", expect = FORBIDDEN, desc = "stale after acknowledgment: served from a retired view")
@Outcome(id = ".*, 1", expect = FORBIDDEN, desc = "served from a retired view after retire() returned")
@Outcome(expect = FORBIDDEN, desc = "unexpected")
@State
public class ViewRetire {
    private static final byte[] K = View.key("k");

    private final View view = new View();
    private volatile boolean acked;

    public ViewRetire() {
        view.writer.put(K, View.filled(8, 1), 1);
    }

    @Actor
    public void newDaemon() {
        view.writer.retire();
        acked = true;
    }

    @Actor
    public void client(III_Result r) {
        r.r1 = acked ? 1 : 0;
        r.r2 = view.reader.lookup(K) == null ? 0 : 1;
    }

    @Arbiter
    public void after(III_Result r) {
        r.r3 = view.reader.lookup(K) == null ? 0 : 1;
    }
}
