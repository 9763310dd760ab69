package io.sharedmap.server.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class AsciiNamesTest {
    private static final List<String> NAMES = List.of("get", "set", "getset", "mget", "ping", "del", "client");
    private final AsciiNames names = new AsciiNames(NAMES);

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void findsEveryName_inAnyCase_asTheSameString() {
        for (String n : NAMES) {
            assertThat(names.find(b(n))).isSameAs(n);
            assertThat(names.find(b(n.toUpperCase(Locale.ROOT)))).isSameAs(n);
        }
        assertThat(names.find(b("GeTsEt"))).isSameAs("getset");
    }

    @Test
    void findsNothing_forOtherBytes() {
        assertThat(names.find(b(""))).isNull();
        assertThat(names.find(b("ge"))).isNull();
        assertThat(names.find(b("gets"))).isNull();
        assertThat(names.find(b("getsetx"))).isNull();
        assertThat(names.find(b("clientclient"))).isNull(); // longer than any name
        assertThat(names.find(b("g\u00c9t"))).isNull(); // Latin-1 É is not E
        assertThat(names.find(b("g\u0005t"))).isNull();
        assertThat(names.find(new byte[] {'g', 'e', (byte) ('t' - 32 + 128)})).isNull();
    }

    @Test
    void refusesNamesItCouldNotFind() {
        assertThatThrownBy(() -> new AsciiNames(List.of("Get")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Get'");
        assertThatThrownBy(() -> new AsciiNames(List.of("a b"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AsciiNames(List.of(""))).isInstanceOf(IllegalArgumentException.class);
    }
}
