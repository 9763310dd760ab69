package io.sharedmap.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code sharedmap} root command. It holds the streams every subcommand uses (binary-safe
 * byte streams, so {@code get} can write a value exactly), which tests replace.
 */
@Command(
        name = "sharedmap",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A durable key-value store shared by the processes of this machine, served by one daemon"
                + " over a Unix domain socket.",
        subcommands = {
            ServerCommand.class,
            StartCommand.class,
            StopCommand.class,
            StatusCommand.class,
            SetCommand.class,
            GetCommand.class,
            DelCommand.class,
            CasCommand.class,
            KeysCommand.class,
            CopyCommand.class,
            StatsCommand.class,
            PingCommand.class,
            ChmodCommand.class,
            ChownCommand.class,
            ExpireCommand.class,
            TtlCommand.class,
            WatchCommand.class,
            LimitCommand.class,
            SuperviseCommand.class
        }, // and bench, torture when their modules are on the class path (Main.commandLine)
        footerHeading = "%nExit codes:%n",
        footer = {
            "  0  ok",
            "  1  not found, or version conflict (get, del, cas); keys left at the destination (copy)",
            "  2  usage error or invalid parameter",
            "  3  no daemon answers on the socket (start one with: sharedmap start), or it did not answer within",
            "     --reply-timeout-ms (it is running but stuck)",
            "  4  request refused by the daemon (limit, quota, permission, invalid argument), or not served by the"
                    + " --url's backend; its message is shown",
            "  5  daemon, storage or I/O failure",
            "  6  start or stop failed",
            "",
            "Environment: SHAREDMAP_SOCKET sets the default --socket, SHAREDMAP_DIR the default --dir,"
                    + " SHAREDMAP_URL the default --url of get, set, del, cas and keys (docs/SCALE-OUT.md)."
        })
public final class SharedMapCommand implements Callable<Integer> {
    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    @Spec
    CommandSpec spec;

    /** The command on this process's stdin, stdout and stderr (written as UTF-8). */
    public SharedMapCommand() {
        this(System.in, utf8(FileDescriptor.out), utf8(FileDescriptor.err));
    }

    /** The command on the given streams (tests). Text is written as UTF-8. */
    public SharedMapCommand(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    private static PrintStream utf8(FileDescriptor fd) {
        return new PrintStream(
                new BufferedOutputStream(new FileOutputStream(fd), 1 << 16), false, StandardCharsets.UTF_8);
    }

    /** Without a subcommand: the usage, on stderr, and exit code 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return ExitCodes.USAGE;
    }

    InputStream in() {
        return in;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    /** Flushes both output streams. */
    void flush() {
        out.flush();
        err.flush();
    }
}
