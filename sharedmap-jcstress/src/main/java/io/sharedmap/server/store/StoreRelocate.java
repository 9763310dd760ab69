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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A change to another length moves the entry: the new one is written elsewhere, the slot swung to
 * it, the old one killed and zeroed. A lookup racing that sees one whole write, never a length of
 * one with bytes or version of the other, never the zeros of the dead entry.
 *
 * <p>Result: (the byte the value is made of, -1 if mixed; its length; 1 if the version read is the
 * version of the write whose bytes were read, else 0), or (0, 0, 0) when the reader asked the
 * daemon.
 */
@JCStressTest
@Description("K from 8 x 1 to 30 x 2 (moved) against lookup(K): one whole write, never a value never written.")
@Outcome(id = "1, 8, 1", expect = ACCEPTABLE, desc = "acceptable: old value (v1), whole")
@Outcome(id = "2, 30, 1", expect = ACCEPTABLE, desc = "acceptable: new value (v2), whole")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "gave up to the socket: the entry kept changing")
@Outcome(id = "-1, .*, .*", expect = FORBIDDEN, desc = "torn or zeroed value: bytes of both writes, or of none")
@Outcome(
        expect = FORBIDDEN,
        desc = "value from the future or the past: one write's length or version with the other's bytes")
@State
public class StoreRelocate {
    private static final StoreFixture F = new StoreFixture("relocate");
    private final byte[] k = F.newKey();
    private final long v1;
    private long v2;
    private long seen;

    public StoreRelocate() {
        v1 = F.put(k, StoreFixture.filled(8, 1), StoreFixture.PUBLIC);
    }

    @Actor
    public void daemon() {
        v2 = F.put(k, StoreFixture.filled(30, 2), StoreFixture.PUBLIC);
    }

    @Actor
    public void client(III_Result r) {
        seen = F.readInto(k, r);
    }

    @Arbiter
    public void check(III_Result r) {
        StoreFixture.judge(r, seen, v1, v2);
        F.delete(k);
    }
}
