package io.sharedmap.tests.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program (redis-cli, redis-benchmark, python3) to its end within a timeout, with
 * stdin from bytes and stdout and stderr captured in files (no pipe can fill and block it).
 */
public final class Tool {
    /** How a run ended: its exit code and its stdout (bytes and text) and stderr. */
    public record Run(int exit, byte[] stdout, String stderr) {
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout:\n" + out() + "\n--- stderr:\n" + stderr;
        }
    }

    private Tool() {}

    /** The path of {@code program} on PATH (or as given when absolute), failing with what to install if absent. */
    public static String require(String program, String debianPackage) {
        if (program.startsWith("/")) {
            if (Files.isExecutable(Path.of(program))) {
                return program;
            }
        } else {
            for (String dir :
                    System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                Path p = Path.of(dir, program);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        throw new AssertionError(program + " is not installed; install the Debian package " + debianPackage
                + " (.ci/run does, as root)");
    }

    /** Runs {@code command} with {@code stdin}, in {@code dir}, killing it after {@code timeout}. */
    public static Run run(List<String> command, byte[] stdin, Path dir, Duration timeout) {
        try {
            Path in = Files.createTempFile(dir, "stdin-", "");
            Path out = Files.createTempFile(dir, "stdout-", "");
            Path err = Files.createTempFile(dir, "stderr-", "");
            Files.write(in, stdin);
            Process p = new ProcessBuilder(new ArrayList<>(command))
                    .directory(dir.toFile())
                    .redirectInput(in.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(command + " did not finish in " + timeout + "; stdout so far:\n"
                        + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
            }
            Run r = new Run(p.exitValue(), Files.readAllBytes(out), Files.readString(err));
            Files.delete(in);
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }
}
