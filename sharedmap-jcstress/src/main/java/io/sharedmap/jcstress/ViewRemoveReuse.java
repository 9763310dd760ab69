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
 * A lookup of K racing remove(K) then put(L) into the very slot K left: K and L have the same hash
 * and length (so the hash and length checks pass for both), the slot is reclaimed to EMPTY by the
 * remove and reused by the put. The lookup may see K's value or a miss, never L's value.
 *
 * <p>Result: (version, the byte every byte of the value holds or -1 if they differ); a miss is
 * (0, 0).
 */
@JCStressTest
@Description("lookup(K) racing remove(K); put(L) into K's slot (same hash, same length) never returns L's value.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "acceptable: old value of K")
@Outcome(
        id = "0, 0",
        expect = ACCEPTABLE,
        desc = "acceptable: miss, K removed (or the slot kept changing): ask the daemon")
@Outcome(id = "2, 2", expect = FORBIDDEN, desc = "another key's value: L's value returned for K")
@Outcome(expect = FORBIDDEN, desc = "torn value: bytes of K's and L's writes mixed")
@State
public class ViewRemoveReuse {
    private static final byte[] K;
    private static final byte[] L;

    static {
        byte[][] keys = View.collidingKeys();
        K = keys[0];
        L = keys[1];
        // The set-up this test relies on: L takes exactly the slot K leaves.
        View v = new View();
        v.writer.put(K, View.filled(8, 1), 1);
        v.writer.remove(K);
        v.writer.put(L, View.filled(8, 2), 2);
        if (!v.slotHolds(View.home(K), L)) {
            throw new IllegalStateException("L did not reuse K's slot " + View.home(K));
        }
    }

    private final View view = new View();

    public ViewRemoveReuse() {
        view.writer.put(K, View.filled(8, 1), 1);
    }

    @Actor
    public void writer() {
        view.writer.remove(K);
        view.writer.put(L, View.filled(8, 2), 2);
    }

    @Actor
    public void reader(II_Result r) {
        ViewReader.Hit hit = view.reader.lookup(K);
        if (hit != null) {
            r.r1 = (int) hit.version();
            r.r2 = View.uniformByte(hit.value());
        }
    }
}
