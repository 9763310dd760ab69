package io.sharedmap.torture;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.launcher.WorkerReport;
import io.sharedmap.torture.LinOp.Kind;
import io.sharedmap.torture.LinOp.Result;
import io.sharedmap.torture.LinearizabilityChecker.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Hand-made histories of one versioned register, legal and not, sequential and concurrent. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinearizabilityCheckerTest {
    private static final long UNKNOWN = LinOp.UNKNOWN_COMPLETION;

    private static LinOp get(long client, long from, long to, long id, long version) {
        return new LinOp(0, client, Kind.GET, from, to, 0, id, Result.FOUND, version);
    }

    private static LinOp getNothing(long client, long from, long to) {
        return new LinOp(0, client, Kind.GET, from, to, 0, 0, Result.NOT_FOUND, 0);
    }

    private static LinOp set(long client, long from, long to, long id, long version) {
        return new LinOp(0, client, Kind.SET, from, to, 0, id, to == UNKNOWN ? Result.UNKNOWN : Result.OK, version);
    }

    private static LinOp cas(long client, long from, long to, long expected, long id, Result r, long version) {
        return new LinOp(0, client, Kind.CAS, from, to, expected, id, r, version);
    }

    private static LinOp del(long client, long from, long to, long expected, Result r, long version) {
        return new LinOp(0, client, Kind.DELETE, from, to, expected, 0, r, version);
    }

    private static LinOp directGet(long client, long from, long to, long id, long version) {
        return new LinOp(0, client, Kind.GET, from, to, 0, id, Result.FOUND, version, true);
    }

    private static Verdict check(LinOp... ops) {
        return LinearizabilityChecker.check(List.of(ops)).verdict();
    }

    @Test
    void check_sequentialLegalHistory_linearizable() {
        assertThat(check(
                        getNothing(1, 0, 1),
                        set(1, 2, 3, 100, 5),
                        get(2, 4, 5, 100, 5),
                        cas(2, 6, 7, 5, 101, Result.APPLIED, 9),
                        cas(1, 8, 9, 5, 102, Result.CONFLICT, 9),
                        get(1, 10, 11, 101, 9)))
                .isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void check_staleReadAfterNewerWriteCompleted_notLinearizable() {
        LinearizabilityChecker.Outcome o =
                LinearizabilityChecker.check(List.of(set(1, 0, 1, 100, 5), set(1, 2, 3, 101, 6), get(2, 4, 5, 100, 5)));

        assertThat(o.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(o.detail()).contains("GET -> found 0.0#100 at v5", "the register holds value 0.0#101 at v6");
    }

    @Test
    void check_readConcurrentWithWrite_mayReturnEitherValue() {
        assertThat(check(set(1, 0, 1, 100, 5), set(1, 2, 10, 101, 6), get(2, 3, 4, 100, 5)))
                .isEqualTo(Verdict.LINEARIZABLE);
        assertThat(check(set(1, 0, 1, 100, 5), set(1, 2, 10, 101, 6), get(2, 3, 4, 101, 6)))
                .isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void check_twoReadsSeeNewThenOld_notLinearizable() {
        // both reads overlap the write, but once one has seen the new value, a later read cannot see the old
        assertThat(check(set(1, 0, 1, 100, 5), set(1, 2, 20, 101, 6), get(2, 3, 4, 101, 6), get(3, 5, 6, 100, 5)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void check_concurrentWritesOrderedByTheirVersions_linearizableOnlyInVersionOrder() {
        // two overlapping SETs: the one with the higher version must come last
        assertThat(check(set(1, 0, 10, 100, 5), set(2, 1, 9, 101, 6), get(3, 11, 12, 101, 6)))
                .isEqualTo(Verdict.LINEARIZABLE);
        assertThat(check(set(1, 0, 10, 100, 5), set(2, 1, 9, 101, 6), get(3, 11, 12, 100, 5)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void check_casConflictMustReportTheCurrentVersion() {
        assertThat(check(set(1, 0, 1, 100, 5), cas(2, 2, 3, 4, 101, Result.CONFLICT, 5)))
                .isEqualTo(Verdict.LINEARIZABLE);
        assertThat(check(set(1, 0, 1, 100, 5), cas(2, 2, 3, 4, 101, Result.CONFLICT, 3)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        // a CAS that applied against a version that was already replaced
        assertThat(check(set(1, 0, 1, 100, 5), set(1, 2, 3, 101, 6), cas(2, 4, 5, 5, 102, Result.APPLIED, 7)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void check_casAppliedTwice_notLinearizable() {
        // the lost-update bug: two CAS from the same version both applied
        assertThat(check(
                        set(1, 0, 1, 100, 5),
                        cas(2, 2, 3, 5, 101, Result.APPLIED, 6),
                        cas(3, 4, 5, 5, 102, Result.APPLIED, 7)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void check_unknownOutcomeWrite_mayHaveTakenEffectOrNot() {
        // the write threw; a later read sees its value: it took effect
        assertThat(check(set(1, 0, 1, 100, 5), set(2, 2, UNKNOWN, 101, 0), get(3, 10, 11, 101, 6)))
                .isEqualTo(Verdict.LINEARIZABLE);
        // ... or it never did
        assertThat(check(set(1, 0, 1, 100, 5), set(2, 2, UNKNOWN, 101, 0), get(3, 10, 11, 100, 5)))
                .isEqualTo(Verdict.LINEARIZABLE);
        // but it cannot take effect before it was invoked
        assertThat(check(set(1, 0, 1, 100, 5), get(3, 2, 3, 101, 6), set(2, 4, UNKNOWN, 101, 0)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void check_versionsGoingBackwards_notLinearizable() {
        assertThat(check(set(1, 0, 1, 100, 7), set(1, 2, 3, 101, 6))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void check_manyConcurrentClients_linearizableWithinBound() {
        List<LinOp> ops = new ArrayList<>();
        long version = 0;
        // 8 clients, rounds of overlapping SETs then overlapping GETs of the last one
        for (int round = 0; round < 200; round++) {
            long t = round * 100L;
            for (int c = 0; c < 8; c++) {
                ops.add(set(c, t, t + 50, round * 8L + c, ++version));
            }
            for (int c = 0; c < 8; c++) {
                ops.add(get(c, t + 60, t + 90, round * 8L + 7, version));
            }
        }
        LinearizabilityChecker.Outcome o = LinearizabilityChecker.check(ops);

        assertThat(o.verdict()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(o.operations()).isEqualTo(3200);
    }

    @Test
    void check_searchBoundHit_unknown() {
        List<LinOp> ops = new ArrayList<>();
        for (int c = 0; c < 12; c++) {
            ops.add(set(c, 0, 100, c, c + 1));
        }
        ops.add(get(99, 101, 102, 0, 1)); // forces the search through many orders
        LinearizabilityChecker.Outcome o = LinearizabilityChecker.check(ops, 50, 1_000);

        assertThat(o.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(o.detail()).contains("search bound");
    }

    @Test
    void check_deleteThenRecreate_legalOnlyWithAbsenceBetween() {
        assertThat(check(
                        set(1, 0, 1, 100, 5),
                        del(2, 2, 3, 0, Result.DELETED, 5),
                        getNothing(1, 4, 5),
                        del(2, 6, 7, 0, Result.NOT_FOUND, 0),
                        cas(1, 8, 9, 0, 101, Result.APPLIED, 8), // expected 0: only if absent
                        del(2, 10, 11, 7, Result.CONFLICT, 8),
                        del(2, 12, 13, 8, Result.DELETED, 8),
                        del(1, 14, 15, 8, Result.CONFLICT, 0), // conditional delete of an absent key
                        getNothing(1, 16, 17)))
                .isEqualTo(Verdict.LINEARIZABLE);
        // a value read after its delete completed
        assertThat(check(set(1, 0, 1, 100, 5), del(2, 2, 3, 0, Result.DELETED, 5), get(1, 4, 5, 100, 5)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        // nothing found although a write completed after the delete
        assertThat(check(
                        set(1, 0, 1, 100, 5),
                        del(2, 2, 3, 0, Result.DELETED, 5),
                        set(1, 4, 5, 101, 7),
                        getNothing(2, 6, 7)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        // a delete that removed a version the key no longer had
        assertThat(check(set(1, 0, 1, 100, 5), set(1, 2, 3, 101, 6), del(2, 4, 5, 0, Result.DELETED, 5)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        // CAS "only if absent" applied while the key existed
        assertThat(check(set(1, 0, 1, 100, 5), cas(2, 2, 3, 0, 101, Result.APPLIED, 6)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        // versions keep growing across a delete
        assertThat(check(set(1, 0, 1, 100, 5), del(2, 2, 3, 0, Result.DELETED, 5), set(1, 4, 5, 101, 4)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void check_unknownOutcomeDelete_mayHaveTakenEffectOrNot() {
        assertThat(check(set(1, 0, 1, 100, 5), del(2, 2, UNKNOWN, 0, Result.UNKNOWN, 0), getNothing(3, 10, 11)))
                .isEqualTo(Verdict.LINEARIZABLE);
        assertThat(check(set(1, 0, 1, 100, 5), del(2, 2, UNKNOWN, 0, Result.UNKNOWN, 0), get(3, 10, 11, 100, 5)))
                .isEqualTo(Verdict.LINEARIZABLE);
        // but not before it was invoked
        assertThat(check(set(1, 0, 1, 100, 5), getNothing(3, 2, 3), del(2, 4, UNKNOWN, 0, Result.UNKNOWN, 0)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void check_directAndSocketReadsMixed_oneRegister() {
        // a direct read after a socket read saw the newer value must not see the older one
        LinearizabilityChecker.Outcome o = LinearizabilityChecker.check(
                List.of(set(1, 0, 1, 100, 5), set(1, 2, 20, 101, 6), get(2, 3, 4, 101, 6), directGet(3, 5, 6, 100, 5)));

        assertThat(o.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(o.detail()).contains("GET(direct) -> found 0.0#100 at v5");
        assertThat(check(set(1, 0, 1, 100, 5), set(1, 2, 20, 101, 6), directGet(2, 3, 4, 100, 5), get(3, 5, 6, 101, 6)))
                .isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void from_report_roundTrips() {
        LinOp op = cas(3, 10, UNKNOWN, 4, 77, Result.UNKNOWN, 0);

        assertThat(LinOp.from(WorkerReport.parse(op.report().line()))).isEqualTo(op);
        LinOp direct = directGet(2, 5, 6, 77, 9);
        assertThat(LinOp.from(WorkerReport.parse(direct.report().line()))).isEqualTo(direct);
        LinOp delete = del(1, 7, 8, 9, Result.DELETED, 9);
        assertThat(LinOp.from(WorkerReport.parse(delete.report().line()))).isEqualTo(delete);
    }
}
