package io.sharedmap.server;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.snapshots.Unit;
import io.sharedmap.protocol.Opcode;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters the connections update and STATS reports. Lock-free; each counter is a {@link LongAdder}.
 * The histogram of RESP command times is the Prometheus client's ({@link MetricsExporter} exports it),
 * with one data point per command of {@link RespCommands#COMMANDS} and one for every other name.
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

    /**
     * How long RESP commands take to execute in the daemon, by command: from the decoded command to
     * its encoded reply, without the wait for durability or the write (10 us to 10 s, factor 4).
     */
    final Histogram respCommandSeconds = Histogram.builder()
            .name("sharedmap_resp_command_seconds")
            .help("Time to execute one RESP command in the daemon (without the durability wait and the reply's"
                    + " write), by command; 'other' for commands sharedmap does not have")
            .unit(Unit.SECONDS)
            .labelNames("command")
            .classicOnly()
            .classicExponentialUpperBounds(0.00001, 4, 11)
            .build();

    private final Map<String, DistributionDataPoint> respCommandTimes;
    private final DistributionDataPoint respOtherTimes = respCommandSeconds.labelValues("other");

    ServerStats() {
        for (int i = 0; i < ops.length; i++) {
            ops[i] = new LongAdder();
        }
        Map<String, DistributionDataPoint> m = new HashMap<>();
        for (String c : RespCommands.COMMANDS.keySet()) {
            m.put(c, respCommandSeconds.labelValues(c));
        }
        respCommandTimes = Map.copyOf(m);
    }

    /** Records one RESP command's execution time; {@code command} in lower case. */
    void respCommandTime(String command, long nanos) {
        respCommandTimes.getOrDefault(command, respOtherTimes).observe(nanos / 1e9);
    }
}
