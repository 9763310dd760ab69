package io.sharedmap.cli;

import io.sharedmap.client.Entry;
import io.sharedmap.client.PortableMap;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap get KEY}: the value's exact bytes on stdout. */
@Command(
        name = "get",
        mixinStandardHelpOptions = true,
        description =
                "Write KEY's value to stdout exactly (no newline added; binary-safe); exit 1 when there" + " is none.")
final class GetCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    MapOption target;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8, 1..1024 bytes).")
    String key;

    @Override
    public Integer call() {
        Optional<Entry> entry;
        try (PortableMap map = target.connect()) {
            entry = map.get(Args.key(key));
        }
        if (entry.isEmpty()) {
            root.err().println("not found: " + key);
            return ExitCodes.NOT_FOUND_OR_CONFLICT;
        }
        root.out().write(entry.get().value(), 0, entry.get().value().length);
        return ExitCodes.OK;
    }
}
