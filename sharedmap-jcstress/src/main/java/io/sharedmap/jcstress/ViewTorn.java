package io.sharedmap.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A lookup racing a replacement of the same size sees the old value or the new one, whole.
 *
 * <p>Result: (version, the byte every byte of the value holds or -1 if they differ, length); a
 * miss is (0, 0, 0).
 */
@JCStressTest
@Description("A lookup racing put(K, 16 x 2, v2) over (K, 16 x 1, v1) sees one of them whole, never a mix.")
@Outcome(id = "1, 1, 16", expect = ACCEPTABLE, desc = "acceptable: old value (v1), whole")
@Outcome(id = "2, 2, 16", expect = ACCEPTABLE, desc = "acceptable: new value (v2), whole")
@Outcome(
        id = "0, 0, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "gave up to the socket: the slot was odd or changing for all of the reader's attempts")
@Outcome(expect = FORBIDDEN, desc = "torn value: bytes of both writes, or one write's version with the other's bytes")
@State
public class ViewTorn {
    private static final byte[] K = View.key("k");

    private final View view = new View();

    public ViewTorn() {
        view.writer.put(K, View.filled(16, 1), 1);
    }

    @Actor
    public void writer() {
        view.writer.put(K, View.filled(16, 2), 2);
    }

    @Actor
    public void reader(III_Result r) {
        view.lookup(K, r);
    }
}
