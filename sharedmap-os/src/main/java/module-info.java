/**
 * The OS-facing pieces the daemon, the client and the tools share: the Unix-socket transport,
 * private files and directories, user and group names, and the mapped store's layout and reader
 * (whose files the daemon alone writes).
 */
module io.sharedmap.os {
    requires static transitive org.jspecify;
    requires static com.google.errorprone.annotations;

    exports io.sharedmap.os.transport;
    exports io.sharedmap.os.files;
    exports io.sharedmap.os.accounts;
    exports io.sharedmap.os.store;
}
