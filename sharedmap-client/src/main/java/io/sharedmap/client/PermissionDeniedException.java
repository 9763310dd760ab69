package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import org.jspecify.annotations.Nullable;

/**
 * The daemon refused the request for who made it ({@link ErrorCode#PERMISSION_DENIED}): the key's
 * mode does not let this process's user read or write it, or only root and the admin group may do
 * this (change owners or limits). The message names the key's owner, group and mode. Nothing was
 * changed.
 */
public final class PermissionDeniedException extends SharedMapException {
    private static final long serialVersionUID = 1L;

    PermissionDeniedException(@Nullable ErrorCode errorCode, String message) {
        super(errorCode, message, null);
    }
}
