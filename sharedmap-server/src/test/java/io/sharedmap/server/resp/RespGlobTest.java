package io.sharedmap.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link RespGlob} and {@link RespNumbers}: Redis's pattern and number rules. */
class RespGlobTest {
    private static boolean m(String pattern, String key) {
        return RespGlob.matches(
                pattern.getBytes(StandardCharsets.ISO_8859_1), key.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void glob_starQuestionClassesEscapes() {
        assertThat(m("*", "")).isTrue();
        assertThat(m("user:*", "user:42")).isTrue();
        assertThat(m("user:*", "use")).isFalse();
        assertThat(m("h?llo", "hello")).isTrue();
        assertThat(m("h?llo", "hllo")).isFalse();
        assertThat(m("h[ae]llo", "hallo")).isTrue();
        assertThat(m("h[ae]llo", "hillo")).isFalse();
        assertThat(m("h[^e]llo", "hallo")).isTrue();
        assertThat(m("h[^e]llo", "hello")).isFalse();
        assertThat(m("h[a-c]llo", "hbllo")).isTrue();
        assertThat(m("h\\*llo", "h*llo")).isTrue();
        assertThat(m("h\\*llo", "hello")).isFalse();
        assertThat(m("*a*b*c", "xxaxxbxxc")).isTrue();
        assertThat(m("*a*b*c", "xxaxxbxxcx")).isFalse();
        assertThat(m("a**", "a")).isTrue();
    }

    @Test
    void glob_pathological_isFast() {
        String key = "a".repeat(1000);
        long t0 = System.nanoTime();
        assertThat(m("*a*a*a*a*a*a*a*a*b", key)).isFalse();
        assertThat(System.nanoTime() - t0).isLessThan(2_000_000_000L);
    }

    @Test
    void literalPrefix_stopsAtTheFirstWildcard() {
        assertThat(RespGlob.literalPrefix("user:\\*x*".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("user:*x".getBytes(StandardCharsets.US_ASCII));
        assertThat(RespGlob.literalPrefix("*".getBytes(StandardCharsets.US_ASCII)))
                .isEmpty();
        assertThat(RespGlob.literalPrefix("ab?".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("ab".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void integers_strict() {
        assertThat(RespNumbers.parseLong("0".getBytes(StandardCharsets.US_ASCII)))
                .isZero();
        assertThat(RespNumbers.parseLong("-9223372036854775808".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(Long.MIN_VALUE);
        assertThat(RespNumbers.parseLong("9223372036854775807".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(Long.MAX_VALUE);
        for (String bad : new String[] {"", "-", "+1", " 1", "1 ", "01", "-0", "9223372036854775808", "1e3", "abc"}) {
            assertThat(RespNumbers.parseLong(bad.getBytes(StandardCharsets.US_ASCII)))
                    .as(bad)
                    .isNull();
        }
    }

    @Test
    void floats_parseAndFormatLikeRedis() {
        assertThat(RespNumbers.formatFloat(RespNumbers.parseFloat("10.5".getBytes(StandardCharsets.US_ASCII))
                        .add(RespNumbers.parseFloat("0.1".getBytes(StandardCharsets.US_ASCII)))))
                .isEqualTo("10.6");
        assertThat(RespNumbers.formatFloat(RespNumbers.parseFloat("5.0e3".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("5000");
        assertThat(RespNumbers.parseFloat("nan".getBytes(StandardCharsets.US_ASCII)))
                .isNull();
        assertThat(RespNumbers.parseFloat("1e999999".getBytes(StandardCharsets.US_ASCII)))
                .isNull();
        assertThat(RespNumbers.parseFloat(" 1".getBytes(StandardCharsets.US_ASCII)))
                .isNull();
    }
}
