/** The one way to start a sharedmap daemon, and the interface of contributed subcommands. */
module io.sharedmap.launcher {
    requires io.sharedmap.client;
    requires io.sharedmap.os;
    requires static transitive org.jspecify;

    exports io.sharedmap.launcher;
}
