package io.sharedmap.cli;

import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapPaths;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --socket PATH} for the commands that talk to a daemon. */
final class SocketOption {
  @Option(names = "--socket", paramLabel = "PATH",
      description = "The daemon's Unix domain socket (default: ${DEFAULT-VALUE}; $SHAREDMAP_SOCKET sets it).")
  Path socket = SharedMapPaths.defaultSocket();

  /**
   * A plain client of the daemon on the socket: a one-shot command opens no session, so a shell
   * loop of thousands of commands does not crowd long-lived applications' sessions out of the
   * daemon's session table, and it fails at once instead of waiting for a restarting daemon.
   */
  SharedMap connect() {
    return SharedMap.connect(socket, SharedMap.Options.defaults().recovering(false));
  }
}
