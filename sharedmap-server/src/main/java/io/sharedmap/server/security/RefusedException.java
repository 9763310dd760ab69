package io.sharedmap.server.security;

/** A request refused for who made it: its permissions or its limits. Nothing was changed. */
public abstract sealed class RefusedException extends Exception
    permits PermissionDeniedException, QuotaExceededException {
  private static final long serialVersionUID = 1L;

  RefusedException(String message) {
    super(message, null, false, false);
  }
}
