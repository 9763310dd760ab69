package io.sharedmap.cli;

import io.sharedmap.launcher.Subcommand;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.server.SharedMapServer;
import java.io.PrintWriter;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.IVersionProvider;

/** Entry point of the {@code sharedmap} command line; {@code bin/sharedmap} runs it. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        SharedMapCommand root = new SharedMapCommand();
        int code = commandLine(root).execute(Argv.utf8(args));
        root.flush();
        System.exit(code);
    }

    /**
     * The command line for {@code root}, with the exit-code mapping, usage errors in two lines rather
     * than the whole usage, and picocli's own output (help, usage errors) on the root's streams; with
     * the {@link Subcommand}s that other modules (bench, torture) contribute when their jars are on
     * the class path, added before the streams are set so that they write to them too. Tests
     * run {@code commandLine(new SharedMapCommand(in, out, err)).execute(args)}.
     */
    public static CommandLine commandLine(SharedMapCommand root) {
        ExitCodes codes = new ExitCodes();
        CommandLine cmd = new CommandLine(root);
        for (Subcommand contributed : ServiceLoader.load(Subcommand.class)) { // bench, torture: when on the class path
            cmd.addSubcommand(contributed);
        }
        cmd.setExecutionExceptionHandler(codes);
        cmd.setParameterExceptionHandler(codes);
        cmd.setExitCodeExceptionMapper(codes);
        cmd.setOut(new PrintWriter(root.out(), true));
        cmd.setErr(new PrintWriter(root.err(), true));
        return cmd;
    }

    /** {@code sharedmap --version}: the daemon's version string (as its log and STATS' server show it). */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "sharedmap " + SharedMapServer.VERSION + " (protocol " + FrameDescriptor.PROTOCOL_VERSION + ")",
                "Java " + Runtime.version() + " " + System.getProperty("java.vm.name")
            };
        }
    }
}
