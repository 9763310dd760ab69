package io.sharedmap.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/**
 * Runs the CLI in this process with captured streams, as {@code Main} would (with the subcommands
 * other modules contribute, when they are on the class path). Shared with the torture and bench
 * modules' tests through this module's test jar.
 */
public final class Cli {
    private Cli() {}

    /** What one run printed and returned. */
    public record Result(int exitCode, byte[] stdout, String err) {
        public String out() {
            return new String(stdout, UTF_8);
        }
    }

    public static Result run(String... args) {
        return runWithStdin(new byte[0], args);
    }

    public static Result runWithStdin(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SharedMapCommand root = new SharedMapCommand(
                new ByteArrayInputStream(stdin),
                new PrintStream(out, false, UTF_8),
                new PrintStream(err, false, UTF_8));
        int code = Main.commandLine(root).execute(args);
        root.flush();
        return new Result(code, out.toByteArray(), err.toString(UTF_8));
    }
}
