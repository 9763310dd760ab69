package io.sharedmap.client;

import java.net.URI;

/**
 * A backend of {@link PortableMap} for one URL scheme, found by {@link SharedMap#connect(URI)}
 * with {@link java.util.ServiceLoader} (a module {@code provides} it, or a jar lists it in {@code
 * META-INF/services/io.sharedmap.client.PortableMapProvider}). The client module itself provides
 * none: the local daemon ({@code unix:}) is built in, and each remote engine lives in its own
 * module with its own dependencies (sharedmap-etcd), so the client ships no third-party jar.
 *
 * <p>An implementation validates keys, values, versions and scan arguments with {@link
 * BackendSupport} so that every backend refuses bad input with the same exceptions and messages.
 */
public interface PortableMapProvider {

    /** The URL scheme this provider serves, lower case (e.g. {@code "etcd"}). */
    String scheme();

    /**
     * Connects to the engine {@code url} names and checks that it answers.
     *
     * @throws IllegalArgumentException when the URL is malformed for this scheme (the message says how)
     * @throws DaemonUnavailableException when the engine does not answer
     */
    PortableMap connect(URI url);
}
