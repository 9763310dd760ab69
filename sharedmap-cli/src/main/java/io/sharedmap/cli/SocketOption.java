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

  /** A client of the daemon on the socket. */
  SharedMap connect() {
    return SharedMap.connect(socket);
  }
}
