package io.sharedmap.cli;

import io.sharedmap.client.DeleteResult;
import io.sharedmap.client.PortableMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sharedmap del KEY [--if-version V]}. */
@Command(
        name = "del",
        mixinStandardHelpOptions = true,
        description = "Delete KEY; prints 'deleted', or exits 1 when it was not found or (with --if-version) had"
                + " another version.")
final class DelCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    MapOption target;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8, 1..1024 bytes).")
    String key;

    @Option(
            names = "--if-version",
            paramLabel = "V",
            description = "Delete only if the key's version is V (>= 1): the VERSION column of 'keys -l', or the"
                    + " version cas printed or a conflict reported (get and set print none).")
    Long ifVersion;

    @Override
    public Integer call() {
        if (ifVersion != null && ifVersion <= 0) {
            throw new ParameterException(
                    spec.commandLine(), "--if-version: " + ifVersion + " is not a version (versions are >= 1)");
        }
        DeleteResult result;
        try (PortableMap map = target.connect()) {
            result = ifVersion == null ? map.delete(Args.key(key)) : map.delete(Args.key(key), ifVersion);
        }
        return switch (result.outcome()) {
            case DELETED -> {
                root.out().println("deleted");
                yield ExitCodes.OK;
            }
            case NOT_FOUND -> {
                root.err().println("not found: " + key);
                yield ExitCodes.NOT_FOUND_OR_CONFLICT;
            }
            case CONFLICT -> {
                root.err().println("conflict: current version " + result.version());
                yield ExitCodes.NOT_FOUND_OR_CONFLICT;
            }
        };
    }
}
