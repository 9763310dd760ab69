package io.sharedmap.cli;

import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.SharedMap;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap keys [PREFIX]}: every key, paged through SCAN. */
@Command(name = "keys", mixinStandardHelpOptions = true,
    description = "List the keys that start with PREFIX (all keys without one), one per line, in ascending"
        + " byte order.")
final class KeysCommand implements Callable<Integer> {
  @ParentCommand SharedMapCommand root;
  @Mixin SocketOption socket;

  @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", description = "Only keys starting with this"
      + " (UTF-8).")
  String prefix = "";

  @Option(names = {"-l", "--long"}, description = "Also print each entry's version and value length:"
      + " 'VERSION LENGTH KEY'.")
  boolean longFormat;

  @Override
  public Integer call() {
    PrintStream out = root.out();
    try (SharedMap map = socket.connect(); Stream<KeyInfo> keys = map.keys(Args.key(prefix))) {
      keys.forEach(k -> {
        if (longFormat) {
          out.printf("%12d %10d ", k.version(), k.valueLength());
        }
        out.write(k.key(), 0, k.key().length);
        out.write('\n');
      });
    }
    return ExitCodes.OK;
  }
}
