package io.sharedmap.cli;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMap;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
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

    @Option(
            names = "--ttl",
            paramLabel = "TTL",
            description = "Expire the key after TTL: 500ms, 30s, 5m, 2h, 1d, or ISO-8601 (PT30S); the local"
                    + " daemon only. Without it, a key's deadline is removed.",
            converter = Ttl.class)
    @Nullable
    Duration ttl;

    @Override
    public Integer call() {
        byte[] bytes = Args.value(value, root.in());
        SetResult result;
        try (PortableMap map = target.connect()) {
            Duration t = ttl;
            if (t == null) {
                result = map.set(Args.key(key), bytes);
            } else if (map instanceof SharedMap local) {
                result = local.set(Args.key(key), bytes, t);
            } else {
                throw new CliException(ExitCodes.USAGE, "--ttl: keys expire on the local daemon only, not on " + map);
            }
        }
        root.out().println(result.created() ? "created" : "updated");
        return ExitCodes.OK;
    }
}
