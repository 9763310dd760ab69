package io.sharedmap.server;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.snapshots.Unit;
import io.sharedmap.protocol.Opcode;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Counters the connections update and STATS reports. Lock-free; each counter is a {@link LongAdder}.
 * The histogram of RESP command times is the Prometheus client's ({@link MetricsExporter} exports it),
 * with one data point per command of {@link RespCommands#COMMANDS}; commands refused before they ran
 * (the wrong number of arguments, an unknown command) are counted, not timed, as Redis's commandstats
 * does.
 */
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
    /** RESP transactions (EXEC, RENAME, COPY, MSETNX) whose commit found a key changed and ran again or aborted. */
    final LongAdder respTransactionConflicts = new LongAdder();

    /**
     * How long RESP commands take to execute in the daemon, by command: from the start of decoding
     * the read that completed it (or the end of the command before it in that read) to its encoded
     * reply, without the wait for durability or the write (10 us to 10 s, factor 4).
     */
    final Histogram respCommandSeconds = Histogram.builder()
            .name("sharedmap_resp_command_seconds")
            .help("Time to execute one RESP command in the daemon (without the durability wait and the reply's"
                    + " write), by command; commands refused before they ran are not counted")
            .unit(Unit.SECONDS)
            .labelNames("command")
            .classicOnly()
            .classicExponentialUpperBounds(0.00001, 4, 11)
            .build();

    /** One RESP command's counts: its times, and its error replies (INFO commandstats). */
    record RespCommandStats(DistributionDataPoint time, LongAdder rejected, LongAdder failed) {}

    private final Map<String, RespCommandStats> respCommandStats;
    /** Commands sharedmap does not have: always rejected, never timed. */
    final LongAdder respUnknownCommands = new LongAdder();

    ServerStats() {
        for (int i = 0; i < ops.length; i++) {
            ops[i] = new LongAdder();
        }
        Map<String, RespCommandStats> m = new HashMap<>();
        for (String c : RespCommands.COMMANDS.keySet()) {
            m.put(c, new RespCommandStats(respCommandSeconds.labelValues(c), new LongAdder(), new LongAdder()));
        }
        respCommandStats = Map.copyOf(m);
    }

    /** Records one RESP command's execution time; {@code command} in lower case. */
    void respCommandTime(String command, long nanos) {
        RespCommandStats c = respCommandStats.get(command);
        if (c != null) { // always: only commands sharedmap has run
            c.time().observe(nanos / 1e9);
        }
    }

    /**
     * Counts an error reply of a RESP command: {@code rejected} when refused before it ran (its
     * arguments' count, a TCP connection without identity), failed otherwise (as Redis counts them).
     */
    void respCommandError(String command, boolean rejected) {
        RespCommandStats c = respCommandStats.get(command);
        if (c == null) {
            respUnknownCommands.increment();
        } else {
            (rejected ? c.rejected() : c.failed()).increment();
        }
    }

    /** The counts of one command sharedmap has, or null for another name. */
    @Nullable
    RespCommandStats respCommandStats(String command) {
        return respCommandStats.get(command);
    }
}
