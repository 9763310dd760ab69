package io.sharedmap.client;

/**
 * An operation the chosen backend cannot serve as the local daemon does (e.g. per-key Unix modes or
 * quotas on etcd): refused, never answered differently. The message names the operation, the
 * backend and what replaces it there (docs/SCALE-OUT.md).
 */
public final class NotSupportedByBackendException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    /** An operation {@code backend} does not serve; {@code instead} says what to use there. */
    public NotSupportedByBackendException(String operation, String backend, String instead) {
        super(operation + " is not supported by the " + backend + " backend (" + instead + "; see docs/SCALE-OUT.md)");
    }
}
