package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.FrameDescriptor;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link PortableMapProvider}'s map needs from the client so that it behaves as the local
 * one: the same argument checks, with the same exceptions and messages, and the client's exception
 * types for an engine that does not answer or fails. Not for applications.
 */
public final class BackendSupport {
    /** Keys are 1 to this many bytes on every backend (the local protocol's limit). */
    public static final int MAX_KEY_LENGTH = FrameDescriptor.MAX_KEY_LENGTH;

    /** The page size of {@link PortableMap#scan} with limit 0. */
    public static final int DEFAULT_SCAN_LIMIT = 100;

    private BackendSupport() {}

    /** Throws as {@link SharedMap} does for a null, empty or too long key. */
    public static void checkKey(String op, byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length == 0) {
            throw Errors.forCode(
                    ErrorCode.KEY_EMPTY, op + ": key is empty; keys are 1 to " + MAX_KEY_LENGTH + " bytes");
        }
        if (key.length > MAX_KEY_LENGTH) {
            throw Errors.forCode(
                    ErrorCode.KEY_TOO_LONG,
                    op + ": key of " + key.length + " bytes exceeds the limit of " + MAX_KEY_LENGTH + " bytes");
        }
    }

    /** Throws as {@link SharedMap} does for a null value or one longer than {@code max}. */
    public static void checkValue(String op, byte[] value, int max, String whose) {
        Objects.requireNonNull(value, "value");
        if (value.length > max) {
            throw Errors.forCode(
                    ErrorCode.VALUE_TOO_LARGE,
                    op + ": value of " + value.length + " bytes exceeds the " + whose + " limit of " + max + " bytes");
        }
    }

    /** A compare-and-set's expected version: {@code >= 0} (0: the key must not exist). */
    public static void checkCasVersion(long expectedVersion) {
        if (expectedVersion < 0) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    "CAS: expected version " + expectedVersion + " is negative; use 0 for \"the key must not exist\"");
        }
    }

    /** A conditional delete's expected version: {@code > 0}. */
    public static void checkDeleteVersion(long expectedVersion) {
        if (expectedVersion <= 0) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    "DELETE: expected version " + expectedVersion
                            + " is not a version (versions are > 0); use delete(key) to delete whatever is there");
        }
    }

    /** A scan's prefix: not null, at most {@link #MAX_KEY_LENGTH} bytes. */
    public static void checkPrefix(byte[] prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (prefix.length > MAX_KEY_LENGTH) {
            throw Errors.forCode(
                    ErrorCode.KEY_TOO_LONG,
                    "SCAN: prefix of " + prefix.length + " bytes exceeds the key limit of " + MAX_KEY_LENGTH
                            + " bytes");
        }
    }

    /**
     * Checks a scan's arguments as {@link SharedMap#scan} does and returns the page size to use
     * ({@link #DEFAULT_SCAN_LIMIT} for 0).
     */
    public static int checkScan(byte[] prefix, byte[] cursor, int limit, int maxLimit) {
        checkPrefix(prefix);
        Objects.requireNonNull(cursor, "cursor");
        if (cursor.length > MAX_KEY_LENGTH) {
            throw Errors.forCode(
                    ErrorCode.INVALID_ARGUMENT,
                    "SCAN: cursor of " + cursor.length + " bytes exceeds the key limit of " + MAX_KEY_LENGTH
                            + " bytes");
        }
        if (limit < 0 || limit > maxLimit) {
            throw Errors.forCode(ErrorCode.INVALID_ARGUMENT, "SCAN: page size " + limit + " is outside 0.." + maxLimit);
        }
        return limit == 0 ? Math.min(DEFAULT_SCAN_LIMIT, maxLimit) : limit;
    }

    /**
     * The engine did not answer or the connection to it broke ({@link DaemonUnavailableException});
     * {@code message} names the engine and says whether a change may have been applied.
     */
    public static DaemonUnavailableException unavailable(String message, @Nullable Throwable cause) {
        return new DaemonUnavailableException(message, cause);
    }

    /** The engine refused or failed a request for a reason of its own ({@link ServerFailureException}). */
    public static SharedMapException failure(String message, @Nullable Throwable cause) {
        return new ServerFailureException(ErrorCode.INTERNAL, message, cause);
    }

    /** The engine refused the request as too large ({@link LimitExceededException}). */
    public static SharedMapException tooLarge(String message) {
        return Errors.forCode(ErrorCode.VALUE_TOO_LARGE, message);
    }

    /** The engine refused this user ({@link PermissionDeniedException}), e.g. etcd's RBAC. */
    public static SharedMapException permissionDenied(String message) {
        return Errors.forCode(ErrorCode.PERMISSION_DENIED, message);
    }
}
