/** The wire protocol: frames, opcodes, status and error codes, codecs. No I/O, no dependencies. */
module io.sharedmap.protocol {
    requires static transitive org.jspecify;

    exports io.sharedmap.protocol;
}
