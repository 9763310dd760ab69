/** The {@code sharedmap} command. */
module io.sharedmap.cli {
    requires io.sharedmap.client;
    requires io.sharedmap.os;
    requires io.sharedmap.launcher;
    requires io.sharedmap.server;
    requires transitive info.picocli; // Main.commandLine returns a CommandLine
    requires static transitive org.jspecify;
    requires static com.google.errorprone.annotations;

    exports io.sharedmap.cli;

    opens io.sharedmap.cli to
            info.picocli;

    uses io.sharedmap.launcher.Subcommand;
}
