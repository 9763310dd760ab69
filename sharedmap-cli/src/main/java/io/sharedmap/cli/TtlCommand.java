package io.sharedmap.cli;

import io.sharedmap.client.SharedMap;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap ttl KEY}: when KEY expires. */
@Command(
        name = "ttl",
        mixinStandardHelpOptions = true,
        description = {
            "Print KEY's remaining time to live in milliseconds and its deadline (UTC), or 'never';"
                    + " exit 1 if KEY is absent."
        })
final class TtlCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8, 1..1024 bytes).")
    String key;

    @Override
    public Integer call() {
        Optional<Instant> deadline;
        boolean present;
        try (SharedMap map = socket.connect()) {
            byte[] k = Args.key(key);
            deadline = map.deadline(k);
            present = deadline.isPresent() || map.get(k).isPresent();
        }
        if (!present) {
            root.err().println("not found: " + key);
            return ExitCodes.NOT_FOUND_OR_CONFLICT;
        }
        if (deadline.isEmpty()) {
            root.out().println("never");
        } else {
            long left = Math.max(0, deadline.get().toEpochMilli() - System.currentTimeMillis());
            root.out().println(left + " ms (until " + deadline.get() + ")");
        }
        return ExitCodes.OK;
    }
}
