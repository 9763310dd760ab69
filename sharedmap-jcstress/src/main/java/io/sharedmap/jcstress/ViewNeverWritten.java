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
 * A lookup racing a replacement by a value of another size returns only a (version, value) pair
 * that the writer put: the old 8-byte value at version 1 or the new 30-byte value at version 2.
 * The two lengths make a torn length visible even when the bytes happen to agree.
 *
 * <p>Result: (version, the byte every byte of the value holds or -1 if they differ, length); a
 * miss is (0, 0, 0).
 */
@JCStressTest
@Description("A lookup racing put(K, 30 x 2, v2) over (K, 8 x 1, v1) sees only a pair the writer put.")
@Outcome(id = "1, 1, 8", expect = ACCEPTABLE, desc = "acceptable: old value (v1, 8 bytes)")
@Outcome(id = "2, 2, 30", expect = ACCEPTABLE, desc = "acceptable: new value (v2, 30 bytes)")
@Outcome(
        id = "0, 0, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "gave up to the socket: the slot was odd or changing for all of the reader's attempts")
@Outcome(
        id = "2, 1, .*",
        expect = FORBIDDEN,
        desc = "value from the future: version 2 published with version 1's bytes (never written)")
@Outcome(
        id = "1, 2, .*",
        expect = FORBIDDEN,
        desc = "value from the future: version 2's bytes under version 1 (never written)")
@Outcome(
        id = {"1, 1, 30", "2, 2, 8"},
        expect = FORBIDDEN,
        desc = "torn value: one write's length with the other's version and bytes (never written)")
@Outcome(expect = FORBIDDEN, desc = "torn value: bytes of both writes, or a length no write put")
@State
public class ViewNeverWritten {
    private static final byte[] K = View.key("k");

    private final View view = new View();

    public ViewNeverWritten() {
        view.writer.put(K, View.filled(8, 1), 1);
    }

    @Actor
    public void writer() {
        view.writer.put(K, View.filled(30, 2), 2);
    }

    @Actor
    public void reader(III_Result r) {
        view.lookup(K, r);
    }
}
