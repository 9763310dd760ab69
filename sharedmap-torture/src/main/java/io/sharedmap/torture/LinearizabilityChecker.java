package io.sharedmap.torture;

import io.sharedmap.torture.LinOp.Kind;
import io.sharedmap.torture.LinOp.Result;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that the history of one key is linearizable: that some order of its operations, each
 * placed at one instant between its invocation and its completion, is a legal run of a single
 * versioned register.
 *
 * <p>Algorithm: Wing and Gong's search, with Lowe's memoization, as Porcupine ({@code
 * checkSingle}) and Knossos do. Invocations and completions are sorted by time (invocations first
 * on ties, which only makes more orders legal) into a linked list. Walking the list, an invocation
 * whose operation can go next in the model is <i>linearized</i>: removed from the list with its
 * completion, remembered on a stack, and the walk restarts at the head; reaching a completion means
 * its operation should already have been linearized, so the last choice is undone (backtrack) and
 * the walk tries the next candidate. A configuration (set of linearized operations, model state)
 * seen before is never explored again. The history is linearizable when the list empties, and is
 * not when a backtrack finds the stack empty. The search is exponential in the worst case, so it is
 * bounded: past {@code maxSteps} steps or {@code maxMemo} remembered configurations the answer is
 * {@link Verdict#UNKNOWN}.
 *
 * <p>Model: the register's state is (version, value id), the value id {@link #ABSENT} when the key
 * does not exist; then the version is the floor any later version must exceed (0 at first, the
 * removed entry's version after a DELETE). Versions only grow (the daemon's versions increase in
 * the order changes apply, and a DELETE takes a version too). GET must see the state (FOUND: that
 * value at that version; NOT_FOUND: absent); SET moves to (its version, its value); CAS applies only
 * when the state matches its expected version (0: absent) and moves to (its version, its value); a
 * CAS or conditional DELETE conflict reports the current version (0: absent), which must differ
 * from the expected one; DELETE removes a present entry of the reported version (conditional: the
 * expected one) and NOT_FOUND requires absence. An operation whose outcome is unknown (the call
 * threw) may be linearized either as applied or as having had no effect; if applied, a write's
 * version is unknown (learned from a GET that read its value, else a wildcard that matches any
 * version). How a GET was answered (the daemon's mapped store or the socket) does not matter
 * to the model: both must show the same register.
 */
public final class LinearizabilityChecker {
    /** The answer. */
    public enum Verdict {
        LINEARIZABLE,
        NOT_LINEARIZABLE,
        UNKNOWN
    }

    /** The answer for one key, with the search's size and, when not linearizable, why. */
    public record Outcome(Verdict verdict, int operations, long steps, String detail) {}

    public static final long DEFAULT_MAX_STEPS = 50_000_000L;
    public static final int DEFAULT_MAX_MEMO = 4_000_000;

    /** A version nobody learned: matches any. */
    private static final long WILDCARD = -1;
    /** The value id of an absent key (no value id has its sign bit set). */
    static final long ABSENT = Long.MIN_VALUE;

    private static final int MAX_CONCURRENT_SHOWN = 12;

    private final List<LinOp> ops;
    private final long maxSteps;
    private final int maxMemo;
    /** For unknown-outcome writes: the version a GET saw their value at, else WILDCARD. */
    private final long[] learnedVersion;

    // the entry list: entries 0..2n-1 (op i: call 2i, return 2i+1), HEAD = 2n, in time order
    private final int head;
    private final int[] next;
    private final int[] prev;

    private LinearizabilityChecker(List<LinOp> ops, long maxSteps, int maxMemo) {
        this.ops = ops;
        this.maxSteps = maxSteps;
        this.maxMemo = maxMemo;
        int n = ops.size();
        Map<Long, Long> seen = new HashMap<>();
        for (LinOp op : ops) {
            if (op.kind() == Kind.GET && op.result() == Result.FOUND) {
                seen.put(op.valueId(), op.version());
            }
        }
        learnedVersion = new long[n];
        for (int i = 0; i < n; i++) {
            learnedVersion[i] = seen.getOrDefault(ops.get(i).valueId(), WILDCARD);
        }
        head = 2 * n;
        next = new int[2 * n + 1];
        prev = new int[2 * n + 1];
        Integer[] order = new Integer[2 * n];
        for (int e = 0; e < 2 * n; e++) {
            order[e] = e;
        }
        Arrays.sort(order, Comparator.<Integer>comparingLong(this::time).thenComparingInt(e -> e & 1));
        int last = head;
        for (int e : order) {
            next[last] = e;
            prev[e] = last;
            last = e;
        }
        next[last] = head;
        prev[head] = last;
    }

    private long time(int entry) {
        LinOp op = ops.get(entry >> 1);
        return (entry & 1) == 0 ? op.invokeNs() : op.completeNs();
    }

    /** Checks one key's history with the default bounds. */
    public static Outcome check(List<LinOp> history) {
        return check(history, DEFAULT_MAX_STEPS, DEFAULT_MAX_MEMO);
    }

    /** Checks one key's history (GETs that threw carry no information and are left out). */
    public static Outcome check(List<LinOp> history, long maxSteps, int maxMemo) {
        List<LinOp> ops = history.stream()
                .filter(op -> !(op.kind() == Kind.GET && op.result() == Result.UNKNOWN))
                .toList();
        return new LinearizabilityChecker(ops, maxSteps, maxMemo).search();
    }

    private record Frame(int op, long version, long valueId, int alternative) {}

    private record Memo(long[] linearized, long version, long valueId) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Memo m
                    && m.version == version
                    && m.valueId == valueId
                    && Arrays.equals(m.linearized, linearized);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(linearized) * 31 + Long.hashCode(version * 17 + valueId);
        }
    }

    private Outcome search() {
        int n = ops.size();
        BitSet linearized = new BitSet(n);
        Set<Memo> memo = new HashSet<>();
        List<Frame> stack = new ArrayList<>();
        long version = 0;
        long valueId = ABSENT;
        int entry = next[head];
        int alternativeFrom = 0;
        long steps = 0;
        int deepest = -1;
        int stuckOp = -1;
        long[] stuckState = {0, ABSENT};
        long[] state = new long[2];
        while (next[head] != head) {
            if (++steps > maxSteps || memo.size() > maxMemo) {
                return new Outcome(
                        Verdict.UNKNOWN,
                        n,
                        steps,
                        "search bound reached after " + (steps - 1) + " steps and " + memo.size() + " configurations ("
                                + stack.size() + " of " + n + " operations linearized)");
            }
            if ((entry & 1) == 0) { // an invocation: try to linearize its operation now
                int op = entry >> 1;
                boolean moved = false;
                for (int alt = alternativeFrom; alt < alternatives(op) && !moved; alt++) {
                    if (!step(op, alt, version, valueId, state)) {
                        continue;
                    }
                    linearized.set(op);
                    if (memo.add(new Memo(linearized.toLongArray(), state[0], state[1]))) {
                        stack.add(new Frame(op, version, valueId, alt));
                        version = state[0];
                        valueId = state[1];
                        lift(op);
                        entry = next[head];
                        moved = true;
                    } else {
                        linearized.clear(op);
                    }
                }
                alternativeFrom = 0;
                if (!moved) {
                    entry = next[entry];
                }
            } else { // a completion of an operation not yet linearized: undo the last choice
                if (stack.size() > deepest) {
                    deepest = stack.size();
                    stuckOp = entry >> 1;
                    stuckState[0] = version;
                    stuckState[1] = valueId;
                }
                if (stack.isEmpty()) {
                    return new Outcome(Verdict.NOT_LINEARIZABLE, n, steps, explain(deepest, stuckOp, stuckState));
                }
                Frame f = stack.removeLast();
                version = f.version();
                valueId = f.valueId();
                linearized.clear(f.op());
                unlift(f.op());
                entry = 2 * f.op();
                alternativeFrom = f.alternative() + 1;
            }
        }
        return new Outcome(Verdict.LINEARIZABLE, n, steps, "");
    }

    private int alternatives(int op) {
        return ops.get(op).result() == Result.UNKNOWN ? 2 : 1;
    }

    /**
     * Whether operation {@code op}, taken as alternative {@code alt} (unknown outcomes: 0 = applied,
     * 1 = no effect), can follow state (version, valueId); if so its next state goes in {@code out}.
     */
    private boolean step(int op, int alt, long version, long valueId, long[] out) {
        LinOp o = ops.get(op);
        boolean wild = version == WILDCARD;
        boolean present = valueId != ABSENT;
        out[0] = version;
        out[1] = valueId;
        switch (o.result()) {
            case FOUND -> {
                if (!present || valueId != o.valueId() || !(wild || version == o.version())) {
                    return false;
                }
                out[0] = o.version();
                return true;
            }
            case NOT_FOUND -> {
                return !present; // GET, or an unconditional DELETE that found nothing
            }
            case OK -> {
                return applyWrite(wild || o.version() > version, o.version(), o.valueId(), out);
            }
            case APPLIED -> {
                return applyWrite(
                        matches(o.expected(), version, valueId)
                                && o.version() > o.expected()
                                && (wild || o.version() > version),
                        o.version(),
                        o.valueId(),
                        out);
            }
            case DELETED -> {
                if (!present
                        || (o.expected() != 0 && o.version() != o.expected())
                        || !(wild || version == o.version())) {
                    return false;
                }
                out[0] = o.version(); // absent now; later versions exceed the removed one
                out[1] = ABSENT;
                return true;
            }
            case CONFLICT -> {
                if (o.version() == o.expected()) {
                    return false;
                }
                if (o.version() == 0) {
                    return !present; // CAS or conditional DELETE of an absent key
                }
                if (!present) {
                    return false;
                }
                if (wild) {
                    out[0] = o.version();
                    return true;
                }
                return version == o.version();
            }
            case UNKNOWN -> {
                if (alt == 1) {
                    return true; // never took effect
                }
                if (o.kind() == Kind.DELETE) {
                    // applied: removes a present entry (of the expected version, if conditional); on an absent
                    // key it would change nothing, which alternative 1 already covers
                    if (!present || (o.expected() != 0 && !(wild || version == o.expected()))) {
                        return false;
                    }
                    out[1] = ABSENT;
                    return true;
                }
                long v = learnedVersion[op];
                boolean allowed = o.kind() == Kind.SET || matches(o.expected(), version, valueId);
                return applyWrite(allowed && (v == WILDCARD || wild || v > version), v, o.valueId(), out);
            }
            default -> throw new IllegalStateException("unexpected result " + o.result());
        }
    }

    /** Whether a CAS expecting {@code expected} (0: absent) finds it in state (version, valueId). */
    private static boolean matches(long expected, long version, long valueId) {
        if (expected == 0) {
            return valueId == ABSENT;
        }
        return valueId != ABSENT && (version == WILDCARD || version == expected);
    }

    private static boolean applyWrite(boolean allowed, long newVersion, long newValueId, long[] out) {
        if (!allowed) {
            return false;
        }
        out[0] = newVersion;
        out[1] = newValueId;
        return true;
    }

    private void lift(int op) {
        remove(2 * op);
        remove(2 * op + 1);
    }

    private void unlift(int op) {
        restore(2 * op + 1);
        restore(2 * op);
    }

    private void remove(int e) {
        next[prev[e]] = next[e];
        prev[next[e]] = prev[e];
    }

    private void restore(int e) {
        next[prev[e]] = e;
        prev[next[e]] = e;
    }

    private String explain(int deepest, int stuckOp, long[] state) {
        LinOp stuck = ops.get(stuckOp);
        StringBuilder b = new StringBuilder();
        b.append("no order of the ")
                .append(ops.size())
                .append(" operations is legal; the longest legal prefix has ")
                .append(deepest)
                .append(" operations, after which the register holds ")
                .append(
                        state[1] == ABSENT
                                ? "nothing" + (state[0] > 0 ? " (deleted at v" + state[0] + ")" : "")
                                : "value " + LinOp.valueName(state[1]) + " at v"
                                        + (state[0] == WILDCARD ? "?" : state[0]))
                .append(", and this operation cannot be placed:\n    ")
                .append(stuck)
                .append("\n  operations concurrent with it:");
        int shown = 0;
        for (LinOp o : ops) {
            if (o != stuck && o.invokeNs() <= stuck.completeNs() && o.completeNs() >= stuck.invokeNs()) {
                if (shown++ == MAX_CONCURRENT_SHOWN) {
                    b.append("\n    ...");
                    break;
                }
                b.append("\n    ").append(o);
            }
        }
        if (shown == 0) {
            b.append(" none");
        }
        return b.toString();
    }
}
