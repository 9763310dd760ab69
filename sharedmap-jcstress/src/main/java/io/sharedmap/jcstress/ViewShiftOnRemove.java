package io.sharedmap.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A key that the writer moves while a reader looks it up: X sits in the shared home slot and K one
 * past it; {@code remove(X)} fills X's slot with a copy of K (backward-shift deletion) and empties
 * K's old slot. A lookup of K races it: it may find K in either slot, or miss it (it passed the home
 * slot before the copy and reached the old slot after it emptied: "ask the daemon"), but it must
 * never return X's value, a torn value, or a version nobody wrote.
 *
 * <p>Result: (version, the byte every byte of the value holds or -1 if they differ, length); a miss
 * is (0, 0, 0).
 */
@JCStressTest
@Description("remove(X) moves K from the slot after its home into the home slot; a racing lookup(K) sees K or a miss.")
@Outcome(id = "1, 1, 8", expect = ACCEPTABLE, desc = "acceptable: K's value, from its old slot or its new one")
@Outcome(
        id = "0, 0, 0",
        expect = ACCEPTABLE,
        desc = "acceptable: miss while K moves (or the slots kept changing): ask the daemon")
@Outcome(id = "9, 9, 16", expect = FORBIDDEN, desc = "another key's value: X's value returned for K")
@Outcome(expect = FORBIDDEN, desc = "torn value, or a version the writer never put")
@State
public class ViewShiftOnRemove {
    private static final byte[] X;
    private static final byte[] K;

    static {
        byte[][] keys = View.collidingKeys();
        X = keys[0];
        K = keys[1];
        // The set-up this test relies on: K sits one past its home, and remove(X) moves it home.
        View v = new View();
        v.writer.put(X, View.filled(16, 9), 9);
        v.writer.put(K, View.filled(8, 1), 1);
        int home = View.home(K);
        if (!v.slotHolds((home + 1) % View.SLOTS, K)) {
            throw new IllegalStateException("K is not in the slot after its home " + home);
        }
        v.writer.remove(X);
        if (!v.slotHolds(home, K) || v.slotHolds((home + 1) % View.SLOTS, K)) {
            throw new IllegalStateException("remove(X) did not move K into its home slot " + home);
        }
    }

    private final View view = new View();

    public ViewShiftOnRemove() {
        view.writer.put(X, View.filled(16, 9), 9);
        view.writer.put(K, View.filled(8, 1), 1);
    }

    @Actor
    public void writer() {
        view.writer.remove(X);
    }

    @Actor
    public void reader(III_Result r) {
        view.lookup(K, r);
    }
}
