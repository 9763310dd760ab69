package io.sharedmap.server.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link RespOutput}: the exact bytes of each type in RESP2 and RESP3. */
class RespOutputTest {
    private static String s(RespOutput o) {
        return new String(o.toByteArray(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void resp2_everyType() {
        RespOutput o = new RespOutput(2)
                .simple("OK")
                .error("ERR bad\r\nthing")
                .integer(-42)
                .bulk("héllo")
                .nullBulk()
                .nullArray()
                .map(1)
                .bulk("k")
                .bulk("v")
                .set(0)
                .doubleValue("1.5");
        assertThat(s(o))
                .isEqualTo(
                        "+OK\r\n-ERR bad  thing\r\n:-42\r\n$6\r\nh\u00c3\u00a9llo\r\n$-1\r\n*-1\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n*0\r\n$3\r\n1.5\r\n");
    }

    @Test
    void resp3_nullsMapsSetsDoubles() {
        RespOutput o = new RespOutput(3)
                .nullBulk()
                .nullArray()
                .map(1)
                .bulk("k")
                .integer(1)
                .set(2)
                .doubleValue("2.5");
        assertThat(s(o)).isEqualTo("_\r\n_\r\n%1\r\n$1\r\nk\r\n:1\r\n~2\r\n,2.5\r\n");
    }

    @Test
    void largeBulk_keptByReference_bytesInOrder() {
        byte[] big = new byte[RespOutput.COPY_BYTES + 5];
        big[0] = 'a';
        big[big.length - 1] = 'z';
        RespOutput o = new RespOutput(2).simple("A").bulk(big).simple("B");
        byte[] all = o.toByteArray();
        String head = "+A\r\n$" + big.length + "\r\n";
        assertThat(o.size()).isEqualTo(all.length).isEqualTo(head.length() + big.length + 2 + 4L);
        assertThat(new String(all, 0, head.length(), StandardCharsets.US_ASCII)).isEqualTo(head);
        assertThat(all[head.length()]).isEqualTo((byte) 'a');
        assertThat(new String(all, all.length - 7, 7, StandardCharsets.US_ASCII))
                .isEqualTo("z\r\n+B\r\n");
    }

    @Test
    void protocol_onlyTwoOrThree() {
        assertThatThrownBy(() -> new RespOutput(1)).isInstanceOf(IllegalArgumentException.class);
    }
}
