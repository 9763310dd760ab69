package io.sharedmap.cli;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SetResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap set KEY VALUE}. */
@Command(
        name = "set",
        mixinStandardHelpOptions = true,
        description = "Store VALUE under KEY; prints 'created' or 'updated'.")
final class SetCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    MapOption target;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8, 1..1024 bytes).")
    String key;

    @Parameters(
            index = "1",
            paramLabel = "VALUE",
            description = "The value (UTF-8), or - to read it from stdin" + " (binary-safe).")
    String value;

    @Override
    public Integer call() {
        byte[] bytes = Args.value(value, root.in());
        SetResult result;
        try (PortableMap map = target.connect()) {
            result = map.set(Args.key(key), bytes);
        }
        root.out().println(result.created() ? "created" : "updated");
        return ExitCodes.OK;
    }
}
