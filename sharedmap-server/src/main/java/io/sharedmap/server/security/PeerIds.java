package io.sharedmap.server.security;

import io.sharedmap.os.accounts.UnixAccounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * The numeric uid and gid behind the principals of a socket's peer credentials ({@code
 * jdk.net.ExtendedSocketOptions.SO_PEERCRED}), which the JDK gives as {@link UserPrincipal} and
 * {@link GroupPrincipal} with no public accessor for the number.
 *
 * <p>Why not the name: the JDK names a principal by {@code getpwuid}, and a name maps back to the
 * right id only if names are unique and not numeric. An account may be named {@code 0} (useradd
 * allows it), and a passwd entry and an LDAP entry may share a name; mapping names back would then
 * make that user root, or someone else.
 *
 * <p>How: on Linux the JDK builds these principals from the kernel's numbers, and their {@code
 * hashCode()} is that number ({@code sun.nio.fs.UnixUserPrincipals.User}, JDK 15 to 25). That is an
 * implementation detail, so it is proven before it is trusted: once per process, the principals the
 * JDK reports for a file's owner and group must hash to exactly the numbers the public {@code
 * unix:uid}/{@code unix:gid} attributes give (as root the file is first given ids no account has,
 * where the system allows; for root itself the test still discriminates, since the name {@code
 * root} does not hash to 0). Only principals of the proven classes are trusted so. If the proof
 * fails (a future JDK), ids are resolved from names, exact names first ({@link UnixAccounts}), and
 * a warning says so.
 */
public final class PeerIds {
    private static final System.Logger LOG = System.getLogger(PeerIds.class.getName());
    /** Ids no account is expected to have, given to the probe file when running as root. */
    private static final int PROBE_UID = 0x7A11_0B1D;

    private static final int PROBE_GID = 0x7A11_0B1E;

    private static volatile @Nullable Boolean hashIsId;
    private static volatile @Nullable Class<?> provenUser;
    private static volatile @Nullable Class<?> provenGroup;

    private PeerIds() {}

    /** The uid of a peer's user principal, or empty if it cannot be known. */
    public static OptionalLong uid(UserPrincipal p, UnixAccounts names) {
        return hashIsId() && p.getClass() == provenUser
                ? OptionalLong.of(Integer.toUnsignedLong(p.hashCode()))
                : names.uid(p.getName());
    }

    /** The gid of a peer's group principal, or empty if it cannot be known. */
    public static OptionalLong gid(GroupPrincipal p, UnixAccounts names) {
        return hashIsId() && p.getClass() == provenGroup
                ? OptionalLong.of(Integer.toUnsignedLong(p.hashCode()))
                : names.gid(p.getName());
    }

    /** Whether principals hash to their ids in this JDK: proven once (see the class comment). */
    public static boolean hashIsId() {
        Boolean b = hashIsId;
        if (b == null) {
            synchronized (PeerIds.class) {
                b = hashIsId;
                if (b == null) {
                    b = prove();
                    hashIsId = b;
                }
            }
        }
        return b;
    }

    private static boolean prove() {
        Path f = null;
        try {
            f = Files.createTempFile(
                    "sharedmap-ids",
                    ".probe",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            PosixFileAttributeView view = Files.getFileAttributeView(f, PosixFileAttributeView.class);
            long uid = ((Number) Files.getAttribute(f, "unix:uid")).longValue();
            if (uid == 0) { // root: give the file numbers no account has, so the JDK's names are digits
                try {
                    Files.setAttribute(f, "unix:uid", PROBE_UID);
                    Files.setAttribute(f, "unix:gid", PROBE_GID);
                } catch (IOException e) { // a user namespace, a root-squashed /tmp: prove with root's own ids
                    LOG.log(System.Logger.Level.DEBUG, "probe file keeps root's ids: " + e);
                }
            }
            long wantUid = ((Number) Files.getAttribute(f, "unix:uid")).longValue();
            long wantGid = ((Number) Files.getAttribute(f, "unix:gid")).longValue();
            PosixFileAttributes a = view.readAttributes();
            boolean ok = Integer.toUnsignedLong(a.owner().hashCode()) == wantUid
                    && Integer.toUnsignedLong(a.group().hashCode()) == wantGid;
            provenUser = a.owner().getClass();
            provenGroup = a.group().getClass();
            if (!ok) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "this JDK's user principals do not carry their ids as expected;"
                                + " peer identities are resolved from user and group names (exact names first)");
            }
            return ok;
        } catch (IOException | RuntimeException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "could not check how this JDK's user principals carry their ids (" + e
                            + "); peer identities are resolved from user and group names (exact names first)");
            return false;
        } finally {
            if (f != null) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // a leftover empty temp file
                }
            }
        }
    }
}
