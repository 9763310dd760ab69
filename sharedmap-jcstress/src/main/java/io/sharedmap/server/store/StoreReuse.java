package io.sharedmap.server.store;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.sharedmap.os.store.StoreReader;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Space reuse: K's entry has a chunk of its own (1,100 bytes, above the fixture's 1 KiB); the
 * daemon deletes K, the compactor deletes the dead chunk, and L's entry, as large, gets the lowest
 * free chunk number: K's, as a new incarnation, at the same offset, so K's old reference now names
 * L's entry. A lookup of K racing all that may find K's value or nothing, never L's.
 *
 * <p>Result: (what the lookup found: 1 a value, 0 asked the daemon, -1 absent; the byte the value is
 * made of: 1 K's, 2 L's, -1 mixed).
 */
@JCStressTest
@Description("delete(K), its chunk deleted, put(L) into a chunk of K's number, against lookup(K): never L's value.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "acceptable: K's value, before its deletion")
@Outcome(id = "-1, 0", expect = ACCEPTABLE, desc = "acceptable: K absent, after its deletion")
@Outcome(
        id = "0, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "gave up to the socket: the slot, entry or chunk kept changing for 64 tries")
@Outcome(id = "1, 2", expect = FORBIDDEN, desc = "another key's value: L's value returned for K")
@Outcome(expect = FORBIDDEN, desc = "torn or zeroed value")
@State
public class StoreReuse {
    private static final StoreFixture F = new StoreFixture("reuse");
    private final byte[] k = F.newKey();
    private final byte[] l = F.newKey();

    public StoreReuse() {
        F.put(k, StoreFixture.filled(1100, 1), StoreFixture.PUBLIC);
    }

    @Actor
    public void daemon() {
        F.delete(k);
        F.compact();
        F.put(l, StoreFixture.filled(1100, 2), StoreFixture.PUBLIC);
    }

    @Actor
    public void client(II_Result r) {
        StoreReader.Result got = F.reader.lookup(k);
        r.r1 = StoreFixture.kind(got);
        r.r2 = got instanceof StoreReader.Found f ? StoreFixture.uniformByte(f.value()) : 0;
    }

    @Arbiter
    public void cleanUp(II_Result r) {
        F.delete(l);
        F.compact();
    }
}
