/**
 * {@code sharedmap torture}, contributed to the CLI as a {@link io.sharedmap.launcher.Subcommand};
 * it exports nothing (its worker processes are started by class name).
 */
module io.sharedmap.torture {
    requires io.sharedmap.client;
    requires io.sharedmap.launcher;
    requires info.picocli;
    requires static transitive org.jspecify;

    opens io.sharedmap.torture to
            info.picocli;

    provides io.sharedmap.launcher.Subcommand with
            io.sharedmap.torture.TortureCommand;
}
