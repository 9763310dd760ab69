/** The Java client of sharedmap: {@link io.sharedmap.client.SharedMap} and its value types. */
module io.sharedmap.client {
    requires transitive io.sharedmap.protocol; // ErrorCode in SharedMapException's API
    requires io.sharedmap.os;
    requires static transitive org.jspecify;
    requires static com.google.errorprone.annotations;

    exports io.sharedmap.client;

    // the remote backends (sharedmap-etcd, ...), each in its own module: SharedMap.connect(URI)
    uses io.sharedmap.client.PortableMapProvider;
}
