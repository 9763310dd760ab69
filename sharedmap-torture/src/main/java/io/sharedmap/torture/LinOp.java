package io.sharedmap.torture;

import io.sharedmap.launcher.WorkerReport;

/**
 * One operation of a linearizability history on one key: invoked and completed at {@link
 * System#nanoTime()} instants (one machine, so one monotonic clock for every process), with what it
 * asked and what it got.
 *
 * @param key the history's key (index)
 * @param client who ran it (a writer id: process and thread); a client runs one operation at a time
 * @param kind GET, SET, CAS or DELETE
 * @param invokeNs just before the request was sent (or, for a GET, before the client was asked: a
 *     direct read sends nothing)
 * @param completeNs just after the reply arrived; {@link #UNKNOWN_COMPLETION} when the call threw
 *     (the operation may have taken effect at any time after its invocation, or never)
 * @param expected CAS: the expected version (0: only if absent); DELETE: the expected version, 0 for
 *     an unconditional delete
 * @param valueId SET/CAS: the unique id of the value written; GET: the id of the value read
 * @param result what the reply said
 * @param version FOUND: the entry's version; OK/APPLIED: the new version; DELETED: the removed
 *     entry's version; CONFLICT: the current one (0: absent)
 * @param direct GET only: answered from the daemon's mapped store rather than the socket
 *     (the checker treats both alike: the point is that their answers must agree)
 */
public record LinOp(
        int key,
        long client,
        Kind kind,
        long invokeNs,
        long completeNs,
        long expected,
        long valueId,
        Result result,
        long version,
        boolean direct) {

    /** An operation through the socket. */
    public LinOp(
            int key,
            long client,
            Kind kind,
            long invokeNs,
            long completeNs,
            long expected,
            long valueId,
            Result result,
            long version) {
        this(key, client, kind, invokeNs, completeNs, expected, valueId, result, version, false);
    }

    /** Completion time of an operation whose outcome is unknown. */
    public static final long UNKNOWN_COMPLETION = Long.MAX_VALUE;

    /** The operations recorded. */
    public enum Kind {
        GET,
        SET,
        CAS,
        DELETE
    }

    /**
     * What a reply said; UNKNOWN when the call threw, so the outcome is not known. GET: FOUND or
     * NOT_FOUND; SET: OK; CAS: APPLIED or CONFLICT; DELETE: DELETED, NOT_FOUND (unconditional) or
     * CONFLICT (conditional).
     */
    public enum Result {
        FOUND,
        NOT_FOUND,
        OK,
        APPLIED,
        CONFLICT,
        DELETED,
        UNKNOWN
    }

    /** The report kind of a history operation in a worker's result file. */
    static final String REPORT = "history";

    /**
     * This operation as a worker report: {@code history key= client= kind= invoke= complete=
     * expected= value= result= version= path=D|S}.
     */
    public WorkerReport report() {
        return WorkerReport.of(REPORT)
                .with("key", key)
                .with("client", client)
                .with("kind", kind)
                .with("invoke", invokeNs)
                .with("complete", completeNs)
                .with("expected", expected)
                .with("value", valueId)
                .with("result", result)
                .with("version", version)
                .with("path", direct ? "D" : "S");
    }

    /** The operation a {@link #report()} describes. */
    public static LinOp from(WorkerReport r) {
        return new LinOp(
                r.integer("key"),
                r.number("client"),
                Kind.valueOf(r.text("kind")),
                r.number("invoke"),
                r.number("complete"),
                r.number("expected"),
                r.number("value"),
                Result.valueOf(r.text("result")),
                r.number("version"),
                r.text("path").equals("D"));
    }

    /** A history value's id as {@code process.thread#n}: the n-th history value that thread wrote. */
    public static String valueName(long valueId) {
        return (valueId >>> 48) + "." + ((valueId >>> 32) & 0xFFFF) + "#" + (valueId & 0xFFFF_FFFFL);
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case GET -> direct ? "GET(direct)" : "GET";
            case SET -> "SET(" + valueName(valueId) + ")";
            case CAS -> "CAS(expect v" + expected + ", " + valueName(valueId) + ")";
            case DELETE -> expected == 0 ? "DELETE" : "DELETE(expect v" + expected + ")";
        };
        String got = switch (result) {
            case FOUND -> "found " + valueName(valueId) + " at v" + version;
            case NOT_FOUND -> "not found";
            case DELETED -> "deleted v" + version;
            case OK, APPLIED -> "v" + version;
            case CONFLICT -> "conflict, current v" + version;
            case UNKNOWN -> "outcome unknown";
        };
        return "client " + TortureValue.writerName(client) + " " + what + " -> " + got + " [" + invokeNs + ", "
                + (completeNs == UNKNOWN_COMPLETION ? "?" : Long.toString(completeNs)) + "]";
    }
}
