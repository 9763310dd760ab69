package io.sharedmap.server;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The Redis protocol front door (docs/PROTOCOL.md, "RESP"): whether the daemon serves RESP2/RESP3
 * on a Unix socket of its own beside the binary one, and where. The RESP socket gets the binary
 * socket's owner, group and mode ({@code --socket-mode}, {@code --socket-owner}, {@code
 * --socket-group}), and its connections are identified by SO_PEERCRED exactly as the binary
 * socket's are.
 *
 * @param enabled serve RESP at all ({@code --no-resp} turns it off)
 * @param socket the RESP socket's path, or null for the binary socket's path with {@code .resp}
 *     appended ({@code --resp-socket})
 */
public record RespConfig(boolean enabled, @Nullable Path socket) {
    /** On, at {@code <socket>.resp}. */
    public static final RespConfig DEFAULTS = new RespConfig(true, null);
    /** Off: only the binary socket is served. */
    public static final RespConfig DISABLED = new RespConfig(false, null);

    /** The RESP socket beside {@code binarySocket}, or null when RESP is off. */
    public @Nullable Path resolve(Path binarySocket) {
        if (!enabled) {
            return null;
        }
        Path p = socket != null ? socket : binarySocket.resolveSibling(binarySocket.getFileName() + ".resp");
        return p.toAbsolutePath();
    }
}
