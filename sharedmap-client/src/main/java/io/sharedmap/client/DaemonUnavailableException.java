package io.sharedmap.client;

/**
 * No daemon answers on the socket, or the connection to it broke. The message names the socket and
 * says how to start a daemon. When thrown after a request was sent, the request may or may not have
 * been applied.
 */
public final class DaemonUnavailableException extends SharedMapException {
  private static final long serialVersionUID = 1L;

  DaemonUnavailableException(String message, Throwable cause) {
    super(null, message, cause);
  }
}
