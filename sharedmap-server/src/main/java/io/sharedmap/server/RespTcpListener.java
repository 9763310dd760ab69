package io.sharedmap.server;

import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.server.security.Caller;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The Redis protocol on a loopback TCP port ({@code --resp-port}), for tools that speak only TCP.
 * Bound to 127.0.0.1 only, never to another interface.
 *
 * <p>Identity: a TCP connection carries no SO_PEERCRED, so it is not anyone by itself. With {@code
 * --resp-tcp-user NAME} every TCP connection acts as that account (its uid, primary group and
 * groups, exactly as a Unix-socket connection of that user): whoever can reach the port gets that
 * account's rights, which is the operator's explicit grant. Without it, a TCP connection is
 * <em>anonymous</em>: it may use the connection commands (PING, HELLO, AUTH, CLIENT, COMMAND,
 * QUIT...) and nothing that reads or writes a key or the daemon's state ({@link
 * RespCommands#ANONYMOUS_ALLOWED}); its connections are counted against the {@code nobody}
 * account's connection limit. See docs/SECURITY.md, "RESP over TCP".
 */
final class RespTcpListener implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RespTcpListener.class.getName());
    /** The account anonymous TCP connections are counted as (connection limits only). */
    private static final String NOBODY = "nobody";

    private static final long NOBODY_ID = 65534;

    private final ServerSocketChannel channel;
    private final Caller caller;
    private final boolean anonymous;
    private final int port;

    private RespTcpListener(ServerSocketChannel channel, Caller caller, boolean anonymous, int port) {
        this.channel = channel;
        this.caller = caller;
        this.anonymous = anonymous;
        this.port = port;
    }

    /**
     * Binds 127.0.0.1:{@code resp.tcpPort()}.
     *
     * @param adminGid the group whose members are admins ({@code --admin-group}), or -1
     * @throws ServerStartException naming the port, or the user that does not exist
     */
    static RespTcpListener open(RespConfig resp, UnixAccounts names, long adminGid) throws ServerStartException {
        Caller caller;
        String user = resp.tcpUser();
        boolean anonymous = user == null;
        if (user == null) {
            long uid = names.uid(NOBODY).orElse(NOBODY_ID);
            long gid = names.primaryGid(uid).orElse(NOBODY_ID);
            caller = new Caller(uid, gid, new long[] {gid}, false);
        } else {
            long uid = names.uid(user)
                    .orElseThrow(() -> new ServerStartException("--resp-tcp-user: no such user '" + user + "'"));
            long gid = names.primaryGid(uid)
                    .orElseThrow(() -> new ServerStartException(
                            "--resp-tcp-user: user '" + user + "' has no primary group in the group database"));
            long[] groups = names.groupsOf(user, gid);
            boolean admin = uid == 0;
            for (long g : groups) {
                admin |= adminGid >= 0 && g == adminGid;
            }
            caller = new Caller(uid, gid, groups, admin);
            if (admin) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "--resp-tcp-user " + user + " is " + (uid == 0 ? "root" : "in the admin group")
                                + ": every local process that reaches the RESP TCP port gets its rights"
                                + " (docs/SECURITY.md, \"RESP over TCP\"); give the port an account of its own");
            }
        }
        ServerSocketChannel ch = null;
        try {
            ch = ServerSocketChannel.open();
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), resp.tcpPort()), 128);
            int port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            return new RespTcpListener(ch, caller, anonymous, port);
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new ServerStartException(
                    "--resp-port: cannot listen on 127.0.0.1:" + resp.tcpPort() + ": " + e.getMessage(), e);
        }
    }

    ServerSocketChannel channel() {
        return channel;
    }

    /** Who every connection of this listener is. */
    Caller caller() {
        return caller;
    }

    /** No {@code --resp-tcp-user}: connection commands only. */
    boolean anonymous() {
        return anonymous;
    }

    /** The port bound (the kernel's choice when 0 was asked). */
    int port() {
        return port;
    }

    /** A new connection: no Nagle delay (replies are written whole, once per batch). */
    static void configure(SocketChannel c) throws IOException {
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
