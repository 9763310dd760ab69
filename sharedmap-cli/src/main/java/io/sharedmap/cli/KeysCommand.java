package io.sharedmap.cli;

import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.KeyOwner;
import io.sharedmap.client.NotSupportedByBackendException;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.os.accounts.UnixAccounts;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap keys [PREFIX]}: every key, paged through SCAN. */
@Command(
        name = "keys",
        mixinStandardHelpOptions = true,
        description = "List the keys that start with PREFIX (all keys without one), one per line, in ascending"
                + " byte order.")
final class KeysCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    MapOption target;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "PREFIX",
            description = "Only keys starting with this" + " (UTF-8).")
    String prefix = "";

    @Option(
            names = {"-l", "--long"},
            description = "Like ls -l: 'MODE OWNER GROUP SIZE VERSION KEY', where SIZE"
                    + " is the value's length in bytes. Keys you may not read are not listed.")
    boolean longFormat;

    @Override
    public Integer call() {
        PrintStream out = root.out();
        UnixAccounts names = UnixAccounts.system();
        try (PortableMap map = target.connect();
                Stream<KeyInfo> keys = longFormat ? withOwners(map) : map.keys(Args.key(prefix))) {
            keys.forEach(k -> {
                KeyOwner owner = k.owner(); // a long listing asks for owners: every key has one
                if (longFormat && owner != null) {
                    out.printf(
                            "%s %-8s %-8s %10d %12d ",
                            owner.modeString(),
                            names.userName(owner.uid()),
                            names.groupName(owner.gid()),
                            k.valueLength(),
                            k.version());
                }
                out.write(k.key(), 0, k.key().length);
                out.write('\n');
            });
        }
        return ExitCodes.OK;
    }

    /** Owners, groups and modes are the local daemon's: another backend refuses -l, typed. */
    private Stream<KeyInfo> withOwners(PortableMap map) {
        if (map instanceof SharedMap local) {
            return local.keysWithOwners(Args.key(prefix));
        }
        throw new NotSupportedByBackendException(
                "keys -l (owners, groups and modes)",
                map.url(),
                "keys there have no owner or mode; access is granted by the engine's own users and roles,"
                        + " e.g. etcd's RBAC");
    }
}
