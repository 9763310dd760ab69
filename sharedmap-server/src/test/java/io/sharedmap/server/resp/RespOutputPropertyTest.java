package io.sharedmap.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link RespOutput} against a plain encoding of the same items: any integers (the edges of a long
 * too) and bulk strings of any size (both sides of the copy threshold), in any order, give the bytes
 * RESP defines, whatever sizes its buffer grew through; replies appended into one keep their bytes.
 */
class RespOutputPropertyTest {
    @Provide
    Arbitrary<List<Object>> items() {
        Arbitrary<Object> number = Arbitraries.oneOf(
                        Arbitraries.longs(),
                        Arbitraries.longs().between(-20, 20),
                        Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, 9L, 10L, 99L, 100L, -10L))
                .map(v -> v);
        Arbitrary<Object> bulk = Arbitraries.oneOf(
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(200),
                        Arbitraries.bytes()
                                .array(byte[].class)
                                .ofMinSize(RespOutput.COPY_BYTES - 2)
                                .ofMaxSize(RespOutput.COPY_BYTES + 2))
                .map(b -> b);
        return Arbitraries.oneOf(number, bulk).list().ofMaxSize(12);
    }

    @Property(tries = 300)
    void integersAndBulks_encodeAsRespSays(@ForAll("items") List<Object> items) {
        RespOutput o = new RespOutput(2);
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        for (Object item : items) {
            if (item instanceof Long v) {
                o.integer(v);
                want.writeBytes((":" + v + "\r\n").getBytes(StandardCharsets.US_ASCII));
            } else {
                byte[] b = (byte[]) item;
                o.bulk(b);
                want.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                want.writeBytes(b);
                want.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
        assertThat(o.toByteArray()).isEqualTo(want.toByteArray());
        assertThat(o.size()).isEqualTo(want.size());
    }

    /** EXEC's way: replies encoded apart, then appended into one, in RESP2 and RESP3. */
    @Property(tries = 200)
    void appended_bytesOfEachInOrder(@ForAll("items") List<Object> items, @ForAll boolean resp3) {
        int protocol = resp3 ? 3 : 2;
        RespOutput all = new RespOutput(protocol).array(items.size());
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes(("*" + items.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (Object item : items) {
            RespOutput one = new RespOutput(protocol);
            if (item instanceof Long v) {
                one.map(1).integer(v).nullBulk();
            } else {
                one.bulk((byte[]) item);
            }
            want.writeBytes(one.toByteArray());
            all.append(one);
        }
        assertThat(all.toByteArray()).isEqualTo(want.toByteArray());
        assertThat(all.size()).isEqualTo(want.size());
    }
}
