package io.sharedmap.cli;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Command-line arguments as UTF-8. The JVM decodes argv with the locale's charset ({@code
 * sun.jnu.encoding}); under {@code LANG=C} that is ASCII and every non-ASCII byte of a key becomes
 * U+FFFD, so {@code sharedmap set grüße v} would silently store another key. When the charset is
 * not UTF-8, the raw bytes are re-read from {@code /proc/self/cmdline} (the main arguments are its
 * last entries) and decoded as UTF-8, but only if they decode with the JVM's charset to exactly the
 * arguments the JVM gave.
 */
final class Argv {
    private Argv() {}

    /** {@code args} decoded as UTF-8 (unchanged when that is already so or cannot be recovered). */
    static String[] utf8(String[] args) {
        String jnu = System.getProperty("sun.jnu.encoding");
        Charset platform;
        try {
            platform = jnu == null ? StandardCharsets.UTF_8 : Charset.forName(jnu);
        } catch (IllegalArgumentException e) {
            return args;
        }
        if (platform.equals(StandardCharsets.UTF_8) || args.length == 0) {
            return args;
        }
        try {
            return recover(args, Files.readAllBytes(Path.of("/proc/self/cmdline")), platform);
        } catch (IOException | UnsupportedOperationException e) {
            return args;
        }
    }

    /** The last {@code args.length} NUL-terminated entries of {@code cmdline} as UTF-8, if they are {@code args}. */
    static String[] recover(String[] args, byte[] cmdline, Charset platform) {
        List<byte[]> entries = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < cmdline.length; i++) {
            if (cmdline[i] == 0) {
                entries.add(Arrays.copyOfRange(cmdline, start, i));
                start = i + 1;
            }
        }
        if (entries.size() < args.length) {
            return args;
        }
        List<byte[]> tail = entries.subList(entries.size() - args.length, entries.size());
        String[] recovered = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            if (!new String(tail.get(i), platform).equals(args[i])) {
                return args;
            }
            recovered[i] = new String(tail.get(i), StandardCharsets.UTF_8);
        }
        return recovered;
    }
}
