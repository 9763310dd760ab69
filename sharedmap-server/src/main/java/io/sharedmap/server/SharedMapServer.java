package io.sharedmap.server;

/** STUB: replaced by the real implementation. */
public final class SharedMapServer implements AutoCloseable {
  private SharedMapServer() {}

  /**
   * Recovers the data directory, binds the socket and starts serving. Returns once clients can
   * connect.
   *
   * @throws ServerStartException with a clear message (directory locked by another daemon, socket
   *     owned by a live daemon, unknown file format, corrupt snapshot, ...)
   */
  public static SharedMapServer start(ServerConfig config) throws ServerStartException {
    config.validate();
    throw new ServerStartException("not implemented yet");
  }

  /** Stops like rmmod after rcu_barrier: refuse new work, finish requests in flight, sync, exit. Idempotent. */
  public void stop() {}

  /** Blocks until the server has stopped. */
  public void awaitStopped() throws InterruptedException {}

  @Override
  public void close() {
    stop();
  }
}
