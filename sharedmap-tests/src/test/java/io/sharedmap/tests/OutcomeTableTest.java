package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.tools.OutcomeTable;
import io.sharedmap.tests.tools.OutcomeTable.Activity;
import io.sharedmap.tests.tools.OutcomeTable.Cell;
import io.sharedmap.tests.tools.OutcomeTable.Fault;
import io.sharedmap.tests.tools.OutcomeTable.Outcome;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A few cells of the outcome table, run for real, to keep {@link OutcomeTable} honest. */
class OutcomeTableTest {
    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void someCells_outcomesAsDocumented() {
        env.allowDaemonErrors("(?i)(space|journal|storage|injected)");
        Cell recoveringKill = OutcomeTable.run(env, Activity.WRITER_LOOP, Fault.KILL9, true, 0);
        assertThat(recoveringKill.outcome()).as("%s", recoveringKill).isEqualTo(Outcome.SUCCESS);
        Cell plainKill = OutcomeTable.run(env, Activity.WRITER_LOOP, Fault.KILL9, false, 1);
        assertThat(plainKill.outcome()).as("%s", plainKill).isEqualTo(Outcome.MALFUNCTION);
        assertThat(plainKill.errors()).isPositive();
        Cell diskFull = OutcomeTable.run(env, Activity.BULK_LOADER, Fault.DISK_FULL, true, 2);
        assertThat(diskFull.outcome())
                .as("%s: a full disk is not hidden", diskFull)
                .isEqualTo(Outcome.MALFUNCTION);
        assertThat(OutcomeTable.markdown(List.of(recoveringKill, plainKill)))
                .contains("| writer loop | recovering | SUCCESS |");
    }
}
