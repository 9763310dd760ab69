package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec.ErrorReply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

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
            return new ProtocolViolationException(
                    null, "daemon sent unknown error code " + reply.rawCode() + ": " + reply.message());
        }
        return forCode(reply.code(), reply.message());
    }

    /** A reply this client cannot make sense of. */
    static ProtocolViolationException violation(String message) {
        return new ProtocolViolationException(null, message);
    }

    /**
     * Connecting failed: no daemon answers there ({@link DaemonUnavailableException}), or this
     * process may not connect to the socket at all ({@link PermissionDeniedException}, naming the
     * socket file's owner, group and mode: the daemon may well be running).
     */
    static SharedMapException cannotConnect(Path socket, Throwable cause) {
        String m = cause.getMessage();
        if (m != null && m.contains("Permission denied")
                || Files.exists(socket) && !Files.isWritable(socket)) { // whatever the locale
            String who;
            try {
                PosixFileAttributes a = Files.readAttributes(socket, PosixFileAttributes.class);
                who = "the socket file is " + PosixFilePermissions.toString(a.permissions())
                        + ", owner " + a.owner().getName() + ", group "
                        + a.group().getName()
                        + ": connecting needs write permission on it";
            } catch (IOException | RuntimeException e) {
                who = "its directory " + socket.getParent() + " or the socket file does not let this user in";
            }
            return new PermissionDeniedException(
                    ErrorCode.PERMISSION_DENIED,
                    "this user may not connect to the sharedmap"
                            + " daemon on " + socket + " (" + who + "); ask its administrator, or see --socket-mode and"
                            + " --socket-group in docs/SECURITY.md");
        }
        return new DaemonUnavailableException(
                "no sharedmap daemon answers on " + socket + " (" + describe(cause)
                        + "); start one with: sharedmap start",
                cause);
    }

    static DaemonUnavailableException connectionLost(Path socket, Throwable cause) {
        return new DaemonUnavailableException(
                "lost the connection to the sharedmap daemon on " + socket
                        + " before its reply, so the request may or may not have been applied (" + describe(cause)
                        + "); if the daemon is gone, start one with: sharedmap start",
                cause);
    }

    static DaemonUnavailableException notSent(Path socket, Throwable cause) {
        return new DaemonUnavailableException(
                "the sharedmap daemon on " + socket
                        + " closed the connection before the request was sent, so it was not applied ("
                        + describe(cause)
                        + "); if the daemon is gone, start one with: sharedmap start",
                cause);
    }

    /** What a connection was waiting for when its reply timeout ran out. */
    enum Waiting {
        /** The answer to the hello of a new connection: nothing else was sent on it. */
        HELLO,
        /** Replies to requests that only read. */
        READS,
        /** Replies, at least one of them to a request that changes the map. */
        CHANGE
    }

    static ReplyTimeoutException replyTimeout(Path socket, long timeoutNs, Waiting waiting, @Nullable Throwable cause) {
        String what = switch (waiting) {
            case HELLO ->
                "accepted a connection but did not answer its hello within " + duration(timeoutNs)
                        + " (the client's reply timeout), so the connection was closed with no request sent on it";
            case READS ->
                "did not answer within " + duration(timeoutNs) + " (the client's reply timeout), so the"
                        + " connection was closed; the request only reads, so nothing was changed";
            case CHANGE ->
                "did not answer within " + duration(timeoutNs) + " (the client's reply timeout), so the"
                        + " connection was closed; the request changes the map and its outcome is unknown: the daemon may"
                        + " still apply it when it resumes, even after later calls";
        };
        return new ReplyTimeoutException(
                "the sharedmap daemon on " + socket + " " + what + "; the daemon is running"
                        + " but not answering (stopped with SIGSTOP or a debugger, overloaded, or waiting for its disk)",
                waiting == Waiting.CHANGE,
                cause);
    }

    /**
     * {@code timeout} from a new connection's hello, amended for a recovering call whose earlier
     * attempt had sent its change before that attempt's connection broke.
     */
    static ReplyTimeoutException replyTimeoutAfterResend(ReplyTimeoutException timeout) {
        return new ReplyTimeoutException(
                timeout.getMessage() + "; an earlier attempt of this call had sent the"
                        + " change before its connection broke, so its outcome is unknown",
                true,
                timeout);
    }

    /** A timeout for messages: whole seconds as {@code "30 s"}, anything else in milliseconds. */
    static String duration(long nanos) {
        return nanos % 1_000_000_000L == 0
                ? nanos / 1_000_000_000L + " s"
                : TimeUnit.NANOSECONDS.toMillis(nanos) + " ms";
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }
}
