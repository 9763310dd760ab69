package io.sharedmap.server;

import io.sharedmap.protocol.Opcode;
import java.util.concurrent.atomic.LongAdder;

/** Counters the connections update and STATS reports. Lock-free; each counter is a {@link LongAdder}. */
final class ServerStats {
    final LongAdder[] ops = new LongAdder[Opcode.values().length];
    final LongAdder clientErrors = new LongAdder();
    final LongAdder serverErrors = new LongAdder();
    final LongAdder connectionsTotal = new LongAdder();
    final LongAdder connectionsRejected = new LongAdder();
    final LongAdder connectionsStalled = new LongAdder();
    /** Commands received on the RESP socket (each counts once, whatever it is). */
    final LongAdder respCommands = new LongAdder();

    final LongAdder respConnectionsTotal = new LongAdder();
    /** Rounds of the I/O threads that committed replies (one durability wait each). */
    final LongAdder batches = new LongAdder();

    ServerStats() {
        for (int i = 0; i < ops.length; i++) {
            ops[i] = new LongAdder();
        }
    }
}
