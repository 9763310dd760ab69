package io.sharedmap.os.accounts;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Names and ids of users and groups: {@code /etc/passwd} and {@code /etc/group} (re-read when they
 * change, checked at most once a second), then {@code getent} for names that only a name service
 * (LDAP, sssd) knows. A name made of digits that no account has is taken as the id itself, as
 * chown does (an account may be named {@code 0}: its name is looked up first). Thread-safe.
 */
public final class UnixAccounts {
    private static final UnixAccounts SYSTEM = new UnixAccounts(Path.of("/etc/passwd"), Path.of("/etc/group"));

    private record Account(String name, long id, long primaryGid, List<String> members) {}

    private record Table(@Nullable FileTime stamp, Map<String, Account> byName, Map<Long, Account> byId) {}

    private final Path passwd;
    private final Path group;

    @GuardedBy("this")
    private @Nullable Table users;

    @GuardedBy("this")
    private @Nullable Table groups;

    @GuardedBy("this")
    private long usersCheckedAt;

    @GuardedBy("this")
    private long groupsCheckedAt;
    /**
     * How often the files' modification times are checked: a `keys -l` of 100,000 keys names an owner
     * and a group per line, and each check is a stat(2).
     */
    private static final long RECHECK_NS = 1_000_000_000L;

    private UnixAccounts(Path passwd, Path group) {
        this.passwd = passwd;
        this.group = group;
    }

    /** The machine's accounts: {@code /etc/passwd}, {@code /etc/group}, then {@code getent}. */
    public static UnixAccounts system() {
        return SYSTEM;
    }

    /** The accounts of other files in the formats of {@code /etc/passwd} and {@code /etc/group} (tests). */
    public static UnixAccounts of(Path passwd, Path group) {
        return new UnixAccounts(passwd, group);
    }

    /** The uid of a user name (or a number), if it exists. */
    public OptionalLong uid(String name) {
        return lookup(name, true);
    }

    /** The gid of a group name (or a number), if it exists. */
    public OptionalLong gid(String name) {
        return lookup(name, false);
    }

    /** The primary gid of a user, if known. */
    public OptionalLong primaryGid(long uid) {
        Account a = users().byId.get(uid);
        if (a == null) {
            a = getent("passwd", Long.toString(uid), true);
        }
        return a == null ? OptionalLong.empty() : OptionalLong.of(a.primaryGid);
    }

    /** A user's name, or its uid as digits when it has none. */
    public String userName(long uid) {
        Account a = users().byId.get(uid);
        return a != null ? a.name : Long.toString(uid);
    }

    /** A group's name, or its gid as digits when it has none. */
    public String groupName(long gid) {
        Account a = groups().byId.get(gid);
        return a != null ? a.name : Long.toString(gid);
    }

    /** The groups {@code userName} belongs to: its primary group and every group listing it as a member. */
    public long[] groupsOf(String userName, long primaryGid) {
        List<Long> out = new ArrayList<>();
        out.add(primaryGid);
        for (Account g : groups().byId.values()) {
            if (g.members.contains(userName) && g.id != primaryGid) {
                out.add(g.id);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private OptionalLong lookup(String name, boolean user) {
        Account a = (user ? users() : groups()).byName.get(name);
        if (a == null) {
            a = getent(user ? "passwd" : "group", name, user);
        }
        if (a != null && a.name.equals(name)) {
            return OptionalLong.of(a.id);
        }
        if (!name.isEmpty() && name.length() <= 10 && name.chars().allMatch(c -> c >= '0' && c <= '9')) {
            long id = Long.parseLong(name);
            return id < 0xFFFF_FFFFL ? OptionalLong.of(id) : OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    private synchronized Table users() {
        long now = System.nanoTime();
        if (users == null || now - usersCheckedAt > RECHECK_NS) {
            users = reload(passwd, users, true);
            usersCheckedAt = now;
        }
        return users;
    }

    private synchronized Table groups() {
        long now = System.nanoTime();
        if (groups == null || now - groupsCheckedAt > RECHECK_NS) {
            groups = reload(group, groups, false);
            groupsCheckedAt = now;
        }
        return groups;
    }

    private static Table reload(Path file, @Nullable Table current, boolean user) {
        FileTime stamp;
        try {
            stamp = Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return current != null ? current : new Table(null, Map.of(), Map.of());
        }
        if (current != null && stamp.equals(current.stamp)) {
            return current;
        }
        Map<String, Account> byName = new HashMap<>();
        Map<Long, Account> byId = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                Account a = parse(line, user);
                if (a != null) {
                    byName.putIfAbsent(a.name, a);
                    byId.putIfAbsent(a.id, a);
                }
            }
        } catch (IOException e) {
            return current != null ? current : new Table(null, Map.of(), Map.of());
        }
        return new Table(stamp, byName, byId);
    }

    /** A passwd line {@code name:x:uid:gid:...} or a group line {@code name:x:gid:member,member}. */
    private static @Nullable Account parse(String line, boolean user) {
        if (line.isBlank() || line.startsWith("#")) {
            return null;
        }
        String[] f = line.split(":", -1);
        try {
            if (user && f.length >= 4) {
                return new Account(f[0], Long.parseLong(f[2]), Long.parseLong(f[3]), List.of());
            }
            if (!user && f.length >= 3) {
                List<String> members = f.length >= 4 && !f[3].isEmpty() ? List.of(f[3].split(",")) : List.of();
                return new Account(f[0], Long.parseLong(f[2]), -1, members);
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return null;
    }

    /** Asks the name service through {@code getent DATABASE KEY}; null if it does not know the key. */
    private static @Nullable Account getent(String database, String key, boolean user) {
        if (key.isEmpty() || key.startsWith("-")) {
            return null;
        }
        try {
            Process p = new ProcessBuilder("getent", database, key)
                    .redirectErrorStream(true)
                    .start();
            byte[] out = p.getInputStream().readNBytes(64 * 1024);
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            if (p.exitValue() != 0) {
                return null;
            }
            String line =
                    new String(out, StandardCharsets.UTF_8).lines().findFirst().orElse("");
            return parse(line, user);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
