package io.sharedmap.cli;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.PortableMap;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sharedmap copy SRC_URL DST_URL}: every key under a prefix, with its value, from one map to
 * another (e.g. from the local daemon to etcd). Keys are read page by page from the source and each
 * written with a create-only compare-and-set ({@code --overwrite}: a plain set). Not copied:
 * versions (the destination numbers its own), owners, groups and modes (no remote backend has
 * them: etcd's RBAC and Redis ACLs are set up on their side), limits. A key changed during the copy
 * is copied in one of its states; one deleted meanwhile is counted as vanished.
 */
@Command(
        name = "copy",
        mixinStandardHelpOptions = true,
        description = "Copy the keys under PREFIX (all keys without --prefix) and their values from SRC_URL to"
                + " DST_URL, e.g. unix:///run/sharedmap/socket to etcd://host:2379. Keys that already exist at the"
                + " destination are left as they are (exit 1) unless --overwrite. Versions, owners and modes are"
                + " not copied (docs/SCALE-OUT.md).")
final class CopyCommand implements Callable<Integer> {
    @ParentCommand
    SharedMapCommand root;

    @Mixin
    SocketOption socket;

    @Parameters(index = "0", paramLabel = "SRC_URL", description = "The map to read.")
    String source;

    @Parameters(index = "1", paramLabel = "DST_URL", description = "The map to write.")
    String destination;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "Only keys starting with this (UTF-8).")
    String prefix = "";

    @Option(names = "--overwrite", description = "Replace keys that exist at the destination.")
    boolean overwrite;

    @Override
    public Integer call() {
        URI from = url("SRC_URL", source);
        URI to = url("DST_URL", destination);
        if (from.equals(to)) {
            throw new CliException(ExitCodes.USAGE, "SRC_URL and DST_URL are the same map: " + source);
        }
        long copied = 0;
        long bytes = 0;
        long existing = 0;
        long vanished = 0;
        try (PortableMap src = MapOption.connect(from, socket);
                PortableMap dst = MapOption.connect(to, socket);
                Stream<KeyInfo> keys = src.keys(Args.key(prefix))) {
            Iterator<KeyInfo> it = keys.iterator();
            while (it.hasNext()) {
                byte[] key = it.next().key();
                Optional<Entry> entry = src.get(key);
                if (entry.isEmpty()) {
                    vanished++;
                    continue;
                }
                byte[] value = entry.get().value();
                if (overwrite) {
                    dst.set(key, value);
                } else if (dst.compareAndSet(key, 0, value) instanceof CasResult.Conflict) {
                    existing++;
                    continue;
                }
                copied++;
                bytes += value.length;
            }
        }
        root.out()
                .println("copied " + copied + (copied == 1 ? " key (" : " keys (") + bytes + " value bytes)"
                        + (existing > 0
                                ? ", left " + existing + " that exist at the destination (--overwrite replaces them)"
                                : "")
                        + (vanished > 0 ? ", " + vanished + " deleted at the source during the copy" : ""));
        return existing > 0 ? ExitCodes.NOT_FOUND_OR_CONFLICT : ExitCodes.OK;
    }

    private static URI url(String what, String text) {
        try {
            URI uri = new URI(text);
            if (uri.getScheme() == null) {
                throw new CliException(
                        ExitCodes.USAGE,
                        what + ": '" + text + "' has no scheme; use unix:///path/to/socket, etcd://host:port,..."
                                + " or redis-cluster://host:port,...");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new CliException(ExitCodes.USAGE, what + ": '" + text + "' is not a URL (" + e.getMessage() + ")");
        }
    }
}
