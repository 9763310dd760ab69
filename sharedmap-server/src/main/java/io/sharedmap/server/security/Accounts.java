package io.sharedmap.server.security;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.os.files.FileModes;
import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.LimitCodec.Amounts;
import io.sharedmap.protocol.LimitCodec.Kind;
import io.sharedmap.protocol.LimitCodec.Principal;
import io.sharedmap.protocol.LimitCodec.Row;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Per-user and per-group limits and usage: keys, bytes (keys + values) and connections, counted as
 * they are taken and given back, never by walking the store (except once, when the store is opened).
 *
 * <p>Model (docs/SECURITY.md): a key's usage is charged to its owner and its group. A change must
 * fit both the user's limits and the group's; what was taken from one is given back when the other
 * refuses. A user with no limits of its own (root excepted) is in the <em>default group</em>, as
 * in the resource-tracking seed, where every user is in the system group until assigned: it gets
 * the {@code default} limits for itself, and is charged to the {@code default-group} too, whose
 * limits bound all such users together. Giving a user limits of its own takes its usage out of the
 * default group; removing them puts it back. A Unix group is limited only when it has limits of its
 * own. Root (uid 0) is never limited, neither as the caller nor as the owner; its usage is still
 * counted (but not in the default group).
 *
 * <p>Concurrency: each principal's usage is guarded by its own monitor. A charge takes a user's
 * monitor, checks and adds; for a member of the default group it takes the default group's
 * monitor inside it (user, then default group) and checks and adds there too; then it releases
 * both and takes its Unix group's monitor alone. So a charge checks and adds atomically and usage
 * never overshoots a limit however many connections race for it. Membership of the default group
 * (whether the user has limits of its own) is read and changed only under the user's monitor, and
 * a change moves the user's whole usage into or out of the default group under both monitors, so
 * the default group's usage is always exactly the sum of its members'. Limits are immutable
 * records in a concurrent map, replaced whole. {@code persistLock} only orders writes of the limits
 * file: it is held across that I/O, but nothing else ever waits for it except another limit
 * change. Where these locks sit among the daemon's: docs/ARCHITECTURE.md, "Lock order" (the one
 * written hierarchy).
 */
public final class Accounts {
    private static final System.Logger LOG = System.getLogger(Accounts.class.getName());
    public static final String LIMITS_FILE = "limits";

    /** One principal's usage; its own monitor guards it (docs/ARCHITECTURE.md, "Lock order"). */
    private static final class Usage {
        @GuardedBy("this")
        long keys;

        @GuardedBy("this")
        long bytes;

        @GuardedBy("this")
        long connections;
    }

    private final @Nullable Path file;
    private final UnixAccounts names;
    private final Map<Principal, Amounts> limits = new ConcurrentHashMap<>();
    private final Map<Long, Usage> users = new ConcurrentHashMap<>();
    private final Map<Long, Usage> groups = new ConcurrentHashMap<>();
    /** The default group's usage: the sum of every user without limits of its own, root excepted. */
    private final Usage defaultGroup = new Usage();

    private final ReentrantLock persistLock = new ReentrantLock();

    private Accounts(@Nullable Path file, UnixAccounts names) {
        this.file = file;
        this.names = names;
    }

    /**
     * Loads the limits file of {@code dataDir} (none: no limits).
     *
     * @throws IOException if it cannot be read or a line is malformed (naming the line)
     */
    public static Accounts open(Path dataDir, UnixAccounts names) throws IOException {
        Accounts a = new Accounts(dataDir.resolve(LIMITS_FILE), names);
        if (Files.exists(a.file)) {
            int n = 0;
            for (String line : Files.readAllLines(a.file, StandardCharsets.UTF_8)) {
                n++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                try {
                    a.parseLine(line.strip());
                } catch (IllegalArgumentException e) {
                    throw new IOException(a.file + " line " + n + ": " + e.getMessage() + " (fix or remove the line)");
                }
            }
        }
        return a;
    }

    /** For tests and in-memory use: no file. */
    public static Accounts inMemory() {
        return new Accounts(null, UnixAccounts.system());
    }

    private void parseLine(String line) {
        String[] f = line.split("\\s+");
        Principal p = Principal.parse(f[0]);
        long keys = LimitCodec.NONE;
        long bytes = LimitCodec.NONE;
        long conns = LimitCodec.NONE;
        for (int i = 1; i < f.length; i++) {
            String[] kv = f[i].split("=", 2);
            long v;
            try {
                v = Long.parseLong(kv.length == 2 ? kv[1] : "");
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + f[i] + "' is not NAME=NUMBER");
            }
            if (v < LimitCodec.NONE) {
                throw new IllegalArgumentException("'" + f[i] + "': a limit is a number >= 0, or -1 for none");
            }
            switch (kv[0]) {
                case "keys" -> keys = v;
                case "bytes" -> bytes = v;
                case "conns" -> conns = v;
                default -> throw new IllegalArgumentException("unknown limit '" + kv[0] + "' (keys, bytes, conns)");
            }
        }
        limits.put(p, new Amounts(keys, bytes, conns));
    }

    // ---- usage ---------------------------------------------------------------------------------

    /** At open: counts one stored key of {@code keyBytes + valueBytes} owned by {@code owner}. */
    public void recount(Owner owner, long bytes) {
        addUser(owner.uidLong(), 1, bytes, 0);
        add(usage(groups, owner.gidLong()), 1, bytes, 0);
    }

    private static Usage usage(Map<Long, Usage> m, long id) {
        return m.computeIfAbsent(id, x -> new Usage());
    }

    private static void add(Usage u, long keys, long bytes, long conns) {
        synchronized (u) {
            u.keys += keys;
            u.bytes += bytes;
            u.connections += conns;
        }
    }

    /**
     * Takes {@code keys} keys and {@code bytes} bytes (either may be negative: given back) for a key
     * owned by {@code owner}, checking the limits unless {@code enforce} is false (root's requests).
     *
     * @throws QuotaExceededException naming the limit, the usage and the request; nothing was taken
     */
    public void charge(Owner owner, long keys, long bytes, boolean enforce) throws QuotaExceededException {
        boolean check = enforce && owner.uid() != 0;
        takeUser(owner.uidLong(), keys, bytes, 0, check);
        try {
            take(
                    usage(groups, owner.gidLong()),
                    keys,
                    bytes,
                    0,
                    check ? limits.get(new Principal(Kind.GROUP, owner.gidLong())) : null,
                    "group",
                    owner.gidLong());
        } catch (QuotaExceededException e) {
            addUser(owner.uidLong(), -keys, -bytes, 0); // give back what the user's side took (the seed's fork example)
            throw e;
        }
    }

    /**
     * Moves a key's usage ({@code keys} keys, {@code bytes} bytes) from owner {@code from} to owner
     * {@code to} (chown): the new user and group are charged (checked against their limits when
     * {@code enforce}) before the old ones are given back; a side that does not change is left alone.
     *
     * @throws QuotaExceededException if the new user or group would go over a limit; nothing moved
     */
    public void move(Owner from, Owner to, long keys, long bytes, boolean enforce) throws QuotaExceededException {
        boolean newUser = from.uid() != to.uid();
        boolean newGroup = from.gid() != to.gid();
        boolean check = enforce && to.uid() != 0;
        if (newUser) {
            takeUser(to.uidLong(), keys, bytes, 0, check);
        }
        if (newGroup) {
            try {
                take(
                        usage(groups, to.gidLong()),
                        keys,
                        bytes,
                        0,
                        check ? limits.get(new Principal(Kind.GROUP, to.gidLong())) : null,
                        "group",
                        to.gidLong());
            } catch (QuotaExceededException e) {
                if (newUser) {
                    addUser(to.uidLong(), -keys, -bytes, 0);
                }
                throw e;
            }
        }
        if (newUser) {
            addUser(from.uidLong(), -keys, -bytes, 0);
        }
        if (newGroup) {
            add(usage(groups, from.gidLong()), -keys, -bytes, 0);
        }
    }

    /** Gives back a deleted key's usage. Never fails. */
    public void release(Owner owner, long keys, long bytes) {
        addUser(owner.uidLong(), -keys, -bytes, 0);
        add(usage(groups, owner.gidLong()), -keys, -bytes, 0);
    }

    /**
     * Takes one connection for {@code c} (its uid and primary gid).
     *
     * @throws QuotaExceededException if the user or group is at its connection limit (root never is)
     */
    public void connect(Caller c) throws QuotaExceededException {
        boolean check = !c.isRoot();
        takeUser(c.uid(), 0, 0, 1, check);
        try {
            take(
                    usage(groups, c.gid()),
                    0,
                    0,
                    1,
                    check ? limits.get(new Principal(Kind.GROUP, c.gid())) : null,
                    "group",
                    c.gid());
        } catch (QuotaExceededException e) {
            addUser(c.uid(), 0, 0, -1);
            throw e;
        }
    }

    public void disconnect(Caller c) {
        addUser(c.uid(), 0, 0, -1);
        add(usage(groups, c.gid()), 0, 0, -1);
    }

    /** Whether {@code uid} is in the default group. Read under the user's monitor (see the class comment). */
    private boolean inDefaultGroup(long uid) {
        return uid != 0 && !limits.containsKey(new Principal(Kind.USER, uid));
    }

    /**
     * Takes from user {@code uid}, and from the default group if it is a member, checking both when
     * {@code check}; if the default group refuses, the user's side is given back before the refusal.
     */
    private void takeUser(long uid, long keys, long bytes, long conns, boolean check) throws QuotaExceededException {
        Usage u = usage(users, uid);
        synchronized (u) {
            take(u, keys, bytes, conns, check ? userLimits(uid) : null, "user", uid);
            if (inDefaultGroup(uid)) {
                try {
                    take(
                            defaultGroup,
                            keys,
                            bytes,
                            conns,
                            check ? limits.get(Principal.DEFAULT_GROUP) : null,
                            "default-group",
                            0);
                } catch (QuotaExceededException e) {
                    add(u, -keys, -bytes, -conns);
                    throw e;
                }
            }
        }
    }

    /** Adds (or, negative, gives back) to user {@code uid}, and to the default group if it is a member. Never fails. */
    private void addUser(long uid, long keys, long bytes, long conns) {
        Usage u = usage(users, uid);
        synchronized (u) {
            add(u, keys, bytes, conns);
            if (inDefaultGroup(uid)) {
                add(defaultGroup, keys, bytes, conns);
            }
        }
    }

    /**
     * The limits that bind {@code uid} as a user: each of its own limits, and the {@code default}'s
     * for every limit it has none of (so {@code limit set user:bob conns=5} leaves bob under the
     * default keys and bytes limits; {@link LimitCodec#UNLIMITED} is how a user is exempted from one).
     * Null when none applies.
     */
    private @Nullable Amounts userLimits(long uid) {
        Amounts own = limits.get(new Principal(Kind.USER, uid));
        Amounts def = limits.get(Principal.DEFAULT);
        if (own == null || def == null) {
            return own != null ? own : def;
        }
        return new Amounts(
                own.keys() != LimitCodec.NONE ? own.keys() : def.keys(),
                own.bytes() != LimitCodec.NONE ? own.bytes() : def.bytes(),
                own.connections() != LimitCodec.NONE ? own.connections() : def.connections());
    }

    private void take(Usage u, long keys, long bytes, long conns, @Nullable Amounts limit, String kind, long id)
            throws QuotaExceededException {
        synchronized (u) {
            if (limit != null) {
                String over = null;
                long lim = 0;
                long used = 0;
                long asked = 0;
                if (keys > 0 && limit.keys() >= 0 && u.keys + keys > limit.keys()) {
                    over = "keys";
                    lim = limit.keys();
                    used = u.keys;
                    asked = keys;
                } else if (bytes > 0 && limit.bytes() >= 0 && u.bytes + bytes > limit.bytes()) {
                    over = "bytes";
                    lim = limit.bytes();
                    used = u.bytes;
                    asked = bytes;
                } else if (conns > 0 && limit.connections() >= 0 && u.connections + conns > limit.connections()) {
                    over = "conns";
                    lim = limit.connections();
                    used = u.connections;
                    asked = conns;
                }
                if (over != null) {
                    Amounts own = kind.equals("user") ? limits.get(new Principal(Kind.USER, id)) : null;
                    String whose = kind.equals("user")
                                    && (own == null
                                            || switch (over) {
                                                        case "keys" -> own.keys();
                                                        case "bytes" -> own.bytes();
                                                        default -> own.connections();
                                                    }
                                                    == LimitCodec.NONE)
                            ? "default "
                            : "";
                    String what = whose + over + " limit: limit " + lim + ", usage " + used + ", this request needs "
                            + asked + " more";
                    throw new QuotaExceededException(() -> switch (kind) { // names looked up later, outside the locks
                                case "user" -> "user " + names.userName(id) + " (uid " + id + ")";
                                case "group" -> "group " + names.groupName(id) + " (gid " + id + ")";
                                default -> "the default group (every user without limits of its own)";
                            }
                            + " is at its " + what);
                }
            }
            u.keys += keys;
            u.bytes += bytes;
            u.connections += conns;
        }
    }

    private static Amounts read(@Nullable Usage u) {
        if (u == null) {
            return Amounts.ZERO;
        }
        synchronized (u) {
            return new Amounts(u.keys, u.bytes, u.connections);
        }
    }

    // ---- limits --------------------------------------------------------------------------------

    /**
     * Sets some limits of {@code p} ({@link LimitCodec#KEEP} leaves one as it is) and persists them
     * before returning.
     *
     * @throws IllegalArgumentException if a value is below -1
     * @throws IOException if the limits file cannot be written (the change is then undone)
     */
    public Row set(Principal p, Amounts change) throws IOException {
        for (long v : new long[] {change.keys(), change.bytes(), change.connections()}) {
            if (v < LimitCodec.KEEP) {
                throw new IllegalArgumentException("limit " + v + " is negative; use unset to remove a limit");
            }
        }
        return update(
                p,
                old -> new Amounts(
                        pick(change.keys(), old.keys()),
                        pick(change.bytes(), old.bytes()),
                        pick(change.connections(), old.connections())));
    }

    /** Removes the limits of {@code p} whose field in {@code which} is non-zero; persists; see {@link #set}. */
    public Row unset(Principal p, Amounts which) throws IOException {
        return update(
                p,
                old -> new Amounts(
                        which.keys() != 0 ? LimitCodec.NONE : old.keys(),
                        which.bytes() != 0 ? LimitCodec.NONE : old.bytes(),
                        which.connections() != 0 ? LimitCodec.NONE : old.connections()));
    }

    private static long pick(long change, long old) {
        return change == LimitCodec.KEEP ? old : change;
    }

    private Row update(Principal p, UnaryOperator<Amounts> f) throws IOException {
        persistLock.lock();
        try {
            Amounts before = limits.get(p);
            Amounts after = f.apply(before != null ? before : Amounts.NONE);
            replaceLimits(p, after.equals(Amounts.NONE) ? null : after);
            try {
                persist();
            } catch (IOException e) {
                replaceLimits(p, before);
                throw e;
            }
            return row(p);
        } finally {
            persistLock.unlock();
        }
    }

    /**
     * Sets (or, with null, removes) the limits of {@code p}. For a user this may change whether it is
     * in the default group: then its whole usage moves out of or into the default group's, under the
     * user's monitor, so no charge of the user sees one membership and counts by the other.
     */
    private void replaceLimits(Principal p, @Nullable Amounts a) {
        assert persistLock.isHeldByCurrentThread() : "limits change in the order they are written";
        if (p.kind() != Kind.USER || p.id() == 0) {
            putOrRemove(p, a);
            return;
        }
        Usage u = usage(users, p.id());
        synchronized (u) {
            boolean was = inDefaultGroup(p.id());
            putOrRemove(p, a);
            boolean is = inDefaultGroup(p.id());
            if (was != is) {
                long sign = is ? 1 : -1;
                add(defaultGroup, sign * u.keys, sign * u.bytes, sign * u.connections);
            }
        }
    }

    private void putOrRemove(Principal p, @Nullable Amounts a) {
        if (a == null) {
            limits.remove(p);
        } else {
            limits.put(p, a);
        }
    }

    private void persist() throws IOException {
        assert persistLock.isHeldByCurrentThread() : "limits are written in the order they change";
        if (file == null) {
            return;
        }
        StringBuilder b = new StringBuilder("# sharedmap limits: written by `sharedmap limit`; -1 = no limit\n");
        for (Map.Entry<Principal, Amounts> e : sorted().entrySet()) {
            Amounts a = e.getValue();
            b.append(e.getKey().wire())
                    .append(" keys=")
                    .append(a.keys())
                    .append(" bytes=")
                    .append(a.bytes())
                    .append(" conns=")
                    .append(a.connections())
                    .append('\n');
        }
        Path tmp = file.resolveSibling(LIMITS_FILE + ".tmp");
        try (FileChannel c = FileModes.openPrivate(tmp)) {
            ByteBuffer buf = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                c.write(buf);
            }
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            d.force(true);
        }
        LOG.log(System.Logger.Level.INFO, "limits changed and saved to " + file);
    }

    private TreeMap<Principal, Amounts> sorted() {
        TreeMap<Principal, Amounts> m = new TreeMap<>(
                Comparator.comparing((Principal p) -> p.kind().code()).thenComparingLong(Principal::id));
        m.putAll(limits);
        return m;
    }

    /**
     * A principal's limits beside its usage. A user's row shows the limits that bind it: its own,
     * and the default's for those it has none of; root's shows none.
     */
    public Row row(Principal p) {
        Amounts lim = p.kind() == Kind.USER ? effectiveUserLimits(p.id()) : limits.getOrDefault(p, Amounts.NONE);
        Amounts used = switch (p.kind()) {
            case USER -> read(users.get(p.id()));
            case GROUP -> read(groups.get(p.id()));
            case DEFAULT -> Amounts.ZERO;
            case DEFAULT_GROUP -> read(defaultGroup);
        };
        return new Row(p, lim, used);
    }

    /** Every principal with limits or usage: the default, the default group, then users, then groups, by id. */
    public List<Row> rows() {
        Set<Principal> all = new HashSet<>(limits.keySet());
        all.add(Principal.DEFAULT);
        all.add(Principal.DEFAULT_GROUP);
        users.keySet().forEach(id -> all.add(new Principal(Kind.USER, id)));
        groups.keySet().forEach(id -> all.add(new Principal(Kind.GROUP, id)));
        List<Row> out = new ArrayList<>();
        all.stream()
                .sorted(Comparator.comparing(Accounts::listingOrder).thenComparingLong(Principal::id))
                .forEach(p -> out.add(row(p)));
        return out;
    }

    private static int listingOrder(Principal p) {
        return switch (p.kind()) {
            case DEFAULT -> 0;
            case DEFAULT_GROUP -> 1;
            case USER -> 2;
            case GROUP -> 3;
        };
    }

    /** The limits that apply to {@code uid} as a user: its own, else the default, else none. */
    public Amounts effectiveUserLimits(long uid) {
        if (uid == 0) {
            return Amounts.NONE;
        }
        Amounts a = userLimits(uid);
        return a != null ? a : Amounts.NONE;
    }
}
