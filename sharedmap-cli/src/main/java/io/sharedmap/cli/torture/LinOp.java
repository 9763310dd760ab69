package io.sharedmap.cli.torture;

/**
 * One operation of a linearizability history on one key: invoked and completed at {@link
 * System#nanoTime()} instants (one machine, so one monotonic clock for every process), with what it
 * asked and what it got.
 *
 * @param key the history's key (index)
 * @param client who ran it (a writer id: process and thread); a client runs one operation at a time
 * @param kind GET, SET or CAS
 * @param invokeNs just before the request was sent
 * @param completeNs just after the reply arrived; {@link #UNKNOWN_COMPLETION} when the call threw
 *     (the operation may have taken effect at any time after its invocation, or never)
 * @param expected CAS: the expected version
 * @param valueId SET/CAS: the unique id of the value written; GET: the id of the value read
 * @param result what the reply said
 * @param version FOUND: the entry's version; OK/APPLIED: the new version; CONFLICT: the current one
 */
public record LinOp(int key, long client, Kind kind, long invokeNs, long completeNs, long expected, long valueId,
    Result result, long version) {

  /** Completion time of an operation whose outcome is unknown. */
  public static final long UNKNOWN_COMPLETION = Long.MAX_VALUE;

  /** The operations recorded. */
  public enum Kind { GET, SET, CAS }

  /** What a reply said; UNKNOWN when the call threw, so the outcome is not known. */
  public enum Result { FOUND, NOT_FOUND, OK, APPLIED, CONFLICT, UNKNOWN }

  /** One line: {@code key client kind invokeNs completeNs expected valueId result version}. */
  public String toLine() {
    return key + " " + client + " " + kind + " " + invokeNs + " " + completeNs + " " + expected + " " + valueId + " "
        + result + " " + version;
  }

  /** Parses {@link #toLine()}'s output. */
  public static LinOp parse(String line) {
    String[] f = line.trim().split(" ");
    if (f.length != 9) {
      throw new IllegalArgumentException("not a history line: " + line);
    }
    return new LinOp(Integer.parseInt(f[0]), Long.parseLong(f[1]), Kind.valueOf(f[2]), Long.parseLong(f[3]),
        Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]), Result.valueOf(f[7]), Long.parseLong(f[8]));
  }

  /** A history value's id as {@code process.thread#n}: the n-th history value that thread wrote. */
  public static String valueName(long valueId) {
    return (valueId >>> 48) + "." + ((valueId >>> 32) & 0xFFFF) + "#" + (valueId & 0xFFFF_FFFFL);
  }

  @Override
  public String toString() {
    String what = switch (kind) {
      case GET -> "GET";
      case SET -> "SET(" + valueName(valueId) + ")";
      case CAS -> "CAS(expect v" + expected + ", " + valueName(valueId) + ")";
    };
    String got = switch (result) {
      case FOUND -> "found " + valueName(valueId) + " at v" + version;
      case NOT_FOUND -> "not found";
      case OK, APPLIED -> "v" + version;
      case CONFLICT -> "conflict, current v" + version;
      case UNKNOWN -> "outcome unknown";
    };
    return "client " + TortureValue.writerName(client) + " " + what + " -> " + got + " [" + invokeNs + ", "
        + (completeNs == UNKNOWN_COMPLETION ? "?" : Long.toString(completeNs)) + "]";
  }
}
