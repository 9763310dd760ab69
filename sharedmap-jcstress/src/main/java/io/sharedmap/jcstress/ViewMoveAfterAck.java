package io.sharedmap.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.sharedmap.protocol.view.ViewReader;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A key that moves to another slot: X sits in the shared home slot and K one past it; the writer
 * removes X (which moves K into the home slot) and K (both slots end EMPTY) and puts K again, which now lands in the home
 * slot, then acknowledges. A lookup probes the home slot and then the next, so it may pass the home
 * slot before K arrives there and reach the next slot after K left it: a miss, which is fine before
 * the acknowledgment. After the acknowledgment it must find the new value: the old copy must not
 * be found in the old slot.
 *
 * <p>Result: (acknowledgment seen: 1 or 0, version found or 0 for a miss).
 */
@JCStressTest
@Description("K moves from the slot after its home to its home slot; after the acknowledgment a lookup sees v2.")
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "acceptable: acknowledged, new value in the new slot")
@Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "acceptable: not yet acknowledged, new value already visible")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "acceptable: old value in the old slot, not yet acknowledged")
@Outcome(
        id = "0, 0",
        expect = ACCEPTABLE,
        desc = "acceptable: miss while K moves (or the slots kept changing), not yet acknowledged: ask the daemon")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "stale after acknowledgment: the old copy in the old slot")
@Outcome(id = "1, 0", expect = FORBIDDEN, desc = "miss after acknowledgment: K is in its home slot, nothing in flight")
@Outcome(expect = FORBIDDEN, desc = "value from the future: a version the writer never put (X's is 9)")
@State
public class ViewMoveAfterAck {
    private static final byte[] X;
    private static final byte[] K;

    static {
        byte[][] keys = View.collidingKeys();
        X = keys[0];
        K = keys[1];
        View v = new View();
        v.writer.put(X, View.filled(8, 9), 9);
        v.writer.put(K, View.filled(8, 1), 1);
        int home = View.home(K);
        if (!v.slotHolds((home + 1) % View.SLOTS, K)) {
            throw new IllegalStateException("K is not in the slot after its home " + home);
        }
        v.writer.remove(X);
        v.writer.remove(K);
        v.writer.put(K, View.filled(8, 2), 2);
        if (!v.slotHolds(home, K)) {
            throw new IllegalStateException("K did not move to its home slot " + home);
        }
    }

    private final View view = new View();
    private volatile boolean acked;

    public ViewMoveAfterAck() {
        view.writer.put(X, View.filled(8, 9), 9);
        view.writer.put(K, View.filled(8, 1), 1);
    }

    @Actor
    public void daemon() {
        view.writer.remove(X);
        view.writer.remove(K);
        view.writer.put(K, View.filled(8, 2), 2);
        acked = true;
    }

    @Actor
    public void client(II_Result r) {
        r.r1 = acked ? 1 : 0;
        ViewReader.Hit hit = view.reader.lookup(K);
        r.r2 = hit == null ? 0 : (int) hit.version();
    }
}
