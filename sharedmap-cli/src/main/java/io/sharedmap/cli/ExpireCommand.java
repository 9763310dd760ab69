package io.sharedmap.cli;

import io.sharedmap.client.SharedMap;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap expire KEY TTL} and {@code sharedmap expire --persist KEY}: a lease's keep-alive, Redis's EXPIRE and PERSIST. */
@Command(
        name = "expire",
        mixinStandardHelpOptions = true,
        description = {
            "Give KEY a new time to live, keeping its value and version (a lease's keep-alive), or with"
                    + " --persist remove its deadline. Exit 1 if KEY is absent (or its version is not --if-version)."
        })
final class ExpireCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8, 1..1024 bytes).")
    String key;

    @Parameters(
            index = "1",
            arity = "0..1",
            paramLabel = "TTL",
            description = "Time to live: 500ms, 30s, 5m, 2h, 1d, or ISO-8601 (PT30S).",
            converter = Ttl.class)
    @Nullable
    Duration ttl;

    @Option(names = "--persist", description = "Remove the deadline: the key no longer expires.")
    boolean persist;

    @Option(
            names = "--if-version",
            paramLabel = "VERSION",
            description = "Only if the key's version is VERSION (renew only your own lease).")
    long ifVersion;

    @Override
    public Integer call() {
        if (persist == (ttl != null)) {
            throw new CliException(ExitCodes.USAGE, "give either a TTL or --persist");
        }
        boolean done;
        try (SharedMap map = socket.connect()) {
            byte[] k = Args.key(key);
            Duration t = ttl;
            if (t == null) {
                done = map.persist(k);
            } else {
                done = ifVersion > 0 ? map.expire(k, ifVersion, t) : map.expire(k, t);
            }
        }
        if (!done) {
            root.err().println((ifVersion > 0 ? "not found or not at version " + ifVersion : "not found") + ": " + key);
            return ExitCodes.NOT_FOUND_OR_CONFLICT;
        }
        root.out().println(persist ? "persisted" : "expires in " + ttl);
        return ExitCodes.OK;
    }
}
