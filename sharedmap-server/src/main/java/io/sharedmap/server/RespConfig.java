package io.sharedmap.server;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The Redis protocol front door (docs/PROTOCOL.md, "RESP"): whether the daemon serves RESP2/RESP3
 * on a Unix socket of its own beside the binary one, and where; and whether it also listens on a
 * loopback TCP port, for tools that speak only TCP (off by default). The RESP socket gets the
 * binary socket's owner, group and mode ({@code --socket-mode}, {@code --socket-owner}, {@code
 * --socket-group}), and its connections are identified by SO_PEERCRED exactly as the binary
 * socket's are. A TCP connection has no such identity: it acts as {@code tcpUser} when the operator
 * names one, and otherwise may use only the connection commands (docs/SECURITY.md, "RESP over
 * TCP").
 *
 * @param enabled serve RESP at all ({@code --no-resp} turns it off, TCP included)
 * @param socket the RESP socket's path, or null for the binary socket's path with {@code .resp}
 *     appended ({@code --resp-socket})
 * @param tcpPort the loopback TCP port to serve RESP on as well ({@code --resp-port}): -1 for none
 *     (the default), 0 for one the kernel chooses (INFO's {@code tcp_port} tells which)
 * @param tcpUser the account every TCP connection acts as ({@code --resp-tcp-user}), or null: TCP
 *     connections then have no identity and may only PING, HELLO and the like
 */
public record RespConfig(
        boolean enabled,
        @Nullable Path socket,
        int tcpPort,
        @Nullable String tcpUser) {
    /** On, at {@code <socket>.resp}, no TCP. */
    public static final RespConfig DEFAULTS = new RespConfig(true, null);
    /** Off: only the binary socket is served. */
    public static final RespConfig DISABLED = new RespConfig(false, null);

    /** No TCP port. */
    public static final int NO_TCP = -1;

    /** @throws IllegalArgumentException if the port is out of range, or a TCP user is given without a port */
    public RespConfig {
        if (tcpPort < NO_TCP || tcpPort > 65535) {
            throw new IllegalArgumentException("--resp-port " + tcpPort + " is not a TCP port (0..65535; 0: any)");
        }
        if (tcpUser != null && tcpPort == NO_TCP) {
            throw new IllegalArgumentException("--resp-tcp-user needs --resp-port (there is no TCP listener)");
        }
        if (tcpPort != NO_TCP && !enabled) {
            throw new IllegalArgumentException("--resp-port needs RESP (it is off: --no-resp)");
        }
    }

    /** The Unix socket only. */
    public RespConfig(boolean enabled, @Nullable Path socket) {
        this(enabled, socket, NO_TCP, null);
    }

    /** The RESP socket beside {@code binarySocket}, or null when RESP is off. */
    public @Nullable Path resolve(Path binarySocket) {
        if (!enabled) {
            return null;
        }
        Path p = socket != null ? socket : binarySocket.resolveSibling(binarySocket.getFileName() + ".resp");
        return p.toAbsolutePath();
    }
}
