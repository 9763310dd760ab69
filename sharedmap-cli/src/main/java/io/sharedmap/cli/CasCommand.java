package io.sharedmap.cli;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.PortableMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sharedmap cas KEY EXPECTED_VERSION VALUE}. */
@Command(
        name = "cas",
        mixinStandardHelpOptions = true,
        description = "Store VALUE under KEY only if KEY's version is EXPECTED_VERSION (0: only if KEY does not"
                + " exist); prints 'created|updated version N', or exits 1 with the current version.")
final class CasCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    MapOption target;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8, 1..1024 bytes).")
    String key;

    @Parameters(
            index = "1",
            paramLabel = "EXPECTED_VERSION",
            description = "The version the key must have (>= 1), or 0 for \"must not exist\".")
    long expectedVersion;

    @Parameters(
            index = "2",
            paramLabel = "VALUE",
            description = "The value (UTF-8), or - to read it from stdin" + " (binary-safe).")
    String value;

    @Override
    public Integer call() {
        if (expectedVersion < 0) {
            throw new ParameterException(
                    spec.commandLine(),
                    "EXPECTED_VERSION: " + expectedVersion + " is negative (use 0 for \"must not exist\")");
        }
        byte[] bytes = Args.value(value, root.in());
        CasResult result;
        try (PortableMap map = target.connect()) {
            result = map.compareAndSet(Args.key(key), expectedVersion, bytes);
        }
        return switch (result) {
            case CasResult.Applied a -> {
                root.out().println((a.created() ? "created" : "updated") + " version " + a.version());
                yield ExitCodes.OK;
            }
            case CasResult.Conflict c -> {
                root.err().println("conflict: current version " + c.currentVersion());
                yield ExitCodes.NOT_FOUND_OR_CONFLICT;
            }
        };
    }
}
