package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec.ErrorReply;
import java.nio.file.Path;

/** Builds the client's exceptions. The one place where error codes become exception types. */
final class Errors {
  private Errors() {}

  /** The exception for an error code, carrying {@code message} (the daemon's, or a client-side one). */
  static SharedMapException forCode(ErrorCode code, String message) {
    return switch (code) {
      case KEY_TOO_LONG, VALUE_TOO_LARGE -> new LimitExceededException(code, message);
      case KEY_EMPTY, INVALID_ARGUMENT -> new InvalidRequestException(code, message);
      case STORAGE_FAILURE, INTERNAL, SHUTTING_DOWN, TOO_MANY_CONNECTIONS, SEQUENCE_EXPIRED ->
          new ServerFailureException(code, message);
      case UNKNOWN_OPCODE, MALFORMED_FRAME, BAD_HANDSHAKE, UNSUPPORTED_VERSION ->
          new ProtocolViolationException(code, message);
      case PERMISSION_DENIED -> new PermissionDeniedException(code, message);
      case QUOTA_EXCEEDED -> new QuotaExceededException(code, message);
    };
  }

  /** The exception for a daemon's ERROR reply. */
  static SharedMapException forReply(ErrorReply reply) {
    if (reply.code() == null) {
      return new ProtocolViolationException(null, "daemon sent unknown error code " + reply.rawCode() + ": "
          + reply.message());
    }
    return forCode(reply.code(), reply.message());
  }

  /** A reply this client cannot make sense of. */
  static ProtocolViolationException violation(String message) {
    return new ProtocolViolationException(null, message);
  }

  static DaemonUnavailableException cannotConnect(Path socket, Throwable cause) {
    return new DaemonUnavailableException("no sharedmap daemon answers on " + socket + " (" + describe(cause)
        + "); start one with: sharedmap start", cause);
  }

  static DaemonUnavailableException connectionLost(Path socket, Throwable cause) {
    return new DaemonUnavailableException("lost the connection to the sharedmap daemon on " + socket
        + " before its reply, so the request may or may not have been applied (" + describe(cause)
        + "); if the daemon is gone, start one with: sharedmap start", cause);
  }

  static DaemonUnavailableException notSent(Path socket, Throwable cause) {
    return new DaemonUnavailableException("the sharedmap daemon on " + socket
        + " closed the connection before the request was sent, so it was not applied (" + describe(cause)
        + "); if the daemon is gone, start one with: sharedmap start", cause);
  }

  private static String describe(Throwable cause) {
    String message = cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }
}
