package io.sharedmap.torture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The self-verifying values: every way a value can be wrong is named. */
class TortureValueTest {
    private static final int RUN = 0x1234;
    private static final long WRITER = TortureValue.writerId(2, 3);

    @Test
    void verify_valueAsWritten_returnsItsStamp() {
        byte[] v = TortureValue.encode(RUN, 7, WRITER, 42, 1000);

        assertThat(TortureValue.verify(v, RUN, 7)).isEqualTo(new TortureValue.Stamp(WRITER, 42));
        assertThat(TortureValue.writerName(WRITER)).isEqualTo("2.3");
    }

    @Test
    void verify_truncated_torn() {
        byte[] v = TortureValue.encode(RUN, 7, WRITER, 42, 1000);

        assertThatThrownBy(() -> TortureValue.verify(Arrays.copyOf(v, 500), RUN, 7))
                .hasMessageStartingWith("torn");
        assertThatThrownBy(() -> TortureValue.verify(Arrays.copyOf(v, 10), RUN, 7))
                .hasMessageStartingWith("torn");
    }

    @Test
    void verify_halvesOfTwoWrites_tornOrMixed() {
        byte[] a = TortureValue.encode(RUN, 7, WRITER, 42, 1000);
        byte[] b = TortureValue.encode(RUN, 7, WRITER + 1, 9, 1000);
        byte[] mixed = a.clone();
        System.arraycopy(b, 500, mixed, 500, a.length - 500);

        assertThatThrownBy(() -> TortureValue.verify(mixed, RUN, 7)).hasMessageStartingWith("torn or mixed");
    }

    @Test
    void verify_otherKeyOrOtherRun_named() {
        byte[] v = TortureValue.encode(RUN, 7, WRITER, 42, 10);

        assertThatThrownBy(() -> TortureValue.verify(v, RUN, 8)).hasMessageStartingWith("crossed keys");
        assertThatThrownBy(() -> TortureValue.verify(v, RUN + 1, 7))
                .hasMessageStartingWith("never written by this run");
    }

    @Test
    void verify_notATortureValue_named() {
        assertThatThrownBy(() -> TortureValue.verify(new byte[64], RUN, 7)).hasMessageContaining("not a torture value");
    }
}
