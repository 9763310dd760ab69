/**
 * The wire protocol: frames, opcodes, status and error codes, codecs. No I/O, no dependencies.
 * The view package (the shared-memory view's layout, writer and reader) is exported only to the
 * modules that map the view; the mapped store replaces it.
 */
@SuppressWarnings("module") // qualified exports name modules built after this one
module io.sharedmap.protocol {
    requires static transitive org.jspecify;

    exports io.sharedmap.protocol;
    exports io.sharedmap.protocol.view to
            io.sharedmap.client,
            io.sharedmap.server,
            io.sharedmap.torture;
}
