package io.sharedmap.server.security;

import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.LimitCodec.Amounts;
import io.sharedmap.protocol.LimitCodec.Kind;
import io.sharedmap.protocol.LimitCodec.Principal;
import io.sharedmap.protocol.LimitCodec.Row;
import java.io.IOException;
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

/**
 * Per-user and per-group limits and usage: keys, bytes (keys + values) and connections, counted as
 * they are taken and given back, never by walking the store (except once, when the store is opened).
 *
 * <p>Model (docs/SECURITY.md): a key's usage is charged to its owner and its group. A change must
 * fit both the user's limits and the group's; what was taken from one is given back when the other
 * refuses. A user with no limits of its own gets the {@code default} limits. A group is limited only
 * when it has limits of its own. Root (uid 0) is never limited, neither as the caller nor as the
 * owner; its usage is still counted.
 *
 * <p>Concurrency: each principal's usage is guarded by its own monitor, taken alone (a user's, then,
 * after it is released, its group's), so a charge checks and adds atomically and usage never
 * overshoots a limit however many connections race for it. Limits are immutable records in a
 * concurrent map, replaced whole. {@code persistLock} only orders writes of the limits file: it is
 * held across that I/O, but nothing else ever waits for it except another limit change. Callers may
 * hold an engine stripe lock when charging (stripe lock, then a usage monitor; never the reverse).
 */
public final class Accounts {
  private static final System.Logger LOG = System.getLogger(Accounts.class.getName());
  public static final String LIMITS_FILE = "limits";

  private static final class Usage {
    long keys;
    long bytes;
    long connections;
  }

  private final Path file;
  private final UnixAccounts names;
  private final Map<Principal, Amounts> limits = new ConcurrentHashMap<>();
  private final Map<Long, Usage> users = new ConcurrentHashMap<>();
  private final Map<Long, Usage> groups = new ConcurrentHashMap<>();
  private final ReentrantLock persistLock = new ReentrantLock();

  private Accounts(Path file, UnixAccounts names) {
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
    add(usage(users, owner.uidLong()), 1, bytes, 0);
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
    Usage u = usage(users, owner.uidLong());
    take(u, keys, bytes, 0, check ? userLimits(owner.uidLong()) : null, "user", owner.uidLong());
    try {
      take(usage(groups, owner.gidLong()), keys, bytes, 0,
          check ? limits.get(new Principal(Kind.GROUP, owner.gidLong())) : null, "group", owner.gidLong());
    } catch (QuotaExceededException e) {
      add(u, -keys, -bytes, 0); // give back what the user's side took (the seed's fork example)
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
      take(usage(users, to.uidLong()), keys, bytes, 0, check ? userLimits(to.uidLong()) : null, "user", to.uidLong());
    }
    if (newGroup) {
      try {
        take(usage(groups, to.gidLong()), keys, bytes, 0,
            check ? limits.get(new Principal(Kind.GROUP, to.gidLong())) : null, "group", to.gidLong());
      } catch (QuotaExceededException e) {
        if (newUser) {
          add(usage(users, to.uidLong()), -keys, -bytes, 0);
        }
        throw e;
      }
    }
    if (newUser) {
      add(usage(users, from.uidLong()), -keys, -bytes, 0);
    }
    if (newGroup) {
      add(usage(groups, from.gidLong()), -keys, -bytes, 0);
    }
  }

  /** Gives back a deleted key's usage. Never fails. */
  public void release(Owner owner, long keys, long bytes) {
    add(usage(users, owner.uidLong()), -keys, -bytes, 0);
    add(usage(groups, owner.gidLong()), -keys, -bytes, 0);
  }

  /**
   * Takes one connection for {@code c} (its uid and primary gid).
   *
   * @throws QuotaExceededException if the user or group is at its connection limit (root never is)
   */
  public void connect(Caller c) throws QuotaExceededException {
    boolean check = !c.isRoot();
    Usage u = usage(users, c.uid());
    take(u, 0, 0, 1, check ? userLimits(c.uid()) : null, "user", c.uid());
    try {
      take(usage(groups, c.gid()), 0, 0, 1, check ? limits.get(new Principal(Kind.GROUP, c.gid())) : null,
          "group", c.gid());
    } catch (QuotaExceededException e) {
      add(u, 0, 0, -1);
      throw e;
    }
  }

  public void disconnect(Caller c) {
    add(usage(users, c.uid()), 0, 0, -1);
    add(usage(groups, c.gid()), 0, 0, -1);
  }

  private Amounts userLimits(long uid) {
    Amounts own = limits.get(new Principal(Kind.USER, uid));
    return own != null ? own : limits.get(Principal.DEFAULT);
  }

  private void take(Usage u, long keys, long bytes, long conns, Amounts limit, String kind, long id)
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
          String who = kind.equals("user") ? kind + " " + names.userName(id) + " (uid " + id + ")"
              : kind + " " + names.groupName(id) + " (gid " + id + ")";
          String whose = kind.equals("user") && !limits.containsKey(new Principal(Kind.USER, id))
              ? "default " : "";
          throw new QuotaExceededException(who + " is at its " + whose + over + " limit: limit " + lim + ", usage "
              + used + ", this request needs " + asked + " more");
        }
      }
      u.keys += keys;
      u.bytes += bytes;
      u.connections += conns;
    }
  }

  private static Amounts read(Usage u) {
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
    return update(p, old -> new Amounts(pick(change.keys(), old.keys()), pick(change.bytes(), old.bytes()),
        pick(change.connections(), old.connections())));
  }

  /** Removes the limits of {@code p} whose field in {@code which} is non-zero; persists; see {@link #set}. */
  public Row unset(Principal p, Amounts which) throws IOException {
    return update(p, old -> new Amounts(which.keys() != 0 ? LimitCodec.NONE : old.keys(),
        which.bytes() != 0 ? LimitCodec.NONE : old.bytes(),
        which.connections() != 0 ? LimitCodec.NONE : old.connections()));
  }

  private static long pick(long change, long old) {
    return change == LimitCodec.KEEP ? old : change;
  }

  private Row update(Principal p, java.util.function.UnaryOperator<Amounts> f) throws IOException {
    persistLock.lock();
    try {
      Amounts before = limits.get(p);
      Amounts after = f.apply(before != null ? before : Amounts.NONE);
      boolean none = after.equals(Amounts.NONE);
      if (none) {
        limits.remove(p);
      } else {
        limits.put(p, after);
      }
      try {
        persist();
      } catch (IOException e) {
        if (before != null) {
          limits.put(p, before);
        } else {
          limits.remove(p);
        }
        throw e;
      }
      return row(p);
    } finally {
      persistLock.unlock();
    }
  }

  private void persist() throws IOException {
    if (file == null) {
      return;
    }
    StringBuilder b = new StringBuilder("# sharedmap limits: written by `sharedmap limit`; -1 = no limit\n");
    for (Map.Entry<Principal, Amounts> e : sorted().entrySet()) {
      Amounts a = e.getValue();
      b.append(e.getKey().wire()).append(" keys=").append(a.keys()).append(" bytes=").append(a.bytes())
          .append(" conns=").append(a.connections()).append('\n');
    }
    Path tmp = file.resolveSibling(LIMITS_FILE + ".tmp");
    try (FileChannel c = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE), FileModes.PRIVATE_FILE)) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
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
    TreeMap<Principal, Amounts> m = new TreeMap<>(Comparator.comparing((Principal p) -> p.kind().code())
        .thenComparingLong(Principal::id));
    m.putAll(limits);
    return m;
  }

  /** A principal's limits beside its usage. */
  public Row row(Principal p) {
    Amounts lim = limits.getOrDefault(p, Amounts.NONE);
    Amounts used = switch (p.kind()) {
      case USER -> read(users.get(p.id()));
      case GROUP -> read(groups.get(p.id()));
      case DEFAULT -> Amounts.ZERO;
    };
    return new Row(p, lim, used);
  }

  /** Every principal with limits or usage: the default, then users, then groups, by id. */
  public List<Row> rows() {
    Set<Principal> all = new HashSet<>(limits.keySet());
    all.add(Principal.DEFAULT);
    users.keySet().forEach(id -> all.add(new Principal(Kind.USER, id)));
    groups.keySet().forEach(id -> all.add(new Principal(Kind.GROUP, id)));
    List<Row> out = new ArrayList<>();
    all.stream().sorted(Comparator.comparing((Principal p) -> p.kind() == Kind.DEFAULT ? 0 : p.kind().code())
        .thenComparingLong(Principal::id)).forEach(p -> out.add(row(p)));
    return out;
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
