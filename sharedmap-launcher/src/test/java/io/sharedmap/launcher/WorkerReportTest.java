package io.sharedmap.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class WorkerReportTest {
    @Test
    void line_parse_roundTripsAnyValue() {
        WorkerReport r = WorkerReport.of("failure")
                .with("check", "corruption")
                .with("message", "key a=b at v3: 100% wrong\nsecond line\tand ünïcode");

        WorkerReport back = WorkerReport.parse(r.line());

        assertThat(back).isEqualTo(r);
        assertThat(r.line()).doesNotContain("\n").startsWith("failure check=corruption message=key%20a%3db");
        assertThat(back.text("message")).isEqualTo("key a=b at v3: 100% wrong\nsecond line\tand ünïcode");
    }

    @Test
    void typedFields_byName() {
        WorkerReport r = WorkerReport.parse("client path=D direct=12 socket=3 mapped=true");

        assertThat(r.kind()).isEqualTo("client");
        assertThat(r.number("direct")).isEqualTo(12);
        assertThat(r.integer("socket")).isEqualTo(3);
        assertThat(r.flag("mapped")).isTrue();
        assertThat(r.find("absent")).isNull();
        assertThat(WorkerReport.isKind("client path=D", "client")).isTrue();
        assertThat(WorkerReport.isKind("clients", "client")).isFalse();
    }

    @Test
    void malformed_errorsNameTheProblem() {
        assertThatThrownBy(() -> WorkerReport.parse("ops 12")).hasMessageContaining("not name=value");
        assertThatThrownBy(() -> WorkerReport.parse("ops n=1 n=2")).hasMessageContaining("twice");
        assertThatThrownBy(() -> WorkerReport.parse("ops n=%4")).hasMessageContaining("two hex digits");
        assertThatThrownBy(() -> WorkerReport.parse("ops n=x").number("n")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> WorkerReport.parse("ops").text("n"))
                .isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("no field 'n'");
        assertThatThrownBy(() -> WorkerReport.of("two words")).hasMessageContaining("not a word");
    }
}
