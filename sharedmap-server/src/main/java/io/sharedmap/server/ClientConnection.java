package io.sharedmap.server;

import io.sharedmap.os.transport.SpinChannel;
import io.sharedmap.server.security.Caller;

/** What the daemon needs of a connection of either protocol: its channel, its caller, and a way to close it. */
interface ClientConnection extends Runnable {
    SpinChannel channel();

    /** Who is on the other end (from the socket's peer credentials). */
    Caller caller();

    /**
     * How long this connection has been stalled by its client, in nanoseconds at {@code now}: in the
     * middle of a request, or blocked writing replies; 0 when waiting between requests.
     */
    long stalledNanos(long now);

    /** Closes a stalled connection; its thread ends at once. */
    void abort(String why);
}
