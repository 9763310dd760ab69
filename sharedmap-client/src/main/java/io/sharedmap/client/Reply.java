package io.sharedmap.client;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.Status;
import org.jspecify.annotations.Nullable;

/**
 * One response frame as read from the wire.
 *
 * @param status the raw status byte (see {@link Status})
 * @param flags the response flags
 * @param key the key field (a SCAN cursor; otherwise empty)
 * @param value the value field
 * @param arg the version (or count) field
 */
record Reply(int status, int flags, byte[] key, byte[] value, long arg) {

    /** Whether the daemon closes the connection after this frame. */
    boolean closing() {
        return (flags & FrameDescriptor.FLAG_CLOSING) != 0;
    }

    /** The status, or {@code null} when the byte names none this client knows. */
    @Nullable
    Status statusOrNull() {
        return Status.fromCode(status);
    }
}
