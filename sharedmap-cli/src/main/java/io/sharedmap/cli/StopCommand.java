package io.sharedmap.cli;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.ReplyTimeoutException;
import io.sharedmap.client.SharedMap;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap stop}: SIGTERM to the daemon, which drains and exits; waits for the exit. */
@Command(
        name = "stop",
        mixinStandardHelpOptions = true,
        description = "Stop the daemon gracefully (SIGTERM: new work refused, requests in flight finished,"
                + " journal synced) and wait until it has exited; a supervisor ('start --supervise') then exits too.")
final class StopCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Option(
            names = "--timeout-ms",
            paramLabel = "MS",
            description = "How long to wait for the daemon to exit (default: ${DEFAULT-VALUE}).")
    long timeoutMs = 30_000;

    @Override
    public Integer call() throws InterruptedException {
        SharedMap connected;
        try {
            connected = socket.connect();
        } catch (ReplyTimeoutException e) {
            throw e; // a daemon is there but not answering: its message says so (exit 3 like any unavailable daemon)
        } catch (DaemonUnavailableException e) { // the client's message would advise 'sharedmap start'
            Throwable why = e.getCause() != null ? e.getCause() : e;
            throw new CliException(
                    ExitCodes.NO_DAEMON,
                    "nothing to stop: no sharedmap daemon answers on " + socket.socket + " ("
                            + (why.getMessage() != null
                                    ? why.getMessage()
                                    : why.getClass().getSimpleName()) + ")");
        }
        long pid;
        try (SharedMap map = connected) {
            pid = Stats.pid(map.stats());
        }
        if (pid == ProcessHandle.current().pid()) {
            throw new CliException(
                    ExitCodes.LIFECYCLE,
                    "the daemon on " + socket.socket + " runs inside this process; stop it from its owner");
        }
        Optional<ProcessHandle> daemon = ProcessHandle.of(pid);
        Optional<ProcessHandle> supervisor =
                daemon.flatMap(ProcessHandle::parent).filter(StopCommand::isSupervisor);
        if (daemon.isPresent()) {
            if (!daemon.get().destroy() && daemon.get().isAlive()) { // not alive: it exited on its own meanwhile
                throw new CliException(
                        ExitCodes.LIFECYCLE,
                        "cannot send SIGTERM to the daemon, pid " + pid + " (is it another user's?)");
            }
            try {
                daemon.get().onExit().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new CliException(
                        ExitCodes.LIFECYCLE,
                        "the daemon, pid " + pid + ", did not exit within " + timeoutMs
                                + " ms; it may still be draining (see its daemon.log); kill -9 " + pid
                                + " ends it at once");
            } catch (ExecutionException e) {
                throw new CliException(ExitCodes.LIFECYCLE, "waiting for pid " + pid + " failed: " + e.getCause());
            }
        }
        if (supervisor.isPresent()) {
            // the daemon exited 0, a clean stop: its supervisor exits too
            try {
                supervisor.get().onExit().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                throw new CliException(
                        ExitCodes.LIFECYCLE,
                        "the daemon, pid " + pid + ", stopped, but its supervisor, pid "
                                + supervisor.get().pid() + ", did not exit within " + timeoutMs
                                + " ms (see daemon.log)");
            }
            root.out()
                    .println("stopped: pid " + pid + " and its supervisor, pid "
                            + supervisor.get().pid());
            return ExitCodes.OK;
        }
        root.out().println("stopped: pid " + pid);
        return ExitCodes.OK;
    }

    /** Whether {@code p} is a {@code sharedmap supervise} process. */
    private static boolean isSupervisor(ProcessHandle p) {
        String[] args = p.info().arguments().orElse(new String[0]);
        boolean main = false;
        for (String a : args) {
            if (a.equals(Main.class.getName())) {
                main = true;
            } else if (main && a.equals("supervise")) {
                return true;
            }
        }
        return false;
    }
}
