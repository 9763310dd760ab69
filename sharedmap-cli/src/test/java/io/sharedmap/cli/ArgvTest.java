package io.sharedmap.cli;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** Recovering UTF-8 arguments that an ASCII locale made the JVM mangle. */
class ArgvTest {

    private static byte[] cmdline(String... entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String e : entries) {
            out.writeBytes(e.getBytes(UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    private static String mangled(String s) {
        return new String(s.getBytes(UTF_8), US_ASCII);
    }

    @Test
    void recover_asciiLocaleMangledKey_returnsUtf8() {
        byte[] raw = cmdline("java", "-cp", "x", "io.sharedmap.cli.Main", "set", "grüße", "wörld");
        String[] jvmArgs = {"set", mangled("grüße"), mangled("wörld")};

        assertThat(Argv.recover(jvmArgs, raw, US_ASCII)).containsExactly("set", "grüße", "wörld");
    }

    @Test
    void recover_entriesThatAreNotTheArguments_keepsArguments() {
        byte[] raw = cmdline("java", "Main", "get", "other");
        String[] jvmArgs = {"get", "key"};

        assertThat(Argv.recover(jvmArgs, raw, US_ASCII)).containsExactly("get", "key");
        assertThat(Argv.recover(new String[] {"a", "b", "c", "d", "e"}, raw, US_ASCII))
                .hasSize(5)
                .startsWith("a");
    }

    @Test
    void recover_emptyArgument_isKept() {
        byte[] raw = cmdline("java", "Main", "keys", "");

        assertThat(Argv.recover(new String[] {"keys", ""}, raw, US_ASCII)).containsExactly("keys", "");
    }
}
