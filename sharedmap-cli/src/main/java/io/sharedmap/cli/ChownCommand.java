package io.sharedmap.cli;

import io.sharedmap.client.OwnerChange;
import io.sharedmap.client.SharedMap;
import io.sharedmap.os.accounts.UnixAccounts;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap chown USER[:GROUP] KEY...}: a key's owner and group, as chown does for files. */
@Command(
        name = "chown",
        mixinStandardHelpOptions = true,
        description = {
            "Give KEYs a new owner and/or group: USER, USER:GROUP or :GROUP (names or numeric ids)."
                    + " Only root and the daemon's --admin-group may. The keys' usage moves to the new owner and group.",
            "With --prefix, each KEY is a prefix and every key under it is changed."
        })
final class ChownCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Parameters(index = "0", paramLabel = "USER[:GROUP]", description = "New owner, group, or both.")
    String owner;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY", description = "Keys (UTF-8), or prefixes.")
    List<String> keys;

    @Option(
            names = {"-p", "--prefix"},
            description = "Treat each KEY as a prefix (\"\" for every key).")
    boolean prefix;

    @Override
    public Integer call() {
        UnixAccounts names = UnixAccounts.system();
        int colon = owner.indexOf(':');
        String user = colon < 0 ? owner : owner.substring(0, colon);
        String group = colon < 0 ? "" : owner.substring(colon + 1);
        if (user.isEmpty() && group.isEmpty()) {
            throw new CliException(ExitCodes.USAGE, "give USER, USER:GROUP or :GROUP");
        }
        long uid = user.isEmpty()
                ? -1
                : names.uid(user).orElseThrow(() -> new CliException(ExitCodes.USAGE, "no user named '" + user + "'"));
        long gid = group.isEmpty()
                ? -1
                : names.gid(group)
                        .orElseThrow(() -> new CliException(ExitCodes.USAGE, "no group named '" + group + "'"));
        int exit = ExitCodes.OK;
        try (SharedMap map = socket.connect()) {
            for (String key : keys) {
                OwnerChange c = prefix ? map.chownPrefix(Args.key(key), uid, gid) : map.chown(Args.key(key), uid, gid);
                exit = Math.max(exit, OwnerChanges.report(root, "chown", key, prefix, c));
            }
        }
        return exit;
    }
}
