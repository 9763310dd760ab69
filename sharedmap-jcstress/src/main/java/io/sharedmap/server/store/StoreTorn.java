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
 * A change made in place (same entry length, under the entry's seqlock) against a lookup: the
 * value read is one write's, whole, with that write's version.
 *
 * <p>Result: (the byte the value is made of, -1 if mixed; its length; 1 if the version read is the
 * version of the write whose bytes were read, else 0), or (0, 0, 0) when the reader asked the
 * daemon.
 */
@JCStressTest
@Description("In-place change of K from 16 x 1 to 16 x 2 against lookup(K): never torn.")
@Outcome(id = "1, 16, 1", expect = ACCEPTABLE, desc = "acceptable: old value (v1), whole")
@Outcome(id = "2, 16, 1", expect = ACCEPTABLE, desc = "acceptable: new value (v2), whole")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "gave up to the socket: the entry kept changing")
@Outcome(id = "-1, 16, .*", expect = FORBIDDEN, desc = "torn value: bytes of both writes")
@Outcome(expect = FORBIDDEN, desc = "torn value: one write's version with the other's bytes, or a wrong length")
@State
public class StoreTorn {
    private static final StoreFixture F = new StoreFixture("torn");
    private final byte[] k = F.newKey();
    private final long v1;
    private long v2;
    private long seen;

    public StoreTorn() {
        v1 = F.put(k, StoreFixture.filled(16, 1), StoreFixture.PUBLIC);
    }

    @Actor
    public void daemon() {
        v2 = F.put(k, StoreFixture.filled(16, 2), StoreFixture.PUBLIC);
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
