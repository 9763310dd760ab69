package io.sharedmap.tests.support;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A child process whose stdout is read line by line into memory (and a log file) and whose stderr
 * goes to a file. Waits are bounded by deadlines and wake on each new line, never by sleeping.
 */
public final class ChildProcess {
    private final String name;
    private final Process process;
    private final Path stdoutLog;
    private final Path stderrLog;
    private final Thread reader;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<String> lines = new ArrayList<>(); // guarded by lock
    private final Map<String, Integer> countsByFirstToken = new HashMap<>(); // guarded by lock
    private boolean eof; // guarded by lock

    private ChildProcess(String name, Process process, Path stdoutLog, Path stderrLog) {
        this.name = name;
        this.process = process;
        this.stdoutLog = stdoutLog;
        this.stderrLog = stderrLog;
        this.reader = Thread.ofPlatform().daemon().name("stdout-" + name).start(this::readStdout);
    }

    /** Starts {@code command}; stdout is captured, stderr goes to {@code <logDir>/<name>.stderr.log}. */
    public static ChildProcess start(String name, List<String> command, Path logDir) {
        try {
            Files.createDirectories(logDir);
            Path out = logDir.resolve(name + ".stdout.log");
            Path err = logDir.resolve(name + ".stderr.log");
            Files.writeString(logDir.resolve(name + ".command"), String.join(" ", command) + "\n");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.to(err.toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.PIPE)
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            return new ChildProcess(name, pb.start(), out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    private void readStdout() {
        try (BufferedReader in =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                BufferedWriter log = Files.newBufferedWriter(stdoutLog)) {
            String line;
            while ((line = in.readLine()) != null) {
                log.write(line);
                log.newLine();
                lock.lock();
                try {
                    lines.add(line);
                    int space = line.indexOf(' ');
                    countsByFirstToken.merge(space < 0 ? line : line.substring(0, space), 1, Integer::sum);
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            // The process went away; what was read is kept.
        } finally {
            lock.lock();
            try {
                eof = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    public Path stderrLog() {
        return stderrLog;
    }

    /** A snapshot of every stdout line so far. */
    public List<String> lines() {
        lock.lock();
        try {
            return List.copyOf(lines);
        } finally {
            lock.unlock();
        }
    }

    /** The stdout lines after the first {@code from} (an empty list when there are none yet). */
    public List<String> linesFrom(int from) {
        lock.lock();
        try {
            return from >= lines.size() ? List.of() : List.copyOf(lines.subList(from, lines.size()));
        } finally {
            lock.unlock();
        }
    }

    /** How many stdout lines so far start with {@code token} followed by a space (or are exactly it). */
    public int count(String token) {
        lock.lock();
        try {
            return countsByFirstToken.getOrDefault(token, 0);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until at least {@code n} lines start with {@code token}; fails if the process ends first. */
    public void awaitCount(String token, int n, Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        lock.lock();
        try {
            while (countsByFirstToken.getOrDefault(token, 0) < n) {
                if (eof) {
                    throw new AssertionError(
                            name + " ended its output after " + countsByFirstToken.getOrDefault(token, 0) + " '" + token
                                    + "' lines, waiting for " + n + describeEnd());
                }
                if (deadline.expired()) {
                    throw new AssertionError(
                            "timed out after " + timeout + " waiting for " + n + " '" + token + "' lines from " + name
                                    + "; got " + countsByFirstToken.getOrDefault(token, 0) + describeEnd());
                }
                changed.awaitNanos(deadline.remainingNs());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + name, e);
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the first stdout line matching {@code p} and returns it; fails if output ends first. */
    public String awaitLine(Predicate<String> p, Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        int scanned = 0;
        lock.lock();
        try {
            while (true) {
                for (; scanned < lines.size(); scanned++) {
                    if (p.test(lines.get(scanned))) {
                        return lines.get(scanned);
                    }
                }
                if (eof) {
                    throw new AssertionError(name + " ended its output without the expected line" + describeEnd());
                }
                if (deadline.expired()) {
                    throw new AssertionError(
                            "timed out after " + timeout + " waiting for a line from " + name + describeEnd());
                }
                changed.awaitNanos(deadline.remainingNs());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + name, e);
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the process to exit and its stdout to be read to the end; returns the exit code. */
    public int awaitExit(Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        try {
            if (!process.waitFor(deadline.remainingNs(), TimeUnit.NANOSECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(name + " did not exit within " + timeout + "; killed it" + describeEnd());
            }
            reader.join(Duration.ofNanos(Math.max(1_000_000_000L, deadline.remainingNs())));
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + name, e);
        }
    }

    /** Waits for exit and asserts the exit code. */
    public void awaitExit(Duration timeout, int expectedExitCode) {
        int code = awaitExit(timeout);
        if (code != expectedExitCode) {
            throw new AssertionError(name + " exited with " + code + ", expected " + expectedExitCode + describeEnd());
        }
    }

    /** Closes the child's stdin: the client mains take EOF as "finish and exit". */
    public void closeStdin() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
    }

    /** SIGTERM. */
    public void sigterm() {
        process.destroy();
    }

    /** SIGKILL, then waits (bounded) until the process is gone. */
    public void kill9() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError(name + " survived SIGKILL for 30 s");
            }
            reader.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted killing " + name, e);
        }
    }

    /** Every line the child wrote to stderr so far. */
    public List<String> stderrLines() {
        try {
            return Files.exists(stderrLog) ? Files.readAllLines(stderrLog, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of stdout and stderr, for failure messages. */
    public String describeEnd() {
        List<String> out = lines();
        List<String> err = stderrLines();
        StringBuilder sb = new StringBuilder();
        sb.append("\n--- ")
                .append(name)
                .append(" (pid ")
                .append(process.pid())
                .append(", ")
                .append(process.isAlive() ? "alive" : "exit " + process.exitValue())
                .append(") last stdout:\n");
        out.subList(Math.max(0, out.size() - 10), out.size())
                .forEach(l -> sb.append("  ").append(l).append('\n'));
        sb.append("--- last stderr (").append(stderrLog).append("):\n");
        err.subList(Math.max(0, err.size() - 30), err.size())
                .forEach(l -> sb.append("  ").append(l).append('\n'));
        return sb.toString();
    }

    @Override
    public String toString() {
        return name + "(pid " + process.pid() + ")";
    }
}
