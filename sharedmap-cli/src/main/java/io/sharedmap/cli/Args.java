package io.sharedmap.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Turning command-line arguments into key and value bytes. */
final class Args {
    private Args() {}

    /** A key or prefix argument: its UTF-8 bytes. */
    static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /** A value argument: its UTF-8 bytes, or all of {@code stdin} (binary-safe) when it is {@code -}. */
    static byte[] value(String value, InputStream stdin) {
        if (!value.equals("-")) {
            return value.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return stdin.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the value from stdin: " + e.getMessage(), e);
        }
    }
}
