package io.sharedmap.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.sharedmap.protocol.view.ViewReader;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Read-your-acknowledged-write: the daemon publishes a write in the view and only then
 * acknowledges it (here: a volatile flag standing for the reply on the socket). A lookup that
 * starts after the client saw the acknowledgment must see that write.
 *
 * <p>Result: (acknowledgment seen: 1 or 0, version found or 0 for a miss).
 */
@JCStressTest
@Description("After put(K, v2) is acknowledged, a lookup that starts after the acknowledgment sees v2.")
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "acceptable: acknowledged, new value")
@Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "acceptable: not yet acknowledged, new value already visible")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "acceptable: old value, not yet acknowledged")
@Outcome(
        id = "0, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "gave up to the socket: not yet acknowledged, the slot was being written")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "stale after acknowledgment: v1 after v2 was acknowledged")
@Outcome(
        id = "1, 0",
        expect = FORBIDDEN,
        desc = "miss after acknowledgment: no write in flight, yet the present key was not found")
@Outcome(expect = FORBIDDEN, desc = "value from the future: a version the writer never put")
@State
public class ViewStaleAfterAck {
    private static final byte[] K = View.key("k");

    private final View view = new View();
    private volatile boolean acked;

    public ViewStaleAfterAck() {
        view.writer.put(K, View.filled(16, 1), 1);
    }

    @Actor
    public void daemon() {
        view.writer.put(K, View.filled(16, 2), 2);
        acked = true;
    }

    @Actor
    public void client(II_Result r) {
        r.r1 = acked ? 1 : 0;
        ViewReader.Hit hit = view.reader.lookup(K);
        r.r2 = hit == null ? 0 : (int) hit.version();
    }
}
