package io.sharedmap.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** Runs the CLI in this process with captured streams, as {@code Main} would. */
final class Cli {
    private Cli() {}

    /** What one run printed and returned. */
    record Result(int exitCode, byte[] stdout, String err) {
        String out() {
            return new String(stdout, UTF_8);
        }
    }

    static Result run(String... args) {
        return runWithStdin(new byte[0], args);
    }

    static Result runWithStdin(byte[] stdin, String... args) {
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
