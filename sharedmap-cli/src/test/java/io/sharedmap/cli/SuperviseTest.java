package io.sharedmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.cli.Cli.Result;
import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.launcher.DaemonLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code start --supervise}: a real supervisor process restarts a daemon killed with SIGKILL; stop ends both. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SuperviseTest {
    private static final Pattern STARTED = Pattern.compile("started: pid (\\d+), .* \\(supervised by pid (\\d+)\\)");
    private static final Duration DEADLINE = Duration.ofSeconds(40);

    private Path root;
    private Path dir;
    private Path socket;
    private final List<Long> spawned = new ArrayList<>();

    @BeforeEach
    void paths() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "smt");
        dir = root.resolve("data");
        socket = root.resolve("s.sock");
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (long pid : spawned) { // only what a failed test left running
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The pid of the daemon answering on the socket, or -1. */
    private long daemonPid() {
        try (SharedMap map = SharedMap.connect(socket, Options.defaults().recovering(false))) {
            return Long.parseLong(map.stats().get("pid"));
        } catch (SharedMapException e) {
            return -1;
        }
    }

    private static long await(String what, LongSupplier value, LongPredicate done) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            long v = value.getAsLong();
            if (done.test(v)) {
                return v;
            }
            assertThat(System.nanoTime() - deadline).as("waiting for " + what).isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private long[] startSupervised(String... extra) {
        String[] args = Stream.concat(
                        Stream.of("start", "--supervise", "--dir", dir.toString(), "--socket", socket.toString()),
                        Stream.of(extra))
                .toArray(String[]::new);
        Result r = Cli.run(args);
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        Matcher m = STARTED.matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        long daemon = Long.parseLong(m.group(1));
        long supervisor = Long.parseLong(m.group(2));
        spawned.add(supervisor);
        spawned.add(daemon);
        return new long[] {daemon, supervisor};
    }

    @Test
    void supervise_daemonKilled_restartedThenStopEndsBoth() throws Exception {
        long[] pids = startSupervised();
        try (SharedMap map = SharedMap.connect(socket)) {
            map.set("k", "v");

            ProcessHandle.of(pids[0]).orElseThrow().destroyForcibly(); // kill -9
            long restarted = await("a new daemon", this::daemonPid, pid -> pid > 0 && pid != pids[0]);
            spawned.add(restarted);

            assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("v"); // the recovering client came along
            Result stopped = Cli.run("stop", "--socket", socket.toString());
            assertThat(stopped.exitCode()).as(stopped.err()).isZero();
            assertThat(stopped.out())
                    .isEqualTo("stopped: pid " + restarted + " and its supervisor, pid " + pids[1] + "\n");
        }
        assertThat(ProcessHandle.of(pids[1]).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
        assertThat(Cli.run("status", "--socket", socket.toString()).exitCode()).isEqualTo(3);
        String log = Files.readString(dir.resolve(DaemonLauncher.LOG_FILE_NAME));
        assertThat(log)
                .contains(
                        "was killed by signal 9 (SIGKILL)",
                        "restarting in",
                        "stopped cleanly (status 0); supervisor exits");
    }

    @Test
    void supervise_restartBudgetSpent_givesUpAndExits() throws Exception {
        long[] pids = startSupervised("--max-restarts", "1");

        ProcessHandle.of(pids[0]).orElseThrow().destroyForcibly();
        long second = await("a new daemon", this::daemonPid, pid -> pid > 0 && pid != pids[0]);
        spawned.add(second);
        ProcessHandle.of(second).orElseThrow().destroyForcibly();

        ProcessHandle.of(pids[1])
                .ifPresent(p -> p.onExit()
                        .orTimeout(DEADLINE.toSeconds(), TimeUnit.SECONDS)
                        .join());
        assertThat(Files.readString(dir.resolve(DaemonLauncher.LOG_FILE_NAME)))
                .contains("giving up: 1 restarts within the last minute");
        assertThat(daemonPid()).isEqualTo(-1);
    }

    @Test
    void describe_signalStatuses_named() {
        assertThat(SuperviseCommand.describe(137)).isEqualTo("was killed by signal 9 (SIGKILL) (status 137)");
        assertThat(SuperviseCommand.describe(1)).isEqualTo("exited with status 1");
    }
}
