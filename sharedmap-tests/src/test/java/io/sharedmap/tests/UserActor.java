package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.tests.clients.ActorMain;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.JavaCommand;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.support.UnixUsers;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The test's handle on an {@link ActorMain} process running as a real Unix user: sends it one
 * command at a time and waits (bounded) for that command's reply line.
 */
final class UserActor {
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    /** A reply: {@code OK}, {@code DENIED}, {@code QUOTA} or {@code ERR}, and the rest of the line. */
    record Reply(String status, String text) {
        List<String> words() {
            return Arrays.asList(text.split(" "));
        }

        @Override
        public String toString() {
            return status + " " + text;
        }
    }

    private final UnixUsers.User user;
    private final ChildProcess process;
    private final OutputStream stdin;
    private int next;

    private UserActor(UnixUsers.User user, ChildProcess process) {
        this.user = user;
        this.process = process;
        this.stdin = process.process().getOutputStream();
    }

    /** Starts an actor JVM as {@code user}; call {@link #awaitReady} before the first command. */
    static UserActor launch(SystemTestEnv env, String name, UnixUsers.User user, String classPath, Path socket) {
        List<String> java = new ArrayList<>(List.of(JavaCommand.javaBinary()));
        java.addAll(SystemTestEnv.CLIENT_JVM_ARGS);
        java.addAll(List.of(
                "-XX:-UsePerfData", "-cp", classPath, ActorMain.class.getName(), "--socket", socket.toString()));
        return new UserActor(user, env.startCommand(name, UnixUsers.runAs(user, java)));
    }

    /** Waits until it is connected, and checks that the kernel sees it as its user and group. */
    UserActor awaitReady() {
        String ready = process.awaitLine(l -> l.startsWith("READY "), READY_TIMEOUT);
        String[] f = ready.split(" ");
        assertThat(Long.parseLong(f[1])).as("uid of %s's process", user.name()).isEqualTo(user.uid());
        assertThat(Long.parseLong(f[2])).as("gid of %s's process", user.name()).isEqualTo(user.gid());
        return this;
    }

    /** Waits for the actor to report that it could not connect, and to exit 3; returns its report. */
    String awaitConnectFailure() {
        String line = process.awaitLine(l -> l.startsWith("CONNECT_FAILED ") || l.startsWith("READY "), READY_TIMEOUT);
        assertThat(line).as("%s connecting", user.name()).startsWith("CONNECT_FAILED ");
        process.awaitExit(READY_TIMEOUT, 3);
        return line;
    }

    UnixUsers.User user() {
        return user;
    }

    long uid() {
        return user.uid();
    }

    /** The supplementary groups of the process (from its READY line). */
    List<Long> groups() {
        String ready = process.awaitLine(l -> l.startsWith("READY "), READY_TIMEOUT);
        String g = ready.split(" ")[3];
        return g.equals("-")
                ? List.of()
                : Arrays.stream(g.split(",")).map(Long::parseLong).toList();
    }

    /** Sends a command without waiting; returns its id for {@link #await}. */
    synchronized int send(String... command) {
        int id = ++next;
        String line = id + " " + String.join(" ", command) + "\n";
        try {
            stdin.write(line.getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot send to " + process.name() + process.describeEnd(), e);
        }
        return id;
    }

    Reply await(int id, Duration timeout) {
        String prefix = "R" + id + " ";
        String line = process.awaitLine(l -> l.startsWith(prefix), timeout);
        String rest = line.substring(prefix.length());
        int space = rest.indexOf(' ');
        return space < 0 ? new Reply(rest, "") : new Reply(rest.substring(0, space), rest.substring(space + 1));
    }

    Reply call(String... command) {
        return await(send(command), REPLY_TIMEOUT);
    }

    /** Runs a command that must succeed; returns what follows {@code OK}. */
    String ok(String... command) {
        Reply r = call(command);
        assertThat(r.status())
                .as("%s as %s: %s", String.join(" ", command), user.name(), r)
                .isEqualTo("OK");
        return r.text();
    }

    /** Runs a command that must be refused with PERMISSION_DENIED; returns the message. */
    String denied(String... command) {
        Reply r = call(command);
        assertThat(r.status())
                .as("%s as %s: %s", String.join(" ", command), user.name(), r)
                .isEqualTo("DENIED");
        return r.text();
    }

    /** Runs a command that must be refused with QUOTA_EXCEEDED; returns the message. */
    String quota(String... command) {
        Reply r = call(command);
        assertThat(r.status())
                .as("%s as %s: %s", String.join(" ", command), user.name(), r)
                .isEqualTo("QUOTA");
        return r.text();
    }

    @Override
    public String toString() {
        return user.name() + "@" + process;
    }
}
