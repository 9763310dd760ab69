package io.sharedmap.server;

import io.sharedmap.os.accounts.UnixAccounts;
import org.jspecify.annotations.Nullable;

/**
 * Who may connect and what their keys start as.
 *
 * @param keyUmask bits removed from 0666 for the mode of a created key (like a shell's umask),
 *     0..0777; default {@value #DEFAULT_KEY_UMASK} (octal 022: rw-r--r--)
 * @param adminGroup members of this group (primary or supplementary) may change limits and owners
 *     like root; null: only root
 * @param socketMode the socket file's mode, 0..0777 (connecting needs write permission); default
 *     0660: the daemon's user and group. Use 0666 to let every local user connect
 * @param socketOwner the socket file's owner (name or uid); null: the daemon's user
 * @param socketGroup the socket file's group (name or gid); null: the daemon's group
 */
public record SecurityConfig(
        int keyUmask,
        @Nullable String adminGroup,
        int socketMode,
        @Nullable String socketOwner,
        @Nullable String socketGroup) {
    public static final int DEFAULT_KEY_UMASK = 022;
    public static final int DEFAULT_SOCKET_MODE = 0660;
    public static final SecurityConfig DEFAULTS =
            new SecurityConfig(DEFAULT_KEY_UMASK, null, DEFAULT_SOCKET_MODE, null, null);

    public SecurityConfig withSocketMode(int mode) {
        return new SecurityConfig(keyUmask, adminGroup, mode, socketOwner, socketGroup);
    }

    public SecurityConfig withAdminGroup(String group) {
        return new SecurityConfig(keyUmask, group, socketMode, socketOwner, socketGroup);
    }

    public SecurityConfig withKeyUmask(int umask) {
        return new SecurityConfig(umask, adminGroup, socketMode, socketOwner, socketGroup);
    }

    /**
     * Checks the ranges and that the named users and groups exist.
     *
     * @throws IllegalArgumentException naming the option, its value and what is allowed
     */
    public SecurityConfig validate(UnixAccounts names) {
        if (keyUmask < 0 || keyUmask > 0777) {
            throw new IllegalArgumentException(String.format("--key-umask: 0%o is outside 0..0777", keyUmask));
        }
        if (socketMode < 0 || socketMode > 0777) {
            throw new IllegalArgumentException(String.format("--socket-mode: 0%o is outside 0..0777", socketMode));
        }
        if (adminGroup != null && names.gid(adminGroup).isEmpty()) {
            throw new IllegalArgumentException("--admin-group: no group named '" + adminGroup + "'");
        }
        if (socketOwner != null && names.uid(socketOwner).isEmpty()) {
            throw new IllegalArgumentException("--socket-owner: no user named '" + socketOwner + "'");
        }
        if (socketGroup != null && names.gid(socketGroup).isEmpty()) {
            throw new IllegalArgumentException("--socket-group: no group named '" + socketGroup + "'");
        }
        return this;
    }
}
