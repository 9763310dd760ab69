package io.sharedmap.cli;

import io.sharedmap.client.OwnerChange;
import io.sharedmap.client.SharedMap;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap chmod MODE KEY...}: a key's read and write bits, as chmod does for files. */
@Command(
        name = "chmod",
        mixinStandardHelpOptions = true,
        description = {
            "Change who may read and write KEYs: MODE is octal read (4) and write (2) bits for owner,"
                    + " group and others, e.g. 640 (rw-r-----) or 600 (rw-------). Only a key's owner, or root, may.",
            "With --prefix, each KEY is a prefix and every key under it that you own is changed (root: every key);"
                    + " the others are counted as skipped."
        })
final class ChmodCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Parameters(
            index = "0",
            paramLabel = "MODE",
            description = "Octal mode, at most 666.",
            converter = ServerOptions.OctalConverter.class)
    int mode;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY", description = "Keys (UTF-8), or prefixes.")
    List<String> keys;

    @Option(
            names = {"-p", "--prefix"},
            description = "Treat each KEY as a prefix (\"\" for every key).")
    boolean prefix;

    @Override
    public Integer call() {
        if ((mode & ~0666) != 0) {
            throw new CliException(
                    ExitCodes.USAGE,
                    String.format("mode %o has bits outside 666 (keys have read" + " and write bits only)", mode));
        }
        int exit = ExitCodes.OK;
        try (SharedMap map = socket.connect()) {
            for (String key : keys) {
                OwnerChange c = prefix ? map.chmodPrefix(Args.key(key), mode) : map.chmod(Args.key(key), mode);
                exit = Math.max(exit, OwnerChanges.report(root, "chmod", key, prefix, c));
            }
        }
        return exit;
    }
}
