package io.sharedmap.cli;

import io.sharedmap.cli.Cli.Result;
import io.sharedmap.server.testing.TestDaemon;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Base of the CLI tests that run commands in process against a real in-process daemon, one per test. */
abstract class DaemonCliTest {
    protected TestDaemon daemon;
    protected String socket;

    @BeforeEach
    void startDaemon() throws Exception {
        daemon = TestDaemon.start();
        socket = daemon.socket.toString();
    }

    @AfterEach
    void stopDaemon() throws Exception {
        daemon.close();
    }

    /** Runs {@code sharedmap ARGS --socket SOCKET}. */
    protected Result run(String... args) {
        String[] withSocket = new String[args.length + 2];
        System.arraycopy(args, 0, withSocket, 0, args.length);
        withSocket[args.length] = "--socket";
        withSocket[args.length + 1] = socket;
        return Cli.run(withSocket);
    }
}
