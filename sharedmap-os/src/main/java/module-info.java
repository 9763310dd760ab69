/**
 * The OS-facing pieces the daemon, the client and the tools share: the Unix-socket transport,
 * private files and directories, user and group names (and, to come, the mapped store, whose
 * package is not exported yet).
 */
module io.sharedmap.os {
    requires static transitive org.jspecify;
    requires static com.google.errorprone.annotations;

    exports io.sharedmap.os.transport;
    exports io.sharedmap.os.files;
    exports io.sharedmap.os.accounts;
}
