package io.sharedmap.server;

import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.ScanCodec;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.Entry;
import io.sharedmap.server.engine.JournalFailedException;
import io.sharedmap.server.engine.Results;
import io.sharedmap.server.resp.AsciiNames;
import io.sharedmap.server.resp.RespGlob;
import io.sharedmap.server.resp.RespNumbers;
import io.sharedmap.server.resp.RespOutput;
import io.sharedmap.server.security.Caller;
import io.sharedmap.server.security.Owner;
import io.sharedmap.server.security.PermissionDeniedException;
import io.sharedmap.server.security.RefusedException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The commands of the Redis protocol front door, for one connection: each is a call of the {@link
 * Engine} API with the connection's caller (its SO_PEERCRED identity), exactly as the binary
 * {@link Connection} calls it, so both protocols see the same keys, versions, permissions, quotas
 * and durability.
 *
 * <p>Atomicity: every single-key command is atomic per key. Read-modify-write commands (INCR*,
 * DECR*, APPEND, SETRANGE, GETSET, GETDEL, SET with NX, XX, GET, IFEQ or IFVERSION, SETNX) read the
 * key and write it with {@link Engine#compareAndSet} on the version they read (0: the key must not
 * exist), or delete it at that version, and start again if another writer came first: never a
 * blind read-then-write. MSET, DEL and MGET are a sequence of such single-key steps; MULTI/EXEC,
 * RENAME, RENAMENX, COPY and MSETNX run as transactions ({@link #transact}): atomic on one key, and
 * on several what {@link #commit} says (docs/PROTOCOL.md, "Transactions").
 *
 * <p>Durability: every result's {@code visibleVersion} (reads included: a value still being made
 * durable) is collected into {@link Result#visibleVersion()}, and {@link RespConnection} waits for it
 * before it writes the reply.
 *
 * <p>Not thread-safe: the connection's thread alone uses it.
 */
final class RespCommands {
    private static final System.Logger LOG = System.getLogger(RespCommands.class.getName());
    static final int MAX_KEY_BYTES = FrameDescriptor.MAX_KEY_LENGTH;
    /** Compare-and-set attempts of one read-modify-write before it gives up (only under extreme contention). */
    private static final int MAX_ATTEMPTS = 100_000;
    /**
     * Most bytes one KEYS or MGET reply may hold: the reply is built in the daemon's memory before it
     * is written, so a KEYS * over millions of keys is refused rather than allowed to exhaust it.
     */
    static final long MAX_REPLY_BYTES = 256L << 20;

    /** The Redis command level the front door emulates (INFO's redis_version). */
    static final String REDIS_VERSION = "7.0.0";

    private static final byte[] EMPTY = new byte[0];

    /**
     * What a command left for its connection: the reply, the version it shows, whether to close, and
     * when it ended ({@link System#nanoTime}).
     */
    record Result(RespOutput out, long visibleVersion, boolean close, long finishedNanos) {}

    /** A command's error reply; {@code line} starts with the error code ({@code ERR}, {@code NOPERM}...). */
    private static final class RespError extends Exception {
        private static final long serialVersionUID = 1L;

        RespError(String line) {
            super(line, null, false, false);
        }

        String line() {
            return String.valueOf(getMessage());
        }
    }

    private final SharedMapServer server;
    private final Engine engine;
    private final ServerStats stats;
    private final RespCursors cursors;
    private final Caller caller;
    private final Owner created;
    private final long id;
    private final String peer;
    /** A TCP connection without {@code --resp-tcp-user}: only {@link #ANONYMOUS_ALLOWED}. */
    private final boolean anonymous;

    private final long startedMs = System.currentTimeMillis();

    private int protocol = 2;
    private byte @Nullable [] name;
    private String libName = "";
    private String libVersion = "";
    /** Whether the last command {@link #run} was refused before it ran (not counted as a call). */
    private boolean lastRejected;

    /** The highest visibleVersion of the command being executed. */
    private long visible;

    private boolean close;

    RespCommands(
            SharedMapServer server,
            Engine engine,
            ServerStats stats,
            RespCursors cursors,
            Caller caller,
            Owner created,
            long id,
            String peer,
            boolean anonymous) {
        this.server = server;
        this.engine = engine;
        this.stats = stats;
        this.cursors = cursors;
        this.caller = caller;
        this.created = created;
        this.id = id;
        this.peer = peer;
        this.anonymous = anonymous;
    }

    /**
     * What a TCP connection without an identity ({@code --resp-tcp-user} not given) may do: the
     * connection commands clients send on connect, nothing that touches a key or tells about the
     * daemon (docs/SECURITY.md, "RESP over TCP").
     */
    static final Set<String> ANONYMOUS_ALLOWED =
            Set.of("ping", "echo", "hello", "auth", "select", "client", "command", "quit", "reset");

    private static RespError anonymousRefused(String cmd) {
        return new RespError("NOPERM this TCP connection has no identity (the daemon runs without"
                + " --resp-tcp-user), so it may not use '" + cmd + "': connect to the RESP Unix socket instead");
    }

    /** The protocol replies are encoded in now: 2, or 3 after {@code HELLO 3}. */
    int protocol() {
        return protocol;
    }

    /**
     * Executes one command (or queues it inside MULTI); every failure becomes an error reply, never a
     * dead connection. {@code startedNanos} is when it started ({@link System#nanoTime}); the caller
     * passes the end of the command before it when they run back to back, so a pipeline reads the
     * clock once per command ({@link Result#finishedNanos}: when this one ended).
     */
    Result execute(List<byte[]> args, long startedNanos) {
        visible = 0;
        close = false;
        stats.respCommands.increment();
        String cmd = commandName(args.get(0));
        if (queued != null && !TRANSACTION_CONTROL.contains(cmd)) {
            RespOutput queuedReply = queue(cmd, args);
            return new Result(queuedReply, visible, close, System.nanoTime()); // counted when EXEC runs it
        }
        RespOutput o = run(cmd, args);
        long finishedNanos = System.nanoTime();
        if (!lastRejected) { // a command refused before it ran is a rejected call, not a call (as in Redis)
            stats.respCommandTime(cmd, finishedNanos - startedNanos);
        }
        return new Result(o, visible, close, finishedNanos);
    }

    /**
     * A command's name as the table spells it (lower case): the table's own String when it has the
     * name, found without making one; otherwise the bytes as characters, lower-cased.
     */
    static String commandName(byte[] name) {
        String known = NAMES.find(name);
        return known != null ? known : ascii(name).toLowerCase(Locale.ROOT);
    }

    /** Runs one command now. */
    private RespOutput run(String cmd, List<byte[]> args) {
        RespOutput o = new RespOutput(protocol);
        boolean checked = false;
        String error;
        try {
            check(cmd, args);
            checked = true;
            RespOutput r = dispatch(cmd, args, o);
            lastRejected = false; // after the commands EXEC ran, which set it too
            return r;
        } catch (RespError e) {
            stats.clientErrors.increment();
            error = e.line();
        } catch (PermissionDeniedException e) {
            stats.clientErrors.increment();
            error = "NOPERM " + e.getMessage();
        } catch (RefusedException e) { // over a quota
            stats.clientErrors.increment();
            error = "ERR quota exceeded: " + e.getMessage();
        } catch (JournalFailedException e) {
            stats.serverErrors.increment();
            error = "ERR storage failure, not applied: " + e.getMessage();
        } catch (Engine.SequenceException e) { // unsequenced calls cannot get one
            stats.serverErrors.increment();
            error = "ERR internal error: " + e.getMessage();
        } catch (RuntimeException e) {
            stats.serverErrors.increment();
            LOG.log(System.Logger.Level.ERROR, "internal error executing RESP " + cmd + " for " + peer, e);
            error = "ERR internal error (" + e + "); see the daemon log";
        }
        stats.respCommandError(cmd, !checked);
        lastRejected = !checked;
        return new RespOutput(o.protocol()).error(error);
    }

    /** Refuses, before it runs, a command sharedmap does not have, with the wrong number of arguments, or not allowed. */
    private void check(String cmd, List<byte[]> a) throws RespError {
        CommandSpec spec = COMMANDS.get(cmd);
        if (spec == null) {
            throw new RespError(unknownCommand(a));
        }
        if (anonymous && !ANONYMOUS_ALLOWED.contains(cmd)) {
            throw anonymousRefused(cmd);
        }
        int n = a.size();
        if (spec.arity() > 0 ? n != spec.arity() : n < -spec.arity()) {
            throw wrongArgs(cmd);
        }
    }

    private void see(long version) {
        visible = Math.max(visible, version);
    }

    /** Writes the reply into {@code o} and returns it, or returns another (HELLO and RESET change the protocol). */
    private RespOutput dispatch(String cmd, List<byte[]> a, RespOutput o)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        int n = a.size();
        if (store == engineStore && MULTI_KEY_WRITES.contains(cmd)) {
            List<RespOutput> r = Objects.requireNonNull(transact(List.of(a), Map.of()), "no watches");
            return r.get(0);
        }
        switch (cmd) {
            case "ping" -> {
                if (n > 2) {
                    throw wrongArgs(cmd);
                }
                if (n == 2) {
                    o.bulk(a.get(1));
                } else {
                    o.simple("PONG");
                }
            }
            case "echo" -> o.bulk(a.get(1));
            case "quit" -> {
                o.simple("OK");
                close = true;
            }
            case "reset" -> {
                endTransaction();
                protocol = 2;
                name = null;
                libName = "";
                libVersion = "";
                return new RespOutput(2).simple("RESET"); // in the protocol the connection returns to
            }
            case "hello" -> {
                return hello(a);
            }
            case "multi" -> {
                if (queued != null) {
                    throw new RespError("ERR MULTI calls can not be nested");
                }
                queued = new ArrayList<>();
                queueFailed = false;
                o.simple("OK");
            }
            case "discard" -> {
                if (queued == null) {
                    throw new RespError("ERR DISCARD without MULTI");
                }
                endTransaction();
                o.simple("OK");
            }
            case "watch" -> {
                if (queued != null) {
                    throw new RespError("ERR WATCH inside MULTI is not allowed");
                }
                for (byte[] k : keys(a, 1, 1)) {
                    String name = new String(k, StandardCharsets.ISO_8859_1);
                    if (!watched.containsKey(name)) {
                        Results.Lookup l = engine.get(caller, k);
                        see(l.visibleVersion());
                        watched.put(name, l.entry() == null ? 0 : l.entry().version());
                    }
                }
                o.simple("OK");
            }
            case "unwatch" -> {
                watched.clear();
                o.simple("OK");
            }
            case "exec" -> {
                if (queued == null) {
                    throw new RespError("ERR EXEC without MULTI");
                }
                return exec();
            }
            case "auth" -> {
                if (n > 3) {
                    throw new RespError("ERR syntax error");
                }
                o.simple("OK"); // identity is the kernel's (SO_PEERCRED); see docs/SECURITY.md
            }
            case "select" -> {
                long db = integer(a.get(1));
                if (db != 0) {
                    throw new RespError("ERR DB index is out of range (sharedmap has one keyspace: 0)");
                }
                o.simple("OK");
            }
            case "client" -> client(a, o);
            case "command" -> command(a, o);
            case "config" -> config(a, o);
            case "info" -> info(a, o);
            case "dbsize" -> o.integer(engine.stats().keys());
            case "function" -> function(a, o);
            case "get" -> {
                Entry e = read(key(a.get(1)));
                bulkOrNull(o, e == null ? null : e.value());
            }
            case "set" -> set(a, o);
            case "setnx" -> {
                byte[] k = key(a.get(1));
                Results.Write w = cas(k, 0, value(a.get(2)));
                o.integer(w.outcome() == Results.Outcome.CREATED ? 1 : 0);
            }
            case "getset" -> {
                byte[] k = key(a.get(1));
                byte[] v = value(a.get(2));
                Entry old = update(k, cur -> v);
                bulkOrNull(o, old == null ? null : old.value());
            }
            case "getdel" -> bulkOrNull(o, getDel(key(a.get(1))));
            case "getex" -> {
                byte[] k = key(a.get(1));
                for (int i = 2; i < a.size(); i++) {
                    String opt = ascii(a.get(i)).toUpperCase(Locale.ROOT);
                    switch (opt) {
                        case "PERSIST" -> {} // nothing expires: every key is already persistent
                        case "EX", "PX", "EXAT", "PXAT" ->
                            throw new RespError("ERR GETEX " + opt + " is not supported: sharedmap keys do not expire");
                        default -> throw new RespError("ERR syntax error");
                    }
                }
                Entry e = read(k);
                bulkOrNull(o, e == null ? null : e.value());
            }
            case "sm.getver" -> {
                Entry e = read(key(a.get(1)));
                if (e == null) {
                    o.nullArray();
                } else {
                    o.array(2);
                    o.bulk(value(e));
                    o.integer(e.version());
                }
            }
            case "del", "unlink" -> {
                List<byte[]> keys = keys(a, 1, 1);
                long deleted = 0;
                for (byte[] k : keys) {
                    Results.Write w = store.delete(k, 0);
                    see(w.visibleVersion());
                    if (w.outcome() == Results.Outcome.DELETED) {
                        deleted++;
                    }
                }
                o.integer(deleted);
            }
            case "exists" -> {
                List<byte[]> keys = keys(a, 1, 1);
                long found = 0;
                for (byte[] k : keys) {
                    if (read(k) != null) {
                        found++;
                    }
                }
                o.integer(found);
            }
            case "type" -> o.simple(read(key(a.get(1))) == null ? "none" : "string");
            case "ttl", "pttl" -> o.integer(ttl(read(key(a.get(1))), cmd.equals("pttl")));
            case "persist" -> o.integer(expireAt(key(a.get(1)), 0, List.of()) ? 1 : 0);
            case "expire", "pexpire", "expireat", "pexpireat" -> o.integer(expire(cmd, a) ? 1 : 0);
            case "mget" -> {
                List<byte[]> keys = keys(a, 1, 1);
                List<byte @Nullable []> values = new ArrayList<>(keys.size());
                long bytes = 0;
                for (byte[] k : keys) {
                    Entry e = read(k);
                    values.add(e == null ? null : e.value());
                    bytes += e == null ? 0 : e.valueLength();
                    if (bytes > MAX_REPLY_BYTES) {
                        throw new RespError("ERR MGET of " + keys.size() + " keys would reply more than "
                                + MAX_REPLY_BYTES + " bytes of values; ask for fewer keys at a time");
                    }
                }
                o.array(values.size());
                for (byte[] v : values) {
                    bulkOrNull(o, v);
                }
            }
            case "mset" -> mset(a, o);
            case "msetnx" -> msetnx(a, o);
            case "incr" -> o.integer(incrBy(key(a.get(1)), 1));
            case "decr" -> o.integer(incrBy(key(a.get(1)), -1));
            case "incrby" -> o.integer(incrBy(key(a.get(1)), integer(a.get(2))));
            case "decrby" -> {
                long by = integer(a.get(2));
                if (by == Long.MIN_VALUE) {
                    throw new RespError("ERR decrement would overflow");
                }
                o.integer(incrBy(key(a.get(1)), -by));
            }
            case "incrbyfloat" -> o.bulk(incrByFloat(key(a.get(1)), a.get(2)));
            case "append" -> {
                byte[] k = key(a.get(1));
                byte[] tail = a.get(2);
                long[] length = {0};
                update(k, cur -> {
                    byte[] old = cur == null ? EMPTY : value(cur);
                    checkSize((long) old.length + tail.length);
                    byte[] next = Arrays.copyOf(old, old.length + tail.length);
                    System.arraycopy(tail, 0, next, old.length, tail.length);
                    length[0] = next.length;
                    return next;
                });
                o.integer(length[0]);
            }
            case "strlen" -> {
                Entry e = read(key(a.get(1)));
                o.integer(e == null ? 0 : e.valueLength());
            }
            case "getrange", "substr" -> {
                Entry e = read(key(a.get(1)));
                o.bulk(range(e == null ? EMPTY : value(e), integer(a.get(2)), integer(a.get(3))));
            }
            case "setrange" -> o.integer(setRange(key(a.get(1)), integer(a.get(2)), a.get(3)));
            case "rename" -> rename(a, o, false);
            case "renamenx" -> rename(a, o, true);
            case "copy" -> copy(a, o);
            case "randomkey" -> randomKey(o);
            case "scan" -> scan(a, o);
            case "keys" -> keysCommand(a.get(1), o);
            case "flushdb", "flushall" -> {
                if (n > 2 || n == 2 && !isAny(a.get(1), "sync", "async")) {
                    throw new RespError("ERR syntax error");
                }
                flush();
                o.simple("OK");
            }
            default -> throw new IllegalStateException("command " + cmd + " is in the table but not dispatched");
        }
        return o;
    }

    // ---- transactions: MULTI/EXEC, and the commands that write several keys -------------------

    /**
     * The single-key operations the commands use: the engine for the caller, or, while a transaction
     * runs, a {@link Buffer} of its keys.
     */
    private interface Store {
        Results.Lookup get(byte[] k) throws PermissionDeniedException, RespError;

        Results.Write set(byte[] k, byte[] v)
                throws RefusedException, JournalFailedException, Engine.SequenceException, RespError;

        /** Writes {@code v} if the key's version is {@code expected} (0: absent). */
        Results.Write cas(byte[] k, long expected, byte[] v)
                throws RefusedException, JournalFailedException, Engine.SequenceException, RespError;

        /** Deletes the key if present and, when {@code expected} is not 0, at that version. */
        Results.Write delete(byte[] k, long expected)
                throws RefusedException, JournalFailedException, Engine.SequenceException, RespError;
    }

    private final Store engineStore = new Store() {
        @Override
        public Results.Lookup get(byte[] k) throws PermissionDeniedException {
            return engine.get(caller, k);
        }

        @Override
        public Results.Write set(byte[] k, byte[] v)
                throws RefusedException, JournalFailedException, Engine.SequenceException {
            return engine.set(caller, created, k, v, 0, 0);
        }

        @Override
        public Results.Write cas(byte[] k, long expected, byte[] v)
                throws RefusedException, JournalFailedException, Engine.SequenceException {
            // a read-modify-write (INCR, APPEND, SETRANGE, ...) keeps the key's time to live, as in Redis
            return engine.compareAndSet(caller, created, k, expected, v, Engine.KEEP_DEADLINE, 0, 0);
        }

        @Override
        public Results.Write delete(byte[] k, long expected)
                throws RefusedException, JournalFailedException, Engine.SequenceException {
            return engine.delete(caller, k, expected, 0, 0);
        }
    };

    private Store store = engineStore;

    /** One key of a {@link Buffer}: as read from the engine, and as the commands left it. */
    private static final class Slot {
        final byte[] key;
        final @Nullable Entry original;

        @Nullable
        Entry current;

        boolean changed;

        Slot(byte[] key, @Nullable Entry original) {
            this.key = key;
            this.original = original;
            this.current = original;
        }

        long version() {
            return original == null ? 0 : original.version();
        }
    }

    /**
     * The keys of a transaction while it runs (EXEC, or one RENAME, COPY or MSETNX): each read from
     * the engine once, changed only here by the commands, and written back by {@link #commit} with
     * compare-and-set on the version read (or a delete at it). Versions of the buffer's own changes
     * are counted down from {@link Long#MAX_VALUE}, never a real version.
     */
    private final class Buffer implements Store {
        private final Map<String, Slot> slots = new LinkedHashMap<>();
        private long nextVersion = Long.MAX_VALUE;

        /** Reads {@code k} into the buffer (once; a key sharedmap cannot have is left to its command's error). */
        void load(byte[] k) throws PermissionDeniedException {
            if (k.length == 0 || k.length > MAX_KEY_BYTES) {
                return;
            }
            String name = latin1(k);
            if (!slots.containsKey(name)) {
                Results.Lookup l = engine.get(caller, k);
                see(l.visibleVersion());
                slots.put(name, new Slot(k, l.entry()));
            }
        }

        /** The version {@code name} had when read (0: absent). */
        long versionRead(String name) {
            Slot s = slots.get(name);
            return s == null ? 0 : s.version();
        }

        private Slot slot(byte[] k) throws RespError {
            Slot s = slots.get(latin1(k));
            if (s == null) { // load() read every key the commands name
                throw new RespError("ERR internal error: key '" + printable(k) + "' is not part of the transaction");
            }
            return s;
        }

        @Override
        public Results.Lookup get(byte[] k) throws RespError {
            return new Results.Lookup(slot(k).current, 0);
        }

        @Override
        public Results.Write set(byte[] k, byte[] v) throws RespError {
            Slot s = slot(k);
            boolean existed = s.current != null;
            s.current = new Entry(v, nextVersion--, s.original != null ? s.original.owner() : created);
            s.changed = true;
            return new Results.Write(
                    existed ? Results.Outcome.UPDATED : Results.Outcome.CREATED, s.current.version(), 0);
        }

        @Override
        public Results.Write cas(byte[] k, long expected, byte[] v) throws RespError {
            Slot s = slot(k);
            long now = s.current == null ? 0 : s.current.version();
            return expected != now ? new Results.Write(Results.Outcome.CONFLICT, now, 0) : set(k, v);
        }

        @Override
        public Results.Write delete(byte[] k, long expected) throws RespError {
            Slot s = slot(k);
            Entry e = s.current;
            if (e == null) {
                return new Results.Write(expected == 0 ? Results.Outcome.NOT_FOUND : Results.Outcome.CONFLICT, 0, 0);
            }
            if (expected != 0 && expected != e.version()) {
                return new Results.Write(Results.Outcome.CONFLICT, e.version(), 0);
            }
            s.current = null;
            s.changed = true;
            return new Results.Write(Results.Outcome.DELETED, e.version(), 0);
        }
    }

    /**
     * Writes what the buffer's commands changed, key by key (the keys written first, then the keys
     * deleted), each with compare-and-set on the version the buffer read (a delete at it): true if
     * every write applied. If one finds its key changed by
     * another writer, or is refused (a permission, a quota), the writes already made are undone, each
     * only if its key is still as written, and the conflict (false) or the refusal is returned.
     *
     * <p>With one changed key this is one conditional write: atomic. With several it is not (the
     * engine has no multi-key commit), and what holds is (docs/PROTOCOL.md, "Transactions"): RESP
     * transactions on several keys run one at a time ({@link SharedMapServer#respMultiKeyLock}), so
     * they never interleave with each other; another writer (a single-key command, the binary
     * protocol) is not held back, and its write to one of the keys between the read and the commit
     * makes the commit undo and run again, never lost; but its reads may see the first writes of a
     * commit before the last, and if it writes a key after the commit wrote it and before an undo,
     * that undo is not made (both writers' changes stay, logged). A crash of the daemon between two
     * writes keeps the first.
     */
    private boolean commit(Buffer b)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        List<Slot> done = new ArrayList<>();
        List<Long> written = new ArrayList<>();
        List<Slot> order = new ArrayList<>(); // writes first, then deletes: a RENAME never shows neither name
        for (Slot s : b.slots.values()) {
            if (s.changed && s.current != null) {
                order.add(s);
            }
        }
        for (Slot s : b.slots.values()) {
            if (s.changed && s.current == null && s.original != null) {
                order.add(s);
            }
        }
        try {
            for (Slot s : order) {
                Results.Write w;
                boolean applied;
                if (s.current == null) {
                    w = engine.delete(caller, s.key, s.version(), 0, 0);
                    applied = w.outcome() == Results.Outcome.DELETED;
                } else {
                    w = engine.compareAndSet(caller, created, s.key, s.version(), value(s.current), 0, 0);
                    applied = w.outcome() != Results.Outcome.CONFLICT;
                }
                see(w.visibleVersion());
                if (!applied) {
                    undo(done, written);
                    return false;
                }
                done.add(s);
                written.add(w.version());
            }
            return true;
        } catch (RefusedException | JournalFailedException | Engine.SequenceException | RuntimeException e) {
            undo(done, written);
            throw e;
        }
    }

    /** Puts back the keys a failed {@link #commit} wrote, last first, each only if unchanged since. */
    private void undo(List<Slot> done, List<Long> written) {
        for (int i = done.size() - 1; i >= 0; i--) {
            Slot s = done.get(i);
            long version = written.get(i);
            Entry original = s.original;
            try {
                Results.Write w = original == null
                        ? engine.delete(caller, s.key, version, 0, 0)
                        : engine.compareAndSet(
                                caller,
                                original.owner(),
                                s.key,
                                s.current == null ? 0 : version,
                                value(original),
                                0,
                                0);
                see(w.visibleVersion());
                if (w.outcome() == Results.Outcome.CONFLICT) {
                    LOG.log(
                            System.Logger.Level.INFO,
                            "a multi-key transaction of " + peer + " could not undo its write of '" + printable(s.key)
                                    + "': another client wrote the key since");
                }
            } catch (RefusedException | JournalFailedException | Engine.SequenceException | RuntimeException e) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "a multi-key transaction of " + peer + " could not undo its write of '" + printable(s.key)
                                + "': " + e);
            }
        }
    }

    /**
     * Runs {@code commands} on a buffer of every key they name (and the watched keys), then commits
     * it; again from a fresh read if another writer came first. Returns the replies, or null if a
     * watched key's version is no longer the one WATCH saw.
     */
    private @Nullable List<RespOutput> transact(List<List<byte[]>> commands, Map<String, Long> watches)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        List<byte[]> keys = new ArrayList<>();
        for (List<byte[]> c : commands) {
            keysOf(c, keys);
        }
        Set<String> distinct = new HashSet<>(watches.keySet());
        for (byte[] k : keys) {
            distinct.add(latin1(k));
        }
        for (String w : watches.keySet()) {
            keys.add(w.getBytes(StandardCharsets.ISO_8859_1));
        }
        if (distinct.size() <= 1) {
            return transactOnce(commands, watches, keys);
        }
        ReentrantLock lock = server.respMultiKeyLock();
        lock.lock();
        try {
            return transactOnce(commands, watches, keys);
        } finally {
            lock.unlock();
        }
    }

    private @Nullable List<RespOutput> transactOnce(
            List<List<byte[]>> commands, Map<String, Long> watches, List<byte[]> keys)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Buffer b = new Buffer();
            for (byte[] k : keys) {
                b.load(k);
            }
            for (Map.Entry<String, Long> w : watches.entrySet()) {
                if (b.versionRead(w.getKey()) != w.getValue()) {
                    return null;
                }
            }
            List<RespOutput> replies = new ArrayList<>(commands.size());
            store = b;
            try {
                for (List<byte[]> c : commands) {
                    replies.add(run(commandName(c.get(0)), c));
                }
            } finally {
                store = engineStore;
            }
            if (commit(b)) {
                return replies;
            }
            stats.respTransactionConflicts.increment();
        }
        throw contention(keys.isEmpty() ? EMPTY : keys.get(0));
    }

    /** Adds the keys command {@code c} names (by its table entry) to {@code keys}. */
    private static void keysOf(List<byte[]> c, List<byte[]> keys) {
        CommandSpec spec = COMMANDS.get(commandName(c.get(0)));
        if (spec == null || spec.firstKey() == 0) {
            return;
        }
        int last = spec.lastKey() < 0 ? c.size() + spec.lastKey() : spec.lastKey();
        for (int i = spec.firstKey(); i <= last && i < c.size(); i += spec.step()) {
            keys.add(c.get(i));
        }
    }

    /** Commands that write several keys: outside a transaction, each runs as one (see {@link #transact}). */
    private static final Set<String> MULTI_KEY_WRITES = Set.of("rename", "renamenx", "copy", "msetnx");

    /** Commands that act at once inside MULTI instead of being queued. */
    private static final Set<String> TRANSACTION_CONTROL =
            Set.of("multi", "exec", "discard", "watch", "unwatch", "quit", "reset");

    /** Commands without keys that a transaction may hold. */
    private static final Set<String> TRANSACTION_KEYLESS = Set.of("ping", "echo");

    /** The commands queued since MULTI; null outside a transaction. */
    private @Nullable List<List<byte[]>> queued;

    private boolean queueFailed;
    /** Watched keys (Latin-1 of their bytes) and the version each had when watched (0: absent). */
    private final Map<String, Long> watched = new LinkedHashMap<>();

    private void endTransaction() {
        queued = null;
        queueFailed = false;
        watched.clear();
    }

    /**
     * Inside MULTI: checks the command and queues it ({@code +QUEUED}), or answers why it cannot be
     * queued, which makes EXEC discard the transaction (as Redis does).
     */
    private RespOutput queue(String cmd, List<byte[]> a) {
        RespOutput o = new RespOutput(protocol);
        CommandSpec spec = COMMANDS.get(cmd);
        String error = null;
        if (spec == null) {
            error = unknownCommand(a);
        } else if (anonymous && !ANONYMOUS_ALLOWED.contains(cmd)) {
            error = anonymousRefused(cmd).line();
        } else if (spec.arity() > 0 ? a.size() != spec.arity() : a.size() < -spec.arity()) {
            error = "ERR wrong number of arguments for '" + cmd + "' command";
        } else if (cmd.equals("sm.getver")) {
            error = "ERR 'sm.getver' cannot be part of a transaction: the versions of its own writes are known"
                    + " only after EXEC";
        } else if (spec.firstKey() == 0 && !TRANSACTION_KEYLESS.contains(cmd)) {
            error = "ERR '" + cmd + "' cannot be part of a transaction: sharedmap's MULTI/EXEC takes commands on"
                    + " keys (and PING, ECHO)";
        }
        if (error != null) {
            queueFailed = true;
            stats.clientErrors.increment();
            return o.error(error);
        }
        Objects.requireNonNull(queued, "inside MULTI").add(a);
        return o.simple("QUEUED");
    }

    /**
     * EXEC: reads every key the transaction names or watches, aborts (a null reply) if a watched
     * one changed since WATCH, runs the queued commands on a buffer of them, and writes what they
     * changed back with compare-and-set on the versions read ({@link #commit}). If another writer
     * came first, a transaction with watched keys aborts if one of them changed, and otherwise
     * runs again from a fresh read. On one key the commands take effect together, at one point, or
     * not at all; on several, see {@link #commit}.
     */
    private RespOutput exec() throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        List<List<byte[]>> commands = Objects.requireNonNull(queued, "inside MULTI");
        boolean failed = queueFailed;
        Map<String, Long> watches = new LinkedHashMap<>(watched);
        endTransaction();
        if (failed) {
            throw new RespError("EXECABORT Transaction discarded because of previous errors.");
        }
        RespOutput o = new RespOutput(protocol);
        List<RespOutput> replies = transact(commands, watches);
        if (replies == null) {
            return o.nullArray();
        }
        o.array(replies.size());
        for (RespOutput r : replies) {
            o.append(r);
        }
        return o;
    }

    // ---- keys: RENAME, COPY, RANDOMKEY ----------------------------------------------------------

    /** RENAME (OK) and RENAMENX (1, or 0 if the new name exists): the value under the new name, the old name deleted. */
    private void rename(List<byte[]> a, RespOutput o, boolean nx)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        byte[] from = key(a.get(1));
        byte[] to = key(a.get(2));
        Entry e = read(from);
        if (e == null) {
            throw new RespError("ERR no such key");
        }
        if (Arrays.equals(from, to)) {
            if (nx) {
                o.integer(0);
            } else {
                o.simple("OK");
            }
            return;
        }
        if (nx && read(to) != null) {
            o.integer(0);
            return;
        }
        see(store.set(to, value(e)).visibleVersion());
        see(store.delete(from, 0).visibleVersion());
        if (nx) {
            o.integer(1);
        } else {
            o.simple("OK");
        }
    }

    /** COPY source destination [DB 0] [REPLACE]: 1 if copied, 0 if there was nothing to copy or the destination exists. */
    private void copy(List<byte[]> a, RespOutput o)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        byte[] from = key(a.get(1));
        byte[] to = key(a.get(2));
        boolean replace = false;
        for (int i = 3; i < a.size(); i++) {
            if (isAny(a.get(i), "replace")) {
                replace = true;
            } else if (isAny(a.get(i), "db") && i + 1 < a.size()) {
                if (integer(a.get(++i)) != 0) {
                    throw new RespError("ERR DB index is out of range (sharedmap has one keyspace: 0)");
                }
            } else {
                throw new RespError("ERR syntax error");
            }
        }
        if (Arrays.equals(from, to)) {
            throw new RespError("ERR source and destination objects are the same");
        }
        Entry e = read(from);
        if (e == null || !replace && read(to) != null) {
            o.integer(0);
            return;
        }
        see(store.set(to, value(e)).visibleVersion());
        o.integer(1);
    }

    /** RANDOMKEY walks at most this many keys to choose uniformly; beyond, it starts at a random point. */
    private static final int RANDOM_KEY_WALK = 4096;

    /**
     * RANDOMKEY: a key the caller may read. Uniform among them when the caller sees at most {@value
     * #RANDOM_KEY_WALK} keys; otherwise the first key after a random point of the key order (from
     * the start again past the last), which is not uniform: a key after a long gap is likelier.
     */
    private void randomKey(RespOutput o) {
        List<byte[]> first = new ArrayList<>();
        byte[] cursor = EMPTY;
        while (first.size() <= RANDOM_KEY_WALK) {
            Results.ScanPage page =
                    engine.scan(caller, EMPTY, cursor, 1024, FrameDescriptor.SCAN_PAGE_BYTES, ScanCodec.ENTRY_OVERHEAD);
            see(page.visibleVersion());
            for (Results.ScannedKey k : page.keys()) {
                first.add(k.key());
            }
            if (page.nextCursor().length == 0) {
                if (first.isEmpty()) {
                    o.nullBulk();
                } else {
                    o.bulk(first.get(ThreadLocalRandom.current().nextInt(first.size())));
                }
                return;
            }
            cursor = page.nextCursor();
        }
        byte[] start = new byte[1 + ThreadLocalRandom.current().nextInt(8)];
        ThreadLocalRandom.current().nextBytes(start);
        for (byte[] after : List.of(start, EMPTY)) {
            cursor = after;
            while (true) {
                Results.ScanPage page = engine.scan(
                        caller, EMPTY, cursor, 64, FrameDescriptor.SCAN_PAGE_BYTES, ScanCodec.ENTRY_OVERHEAD);
                see(page.visibleVersion());
                if (!page.keys().isEmpty()) {
                    o.bulk(page.keys().get(0).key());
                    return;
                }
                if (page.nextCursor().length == 0) {
                    break;
                }
                cursor = page.nextCursor();
            }
        }
        o.nullBulk();
    }

    // ---- connection ------------------------------------------------------------------------

    /** HELLO answers in the protocol it chose. */
    private RespOutput hello(List<byte[]> a) throws RespError {
        int proto = protocol;
        int i = 1;
        if (a.size() > 1) {
            long v = RespNumbers.parseLong(a.get(1), 0, a.get(1).length, -1);
            if (v == -1 && !"-1".equals(ascii(a.get(1)))) {
                throw new RespError("ERR Protocol version is not an integer or out of range");
            }
            if (v != 2 && v != 3) {
                throw new RespError("NOPROTO unsupported protocol version");
            }
            proto = (int) v;
            i = 2;
        }
        byte[] newName = name;
        for (; i < a.size(); i++) {
            String opt = ascii(a.get(i)).toLowerCase(Locale.ROOT);
            if (opt.equals("auth") && i + 2 < a.size()) {
                i += 2; // accepted; identity is the kernel's
            } else if (opt.equals("setname") && i + 1 < a.size()) {
                newName = clientName(a.get(++i));
            } else {
                throw new RespError("ERR Syntax error in HELLO option '" + ascii(a.get(i)) + "'");
            }
        }
        protocol = proto;
        name = newName;
        RespOutput r = new RespOutput(proto);
        r.map(7);
        r.bulk("server").bulk("sharedmap");
        r.bulk("version").bulk(SharedMapServer.VERSION);
        r.bulk("proto").integer(proto);
        r.bulk("id").integer(id);
        r.bulk("mode").bulk("standalone");
        r.bulk("role").bulk("master");
        r.bulk("modules").array(0);
        return r;
    }

    /**
     * FUNCTION: sharedmap runs no code of its clients, so there are no libraries: LIST is empty,
     * FLUSH has nothing to delete (OK, as Redis answers on a server without functions), and LOAD,
     * DELETE, RESTORE... say why they cannot be.
     */
    private static void function(List<byte[]> a, RespOutput o) throws RespError {
        String sub = ascii(a.get(1)).toLowerCase(Locale.ROOT);
        switch (sub) {
            case "flush" -> {
                if (a.size() > 3 || a.size() == 3 && !isAny(a.get(2), "sync", "async")) {
                    throw new RespError("ERR syntax error");
                }
                o.simple("OK");
            }
            case "list" -> o.array(0);
            default ->
                throw new RespError("ERR FUNCTION " + truncate(ascii(a.get(1))).toUpperCase(Locale.ROOT)
                        + " is not supported: sharedmap runs no server-side code (it has no functions or scripts)");
        }
    }

    private void client(List<byte[]> a, RespOutput o) throws RespError {
        String sub = ascii(a.get(1)).toLowerCase(Locale.ROOT);
        int n = a.size();
        switch (sub) {
            case "id" -> {
                arity("client|id", n, 2);
                o.integer(id);
            }
            case "setname" -> {
                arity("client|setname", n, 3);
                byte[] v = clientName(a.get(2));
                name = v.length == 0 ? null : v;
                o.simple("OK");
            }
            case "getname" -> {
                arity("client|getname", n, 2);
                bulkOrNull(o, name);
            }
            case "setinfo" -> {
                arity("client|setinfo", n, 4);
                String attr = ascii(a.get(2)).toLowerCase(Locale.ROOT);
                String v = ascii(a.get(3));
                if (v.chars().anyMatch(c -> c <= ' ' || c > '~')) {
                    throw new RespError("ERR " + attr + " cannot contain spaces, newlines or special characters.");
                }
                switch (attr) {
                    case "lib-name" -> libName = v;
                    case "lib-ver" -> libVersion = v;
                    default -> throw new RespError("ERR Unrecognized option '" + ascii(a.get(2)) + "'");
                }
                o.simple("OK");
            }
            case "info" -> {
                arity("client|info", n, 2);
                o.bulk(clientLine() + "\n");
            }
            case "list" -> o.bulk(clientLine() + "\n"); // only this connection: others are other users' business
            case "help" -> {
                String[] lines = {
                    "CLIENT <subcommand> [<arg> ...]. Subcommands are:",
                    "ID, SETNAME <name>, GETNAME, SETINFO <LIB-NAME|LIB-VER> <value>, INFO, LIST (this connection only)",
                };
                o.array(lines.length);
                for (String l : lines) {
                    o.simple(l);
                }
            }
            default ->
                throw new RespError("ERR unknown subcommand '" + truncate(ascii(a.get(1))) + "'. Try CLIENT HELP.");
        }
    }

    private String clientLine() {
        UnixAccounts names = UnixAccounts.system();
        return "id=" + id + " addr=" + server.respSocketName() + ":0 laddr=" + server.respSocketName()
                + ":0 fd=-1 name=" + (name == null ? "" : ascii(name)) + " age="
                + (System.currentTimeMillis() - startedMs) / 1000 + " idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1"
                + " resp=" + protocol + " lib-name=" + libName + " lib-ver=" + libVersion
                + " user=" + names.userName(caller.uid()) + " uid=" + caller.uid() + " gid=" + caller.gid();
    }

    private static byte[] clientName(byte[] v) throws RespError {
        for (byte b : v) {
            if (b <= ' ' || b > '~') {
                throw new RespError("ERR Client names cannot contain spaces, newlines or special characters.");
            }
        }
        return v;
    }

    private void command(List<byte[]> a, RespOutput o) throws RespError {
        if (a.size() == 1) {
            o.array(COMMANDS.size());
            for (CommandSpec s : COMMANDS.values()) {
                commandInfo(o, s);
            }
            return;
        }
        String sub = ascii(a.get(1)).toLowerCase(Locale.ROOT);
        switch (sub) {
            case "count" -> o.integer(COMMANDS.size());
            case "list" -> {
                o.array(COMMANDS.size());
                for (String c : COMMANDS.keySet()) {
                    o.bulk(c);
                }
            }
            case "info" -> {
                List<CommandSpec> specs = new ArrayList<>();
                List<Boolean> known = new ArrayList<>();
                if (a.size() == 2) {
                    specs.addAll(COMMANDS.values());
                } else {
                    for (int i = 2; i < a.size(); i++) {
                        CommandSpec s = COMMANDS.get(ascii(a.get(i)).toLowerCase(Locale.ROOT));
                        if (s != null) {
                            specs.add(s);
                        }
                        known.add(s != null);
                    }
                }
                if (a.size() == 2) {
                    o.array(specs.size());
                    for (CommandSpec s : specs) {
                        commandInfo(o, s);
                    }
                    return;
                }
                o.array(known.size());
                int next = 0;
                for (boolean k : known) {
                    if (k) {
                        commandInfo(o, specs.get(next++));
                    } else {
                        o.nullArray();
                    }
                }
            }
            case "docs" -> {
                List<CommandSpec> specs = new ArrayList<>();
                if (a.size() == 2) {
                    specs.addAll(COMMANDS.values());
                } else {
                    for (int i = 2; i < a.size(); i++) {
                        CommandSpec s = COMMANDS.get(ascii(a.get(i)).toLowerCase(Locale.ROOT));
                        if (s != null) {
                            specs.add(s);
                        }
                    }
                }
                o.map(specs.size());
                for (CommandSpec s : specs) {
                    o.bulk(s.name());
                    o.map(3);
                    o.bulk("summary").bulk(s.summary());
                    o.bulk("since").bulk("1.0.0");
                    o.bulk("group").bulk(s.group());
                }
            }
            default ->
                throw new RespError("ERR unknown subcommand '" + truncate(ascii(a.get(1))) + "'. Try COMMAND HELP.");
        }
    }

    /** One COMMAND INFO entry, Redis 7's ten fields. */
    private static void commandInfo(RespOutput o, CommandSpec s) {
        o.array(10);
        o.bulk(s.name());
        o.integer(s.arity());
        o.set(s.flags().length);
        for (String f : s.flags()) {
            o.simple(f);
        }
        o.integer(s.firstKey()).integer(s.lastKey()).integer(s.step());
        o.set(1).simple("@" + s.group());
        o.array(0); // tips
        o.array(0); // key specifications
        o.array(0); // subcommands
    }

    private void config(List<byte[]> a, RespOutput o) throws RespError {
        String sub = ascii(a.get(1)).toLowerCase(Locale.ROOT);
        switch (sub) {
            case "get" -> {
                if (a.size() < 3) {
                    throw wrongArgs("config|get");
                }
                Map<String, String> all = configValues();
                Map<String, String> found = new LinkedHashMap<>();
                for (int i = 2; i < a.size(); i++) {
                    byte[] pattern = ascii(a.get(i)).toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
                    for (Map.Entry<String, String> e : all.entrySet()) {
                        if (RespGlob.matches(pattern, e.getKey().getBytes(StandardCharsets.US_ASCII))) {
                            found.put(e.getKey(), e.getValue());
                        }
                    }
                }
                o.map(found.size());
                for (Map.Entry<String, String> e : found.entrySet()) {
                    o.bulk(e.getKey()).bulk(e.getValue());
                }
            }
            case "set", "rewrite", "resetstat" ->
                throw new RespError("ERR CONFIG " + sub.toUpperCase(Locale.ROOT)
                        + " is not supported: sharedmap's settings are the daemon's command-line options"
                        + " (docs/OPERATIONS.md)");
            default ->
                throw new RespError("ERR unknown subcommand '" + truncate(ascii(a.get(1))) + "'. Try CONFIG HELP.");
        }
    }

    /** The settings that exist, under Redis's names where Redis has one, and sharedmap's own. */
    private Map<String, String> configValues() {
        ServerConfig c = server.config();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("save", ""); // no RDB snapshots: the journal is the durable record
        m.put("appendonly", "yes");
        m.put(
                "appendfsync",
                switch (c.durability()) {
                    case ALWAYS -> "always";
                    case INTERVAL -> "everysec";
                    case NEVER -> "no";
                });
        m.put("databases", "1");
        m.put("maxclients", Integer.toString(c.maxConnections()));
        m.put("proto-max-bulk-len", Integer.toString(c.maxValueBytes()));
        m.put("timeout", "0");
        m.put("maxmemory", "0");
        m.put("durability", c.durability().toString());
        m.put("fsync-interval-ms", Integer.toString(c.fsyncIntervalMs()));
        m.put("max-value-bytes", Integer.toString(c.maxValueBytes()));
        m.put("max-connections", Integer.toString(c.maxConnections()));
        m.put("stall-timeout-ms", Integer.toString(c.stallTimeoutMs()));
        return m;
    }

    private void info(List<byte[]> a, RespOutput o) {
        List<String> wanted = new ArrayList<>();
        for (int i = 1; i < a.size(); i++) {
            wanted.add(ascii(a.get(i)).toLowerCase(Locale.ROOT));
        }
        // Redis: no section or "default" is every section but commandstats; "all" and "everything" add it
        boolean every = wanted.contains("all") || wanted.contains("everything");
        boolean all = wanted.isEmpty() || every || wanted.contains("default");
        Map<String, String> s = server.statsSnapshot();
        StringBuilder b = new StringBuilder();
        if (all || wanted.contains("server")) {
            b.append("# Server\r\n")
                    .append("redis_version:")
                    .append(REDIS_VERSION)
                    .append("\r\n")
                    .append("server_name:sharedmap\r\n")
                    .append("sharedmap_version:")
                    .append(SharedMapServer.VERSION)
                    .append("\r\n")
                    .append("redis_mode:standalone\r\n")
                    .append("os:Linux\r\n")
                    .append("process_id:")
                    .append(s.get("pid"))
                    .append("\r\n")
                    .append("tcp_port:")
                    .append(Math.max(0, server.respTcpPort()))
                    .append("\r\n")
                    .append("unix_socket:")
                    .append(server.respSocketName())
                    .append("\r\n")
                    .append("uptime_in_seconds:")
                    .append(Long.parseLong(s.getOrDefault("uptime_ms", "0")) / 1000)
                    .append("\r\n\r\n");
        }
        if (all || wanted.contains("clients")) {
            b.append("# Clients\r\n")
                    .append("connected_clients:")
                    .append(s.get("connections"))
                    .append("\r\n")
                    .append("maxclients:")
                    .append(s.get("max_connections"))
                    .append("\r\n\r\n");
        }
        if (all || wanted.contains("memory")) {
            Runtime rt = Runtime.getRuntime();
            long heap = rt.totalMemory() - rt.freeMemory();
            b.append("# Memory\r\n")
                    .append("used_memory:")
                    .append(heap)
                    .append("\r\nused_memory_human:")
                    .append(String.format(Locale.ROOT, "%.2fM", heap / 1048576.0))
                    .append("\r\nused_memory_rss:")
                    .append(ProcessUsage.rssBytes())
                    .append("\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\nmem_allocator:jvm\r\n")
                    .append("store_chunk_bytes:")
                    .append(s.get("store_chunk_bytes"))
                    .append("\r\n\r\n");
        }
        if (all || wanted.contains("persistence")) {
            b.append("# Persistence\r\n")
                    .append("loading:0\r\n")
                    .append("aof_enabled:1\r\n")
                    .append("rdb_bgsave_in_progress:0\r\n")
                    .append("durability:")
                    .append(s.get("durability"))
                    .append("\r\n\r\n");
        }
        if (all || wanted.contains("stats")) {
            b.append("# Stats\r\n")
                    .append("total_connections_received:")
                    .append(s.get("connections_total"))
                    .append("\r\n")
                    .append("rejected_connections:")
                    .append(s.get("connections_rejected"))
                    .append("\r\n")
                    .append("total_resp_commands_processed:")
                    .append(s.get("resp_commands"))
                    .append("\r\n\r\n");
        }
        if (all || wanted.contains("replication")) {
            b.append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n\r\n");
        }
        if (all || wanted.contains("cpu")) {
            ProcessUsage.Cpu cpu = ProcessUsage.cpu();
            b.append("# CPU\r\n")
                    .append(String.format(
                            Locale.ROOT,
                            "used_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\nused_cpu_sys_children:%.6f\r\n"
                                    + "used_cpu_user_children:%.6f\r\n\r\n",
                            cpu.system(),
                            cpu.user(),
                            cpu.childrenSystem(),
                            cpu.childrenUser()));
        }
        if (every || wanted.contains("commandstats")) {
            b.append("# Commandstats\r\n");
            HistogramSnapshot times = stats.respCommandSeconds.collect();
            for (HistogramSnapshot.HistogramDataPointSnapshot d : times.getDataPoints()) {
                String c = d.getLabels().get("command");
                ServerStats.RespCommandStats counts = c == null ? null : stats.respCommandStats(c);
                if (counts == null
                        || d.getCount()
                                        + counts.rejected().sum()
                                        + counts.failed().sum()
                                == 0) {
                    continue; // never called
                }
                long usec = Math.round(d.getSum() * 1e6);
                b.append("cmdstat_")
                        .append(c)
                        .append(":calls=")
                        .append(d.getCount())
                        .append(",usec=")
                        .append(usec)
                        .append(",usec_per_call=")
                        .append(String.format(
                                Locale.ROOT, "%.2f", d.getCount() == 0 ? 0.0 : (double) usec / d.getCount()))
                        .append(",rejected_calls=")
                        .append(counts.rejected().sum())
                        .append(",failed_calls=")
                        .append(counts.failed().sum())
                        .append("\r\n");
            }
            b.append("\r\n");
        }
        if (all || wanted.contains("keyspace")) {
            b.append("# Keyspace\r\n");
            long keys = engine.stats().keys();
            if (keys > 0) {
                b.append("db0:keys=").append(keys).append(",expires=0,avg_ttl=0\r\n");
            }
            b.append("\r\n");
        }
        if (all || wanted.contains("quotas")) { // the caller's own limits and usage, as `sharedmap limit show`
            LimitCodec.Row row = engine.accounts().row(new LimitCodec.Principal(LimitCodec.Kind.USER, caller.uid()));
            b.append("# Quotas\r\n")
                    .append("quota_user:")
                    .append(UnixAccounts.system().userName(caller.uid()))
                    .append("\r\n");
            String[] names = {"keys", "bytes", "connections"};
            long[] used = {row.usage().keys(), row.usage().bytes(), row.usage().connections()};
            long[] limit = {
                row.limits().keys(), row.limits().bytes(), row.limits().connections()
            };
            for (int i = 0; i < names.length; i++) {
                b.append("quota_")
                        .append(names[i])
                        .append("_used:")
                        .append(used[i])
                        .append("\r\nquota_")
                        .append(names[i])
                        .append("_limit:")
                        .append(limit[i] == LimitCodec.NONE ? "unlimited" : Long.toString(limit[i]))
                        .append("\r\n");
            }
            b.append("\r\n");
        }
        if (all || wanted.contains("sharedmap")) {
            b.append("# Sharedmap\r\n");
            for (Map.Entry<String, String> e : s.entrySet()) {
                b.append(e.getKey())
                        .append(':')
                        .append(e.getValue().replace('\r', ' ').replace('\n', ' '))
                        .append("\r\n");
            }
        }
        String text = b.toString();
        if (text.endsWith("\r\n\r\n")) {
            text = text.substring(0, text.length() - 2);
        }
        o.bulk(text);
    }

    // ---- strings -----------------------------------------------------------------------------

    private void set(List<byte[]> a, RespOutput o)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        byte[] k = key(a.get(1));
        byte[] v = value(a.get(2));
        boolean nx = false;
        boolean xx = false;
        boolean get = false;
        byte[] ifeq = null;
        Long ifVersion = null;
        long deadline = 0;
        for (int i = 3; i < a.size(); i++) {
            String opt = ascii(a.get(i)).toUpperCase(Locale.ROOT);
            switch (opt) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "GET" -> get = true;
                case "IFEQ" -> { // Valkey 8.1's: set only if the current value is this one
                    if (i + 1 >= a.size() || ifeq != null) {
                        throw new RespError("ERR syntax error");
                    }
                    ifeq = a.get(++i);
                }
                case "IFVERSION" -> { // sharedmap's: set only if the key's version is this one (0: absent)
                    if (i + 1 >= a.size() || ifVersion != null) {
                        throw new RespError("ERR syntax error");
                    }
                    ifVersion = integer(a.get(++i));
                    if (ifVersion < 0) {
                        throw new RespError("ERR IFVERSION must be 0 (absent) or a version SM.GETVER gave");
                    }
                }
                case "KEEPTTL" -> {
                    if (deadline != 0) {
                        throw new RespError("ERR syntax error");
                    }
                    deadline = Engine.KEEP_DEADLINE;
                }
                case "EX", "PX", "EXAT", "PXAT" -> {
                    if (deadline != 0 || i + 1 == a.size()) {
                        throw new RespError("ERR syntax error");
                    }
                    deadline = deadline(opt.toLowerCase(Locale.ROOT), a.get(++i), "set");
                }
                default -> throw new RespError("ERR syntax error");
            }
        }
        if (nx && xx || (nx || xx) && (ifeq != null || ifVersion != null)) {
            throw new RespError("ERR syntax error");
        }
        boolean conditional = ifeq != null || ifVersion != null;
        if (deadline != 0 && (nx || xx || get || conditional || store != engineStore)) {
            throw new RespError("ERR sharedmap's SET takes EX, PX, EXAT, PXAT and KEEPTTL without NX, XX, GET, IFEQ"
                    + " or IFVERSION, and not inside MULTI");
        }
        if (deadline != 0) {
            Results.Write w = engine.set(caller, created, k, v, deadline, 0, 0);
            see(w.visibleVersion());
            o.simple("OK");
            return;
        }
        if (!nx && !xx && !get && !conditional) {
            Results.Write w = store.set(k, v);
            see(w.visibleVersion());
            o.simple("OK");
            return;
        }
        if ((nx || ifVersion != null) && !get && ifeq == null) { // one compare-and-set, no read
            Results.Write w = cas(k, ifVersion == null ? 0 : ifVersion, v);
            if (w.outcome() != Results.Outcome.CONFLICT) {
                o.simple("OK");
            } else {
                o.nullBulk();
            }
            return;
        }
        boolean onlyIfAbsent = nx;
        boolean onlyIfPresent = xx;
        byte[] expectedValue = ifeq;
        Long expectedVersion = ifVersion;
        boolean[] applied = {false};
        Entry old = update(k, cur -> {
            if (onlyIfAbsent && cur != null
                    || onlyIfPresent && cur == null
                    || expectedValue != null && (cur == null || !Arrays.equals(value(cur), expectedValue))
                    || expectedVersion != null && (cur == null ? 0 : cur.version()) != expectedVersion) {
                applied[0] = false;
                return null;
            }
            applied[0] = true;
            return v;
        });
        if (get) {
            bulkOrNull(o, old == null ? null : old.value());
        } else if (applied[0]) {
            o.simple("OK");
        } else {
            o.nullBulk();
        }
    }

    // ---- expiry: TTL, PTTL, PERSIST, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT --------------------------

    /** TTL (seconds, rounded as Redis does) or PTTL of an entry: -2 absent, -1 no deadline. */
    private long ttl(@Nullable Entry e, boolean millis) {
        if (e == null) {
            return -2;
        }
        if (e.deadline() == 0) {
            return -1;
        }
        long left = Math.max(0, e.deadline() - System.currentTimeMillis());
        return millis ? left : (left + 500) / 1000;
    }

    /**
     * The deadline, Unix epoch milliseconds, that option or command {@code unit} ({@code ex}, {@code
     * px}, {@code exat}, {@code pxat}, or the EXPIRE family's names) gives with {@code arg}.
     */
    private static long deadline(String unit, byte[] arg, String command) throws RespError {
        Long n = RespNumbers.parseLong(arg);
        if (n == null) {
            throw new RespError("ERR value is not an integer or out of range");
        }
        if (unit.equals("ex") || unit.equals("px") || unit.equals("exat") || unit.equals("pxat")) {
            if (n <= 0) {
                throw new RespError("ERR invalid expire time in '" + command + "' command");
            }
        }
        try {
            return switch (unit) {
                case "ex", "expire" -> Math.addExact(System.currentTimeMillis(), Math.multiplyExact(n, 1000L));
                case "px", "pexpire" -> Math.addExact(System.currentTimeMillis(), n);
                case "exat", "expireat" -> Math.multiplyExact(n, 1000L);
                default -> n; // pxat, pexpireat
            };
        } catch (ArithmeticException e) {
            throw new RespError("ERR invalid expire time in '" + command + "' command");
        }
    }

    /** EXPIRE key n [NX|XX|GT|LT] and its kin: 1 if the deadline was set (or the key deleted, for a past one). */
    private boolean expire(String cmd, List<byte[]> a)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        byte[] k = key(a.get(1));
        long deadline = deadline(cmd, a.get(2), cmd);
        List<String> options = new ArrayList<>();
        for (int i = 3; i < a.size(); i++) {
            options.add(ascii(a.get(i)).toUpperCase(Locale.ROOT));
        }
        if (deadline <= 0) {
            deadline = 1; // a time at or before the epoch: long past
        }
        return expireAt(k, deadline, options);
    }

    /**
     * Gives the key {@code deadline} (0: none, PERSIST) under the EXPIRE options, on the version read
     * (a concurrent change makes it read again); a deadline already past deletes the key, as Redis does.
     */
    private boolean expireAt(byte[] k, long deadline, List<String> options)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        if (store != engineStore) {
            throw new RespError(
                    "ERR sharedmap does not run EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT or PERSIST inside MULTI");
        }
        boolean nx = options.contains("NX");
        boolean xx = options.contains("XX");
        boolean gt = options.contains("GT");
        boolean lt = options.contains("LT");
        for (String opt : options) {
            if (!opt.equals("NX") && !opt.equals("XX") && !opt.equals("GT") && !opt.equals("LT")) {
                throw new RespError("ERR Unsupported option " + opt);
            }
        }
        if (nx && (xx || gt || lt) || gt && lt) {
            throw new RespError("ERR NX and XX, GT or LT options at the same time are not compatible");
        }
        while (true) {
            Entry e = read(k);
            if (e == null) {
                return false;
            }
            long now = e.deadline();
            if (deadline == 0 && now == 0) {
                return false; // PERSIST of a key without a deadline
            }
            // GT and LT count "no deadline" as an infinite one, as Redis does
            if (nx && now != 0
                    || xx && now == 0
                    || gt && (now == 0 || deadline <= now)
                    || lt && now != 0 && deadline >= now) {
                return false;
            }
            Results.Write w;
            if (deadline != 0 && deadline <= System.currentTimeMillis()) {
                w = engine.delete(caller, k, e.version(), 0, 0);
                see(w.visibleVersion());
                if (w.outcome() == Results.Outcome.DELETED) {
                    return true;
                }
            } else {
                w = engine.setDeadline(caller, k, e.version(), deadline);
                see(w.visibleVersion());
                if (w.outcome() == Results.Outcome.UPDATED) {
                    return true;
                }
            }
            if (w.outcome() == Results.Outcome.NOT_FOUND) {
                return false;
            }
            // CONFLICT: changed since the read; read again
        }
    }

    private long incrBy(byte[] k, long by)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        long[] result = {0};
        update(k, cur -> {
            long now = 0;
            if (cur != null) {
                Long parsed = RespNumbers.parseLong(value(cur));
                if (parsed == null) {
                    throw new RespError("ERR value is not an integer or out of range");
                }
                now = parsed;
            }
            long next;
            try {
                next = Math.addExact(now, by);
            } catch (ArithmeticException e) {
                throw new RespError("ERR increment or decrement would overflow");
            }
            result[0] = next;
            return Long.toString(next).getBytes(StandardCharsets.US_ASCII);
        });
        return result[0];
    }

    private String incrByFloat(byte[] k, byte[] byArg)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        BigDecimal by = RespNumbers.parseFloat(byArg);
        if (by == null && RespNumbers.isInfinity(byArg)) {
            throw new RespError("ERR increment would produce NaN or Infinity");
        }
        if (by == null) {
            throw new RespError("ERR value is not a valid float");
        }
        String[] result = {""};
        update(k, cur -> {
            BigDecimal now = BigDecimal.ZERO;
            if (cur != null) {
                BigDecimal parsed = RespNumbers.parseFloat(value(cur));
                if (parsed == null) {
                    throw new RespError("ERR value is not a valid float");
                }
                now = parsed;
            }
            BigDecimal next = now.add(by);
            if (!RespNumbers.inRange(next)) {
                throw new RespError("ERR increment would produce NaN or Infinity");
            }
            result[0] = RespNumbers.formatFloat(next);
            return result[0].getBytes(StandardCharsets.US_ASCII);
        });
        return result[0];
    }

    private long setRange(byte[] k, long offset, byte[] part)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        if (offset < 0) {
            throw new RespError("ERR offset is out of range");
        }
        checkSize(offset > Integer.MAX_VALUE ? offset : offset + part.length); // no overflow past Long.MAX_VALUE
        long[] length = {0};
        update(k, cur -> {
            byte[] old = cur == null ? EMPTY : value(cur);
            if (part.length == 0) {
                length[0] = old.length;
                return null; // nothing to write (and an absent key is not created)
            }
            byte[] next = Arrays.copyOf(old, (int) Math.max(old.length, offset + part.length));
            System.arraycopy(part, 0, next, (int) offset, part.length);
            length[0] = next.length;
            return next;
        });
        return length[0];
    }

    private static byte[] range(byte[] v, long startArg, long endArg) {
        long len = v.length;
        long start = startArg;
        long end = endArg;
        if (start < 0 && end < 0 && start > end) {
            return EMPTY;
        }
        if (start < 0) {
            start = len + start;
        }
        if (end < 0) {
            end = len + end;
        }
        start = Math.max(start, 0);
        end = Math.max(end, 0);
        end = Math.min(end, len - 1);
        if (len == 0 || start > end) {
            return EMPTY;
        }
        return Arrays.copyOfRange(v, (int) start, (int) end + 1);
    }

    private void mset(List<byte[]> a, RespOutput o)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        if (a.size() % 2 == 0) {
            throw wrongArgs(ascii(a.get(0)).toLowerCase(Locale.ROOT));
        }
        for (int i = 1; i < a.size(); i += 2) {
            key(a.get(i));
            value(a.get(i + 1));
        }
        for (int i = 1; i < a.size(); i += 2) {
            try {
                Results.Write w = store.set(a.get(i), a.get(i + 1));
                see(w.visibleVersion());
            } catch (RefusedException | JournalFailedException e) {
                if (i == 1) {
                    throw e;
                }
                String why = e instanceof PermissionDeniedException ? "NOPERM " : "ERR ";
                throw new RespError(why + "MSET set the first " + (i / 2) + " keys, then stopped at key '"
                        + printable(a.get(i)) + "': " + e.getMessage());
            }
        }
        o.simple("OK");
    }

    /** MSETNX: every key set, or none if one exists (run on a buffer of its keys; see {@link #transact}). */
    private void msetnx(List<byte[]> a, RespOutput o)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        if (a.size() % 2 == 0) {
            throw wrongArgs("msetnx");
        }
        for (int i = 1; i < a.size(); i += 2) {
            key(a.get(i));
            value(a.get(i + 1));
        }
        for (int i = 1; i < a.size(); i += 2) {
            if (read(a.get(i)) != null) {
                o.integer(0);
                return;
            }
        }
        for (int i = 1; i < a.size(); i += 2) { // a key named twice takes its last value, as in Redis
            see(store.set(a.get(i), a.get(i + 1)).visibleVersion());
        }
        o.integer(1);
    }

    private byte @Nullable [] getDel(byte[] k)
            throws RefusedException, JournalFailedException, Engine.SequenceException, RespError {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Entry e = read(k);
            if (e == null) {
                return null;
            }
            Results.Write w = store.delete(k, e.version());
            see(w.visibleVersion());
            if (w.outcome() == Results.Outcome.DELETED) {
                return e.value();
            }
        }
        throw contention(k);
    }

    private void scan(List<byte[]> a, RespOutput o) throws RespError {
        Long cursor = RespNumbers.parseLong(a.get(1));
        if (cursor == null || cursor < 0) {
            throw new RespError("ERR invalid cursor");
        }
        byte[] match = null;
        long count = 10;
        String type = null;
        for (int i = 2; i < a.size(); i++) {
            String opt = ascii(a.get(i)).toUpperCase(Locale.ROOT);
            if (i + 1 >= a.size()) {
                throw new RespError("ERR syntax error");
            }
            switch (opt) {
                case "MATCH" -> match = a.get(++i);
                case "COUNT" -> {
                    count = integer(a.get(++i));
                    if (count < 1) {
                        throw new RespError("ERR syntax error");
                    }
                }
                case "TYPE" -> type = ascii(a.get(++i)).toLowerCase(Locale.ROOT);
                default -> throw new RespError("ERR syntax error");
            }
        }
        byte[] after = EMPTY;
        if (cursor != 0) {
            byte[] found = cursors.find(caller.uid(), cursor);
            if (found == null) {
                throw new RespError("ERR unknown or expired SCAN cursor " + cursor + " (sharedmap keeps the last "
                        + RespCursors.CAPACITY + " cursors of the daemon; start again at 0)");
            }
            after = found;
        }
        byte[] prefix = match == null ? EMPTY : RespGlob.literalPrefix(match);
        int limit = (int) Math.min(count, FrameDescriptor.MAX_SCAN_LIMIT);
        Results.ScanPage page =
                engine.scan(caller, prefix, after, limit, FrameDescriptor.SCAN_PAGE_BYTES, ScanCodec.ENTRY_OVERHEAD);
        see(page.visibleVersion());
        List<byte[]> keys = new ArrayList<>(page.keys().size());
        if (type == null || type.equals("string")) {
            for (Results.ScannedKey k : page.keys()) {
                if (match == null || RespGlob.matches(match, k.key())) {
                    keys.add(k.key());
                }
            }
        }
        long next = page.nextCursor().length == 0 ? 0 : cursors.create(caller.uid(), page.nextCursor());
        o.array(2);
        o.bulk(Long.toString(next));
        o.array(keys.size());
        for (byte[] k : keys) {
            o.bulk(k);
        }
    }

    private void keysCommand(byte[] pattern, RespOutput o) throws RespError {
        byte[] prefix = RespGlob.literalPrefix(pattern);
        List<byte[]> keys = new ArrayList<>();
        long bytes = 0;
        byte[] after = EMPTY;
        while (true) {
            Results.ScanPage page = engine.scan(
                    caller,
                    prefix,
                    after,
                    FrameDescriptor.MAX_SCAN_LIMIT,
                    FrameDescriptor.SCAN_PAGE_BYTES,
                    ScanCodec.ENTRY_OVERHEAD);
            see(page.visibleVersion());
            for (Results.ScannedKey k : page.keys()) {
                if (RespGlob.matches(pattern, k.key())) {
                    keys.add(k.key());
                    bytes += k.key().length + 16L;
                    if (bytes > MAX_REPLY_BYTES) {
                        throw new RespError("ERR KEYS would reply more than " + MAX_REPLY_BYTES + " bytes (over "
                                + keys.size() + " keys); use SCAN");
                    }
                }
            }
            if (page.nextCursor().length == 0) {
                break;
            }
            after = page.nextCursor();
        }
        o.array(keys.size());
        for (byte[] k : keys) {
            o.bulk(k);
        }
    }

    /** FLUSHDB/FLUSHALL: deletes every key the caller may read and delete; the others stay. */
    private void flush() throws JournalFailedException, Engine.SequenceException, RefusedException {
        byte[] after = EMPTY;
        while (true) {
            Results.ScanPage page = engine.scan(
                    caller,
                    EMPTY,
                    after,
                    FrameDescriptor.MAX_SCAN_LIMIT,
                    FrameDescriptor.SCAN_PAGE_BYTES,
                    ScanCodec.ENTRY_OVERHEAD);
            see(page.visibleVersion());
            for (Results.ScannedKey k : page.keys()) {
                try {
                    Results.Write w = engine.delete(caller, k.key(), 0, 0, 0);
                    see(w.visibleVersion());
                } catch (PermissionDeniedException e) {
                    // not the caller's to delete: it stays
                }
            }
            if (page.nextCursor().length == 0) {
                return;
            }
            after = page.nextCursor();
        }
    }

    // ---- engine steps --------------------------------------------------------------------------

    /** The key's entry (with its value) for the caller, or null if absent. */
    private @Nullable Entry read(byte[] k) throws PermissionDeniedException, RespError {
        Results.Lookup l = store.get(k);
        see(l.visibleVersion());
        return l.entry();
    }

    private Results.Write cas(byte[] k, long expected, byte[] v)
            throws RefusedException, JournalFailedException, Engine.SequenceException, RespError {
        Results.Write w = store.cas(k, expected, v);
        see(w.visibleVersion());
        return w;
    }

    /** The next value of a key from its current entry (null if absent); null to leave the key as it is. */
    @FunctionalInterface
    private interface Update {
        byte @Nullable [] next(@Nullable Entry current) throws RespError;
    }

    /**
     * Reads the key and writes {@code f} of it with compare-and-set on the version read (0: only if
     * still absent), again from the read if another writer came first. Returns the entry the
     * successful attempt read (null: the key was absent).
     */
    private @Nullable Entry update(byte[] k, Update f)
            throws RespError, RefusedException, JournalFailedException, Engine.SequenceException {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Entry cur = read(k);
            byte[] next = f.next(cur);
            if (next == null) {
                return cur;
            }
            checkSize(next.length);
            Results.Write w = cas(k, cur == null ? 0 : cur.version(), next);
            if (w.outcome() != Results.Outcome.CONFLICT) {
                return cur;
            }
        }
        throw contention(k);
    }

    private static RespError contention(byte[] k) {
        return new RespError("ERR key '" + printable(k) + "' changed under " + MAX_ATTEMPTS
                + " attempts in a row; not applied, retry");
    }

    // ---- arguments ----------------------------------------------------------------------------

    private static byte[] key(byte[] k) throws RespError {
        if (k.length == 0) {
            throw new RespError("ERR empty key: sharedmap keys are 1 to " + MAX_KEY_BYTES + " bytes");
        }
        if (k.length > MAX_KEY_BYTES) {
            throw new RespError(
                    "ERR key of " + k.length + " bytes exceeds sharedmap's limit of " + MAX_KEY_BYTES + " bytes");
        }
        return k;
    }

    private List<byte[]> keys(List<byte[]> a, int from, int step) throws RespError {
        List<byte[]> keys = new ArrayList<>();
        for (int i = from; i < a.size(); i += step) {
            keys.add(key(a.get(i)));
        }
        return keys;
    }

    private byte[] value(byte[] v) throws RespError {
        checkSize(v.length);
        return v;
    }

    private void checkSize(long length) throws RespError {
        int max = server.config().maxValueBytes();
        if (length > max) {
            throw new RespError("ERR string exceeds maximum allowed size: " + length + " bytes, over the daemon's"
                    + " --max-value-bytes (" + max + ")");
        }
    }

    private static byte[] value(Entry e) {
        return e.value() == null ? EMPTY : e.value();
    }

    private static long integer(byte[] v) throws RespError {
        Long l = RespNumbers.parseLong(v);
        if (l == null) {
            throw new RespError("ERR value is not an integer or out of range");
        }
        return l;
    }

    private static void arity(String cmd, int n, int expected) throws RespError {
        if (n != expected) {
            throw wrongArgs(cmd);
        }
    }

    private static RespError wrongArgs(String cmd) {
        return new RespError("ERR wrong number of arguments for '" + cmd + "' command");
    }

    private static boolean isAny(byte[] v, String... words) {
        String s = ascii(v);
        for (String w : words) {
            if (w.equalsIgnoreCase(s)) {
                return true;
            }
        }
        return false;
    }

    private static void bulkOrNull(RespOutput o, byte @Nullable [] v) {
        if (v == null) {
            o.nullBulk();
        } else {
            o.bulk(v);
        }
    }

    /** Redis 7's unknown-command error: the name, then the first arguments, quoted, up to 128 characters. */
    static String unknownCommand(List<byte[]> a) {
        StringBuilder args = new StringBuilder();
        for (int i = 1; i < a.size() && args.length() < 128; i++) {
            String s = ascii(a.get(i));
            args.append('\'')
                    .append(s, 0, Math.min(s.length(), 128 - args.length()))
                    .append("' ");
        }
        return "ERR unknown command '" + truncate(ascii(a.get(0))) + "', with args beginning with: " + args;
    }

    private static String truncate(String s) {
        return s.length() > 128 ? s.substring(0, 128) : s;
    }

    /** Bytes as Latin-1 characters, control characters as spaces (error messages and names). */
    private static String ascii(byte[] b) {
        char[] c = new char[b.length];
        for (int i = 0; i < b.length; i++) {
            int v = b[i] & 0xff;
            c[i] = v < 0x20 || v == 0x7f ? ' ' : (char) v;
        }
        return new String(c);
    }

    /** Bytes as one char each (Latin-1): a key as a map key, one to one. */
    private static String latin1(byte[] k) {
        return new String(k, StandardCharsets.ISO_8859_1);
    }

    private static String printable(byte[] k) {
        return truncate(ascii(k));
    }

    // ---- the command table -------------------------------------------------------------------

    /** What COMMAND reports of a command; arity as Redis counts it (negative: at least). */
    record CommandSpec(
            String name,
            int arity,
            String[] flags,
            int firstKey,
            int lastKey,
            int step,
            String group,
            String summary) {}

    static final Map<String, CommandSpec> COMMANDS = table();

    private static final AsciiNames NAMES = new AsciiNames(COMMANDS.keySet());

    private static Map<String, CommandSpec> table() {
        Map<String, CommandSpec> m = new LinkedHashMap<>();
        String[] r = {"readonly", "fast"};
        String[] w = {"write", "denyoom"};
        String[] c = {"fast", "loading", "stale"};
        add(m, "ping", -1, c, 0, 0, 0, "connection", "Returns PONG, or the argument.");
        add(m, "echo", 2, c, 0, 0, 0, "connection", "Returns the argument.");
        add(m, "hello", -1, c, 0, 0, 0, "connection", "Chooses RESP2 or RESP3; describes the server.");
        add(m, "auth", -2, c, 0, 0, 0, "connection", "Accepted; identity is the Unix user of the socket's peer.");
        add(m, "select", 2, c, 0, 0, 0, "connection", "Only database 0 exists.");
        add(m, "client", -2, c, 0, 0, 0, "connection", "ID, SETNAME, GETNAME, SETINFO, INFO, LIST.");
        add(m, "command", -1, c, 0, 0, 0, "server", "Describes the commands (COUNT, LIST, INFO, DOCS).");
        add(m, "config", -2, c, 0, 0, 0, "server", "CONFIG GET: the settings that exist.");
        add(m, "info", -1, c, 0, 0, 0, "server", "Server, clients, keyspace and sharedmap sections.");
        add(m, "quit", -1, c, 0, 0, 0, "connection", "Closes the connection.");
        add(m, "reset", 1, c, 0, 0, 0, "connection", "Back to RESP2, no name.");
        add(
                m,
                "function",
                -2,
                new String[] {"noscript"},
                0,
                0,
                0,
                "scripting",
                "LIST (always empty) and FLUSH: sharedmap has no functions.");
        add(m, "dbsize", 1, new String[] {"readonly", "fast"}, 0, 0, 0, "keyspace", "Number of keys (all users').");
        add(m, "get", 2, r, 1, 1, 1, "string", "The value of a key.");
        add(
                m,
                "set",
                -3,
                w,
                1,
                1,
                1,
                "string",
                "Sets a key (NX, XX, GET, IFEQ, IFVERSION; EX, PX, EXAT, PXAT, KEEPTTL).");
        add(m, "setnx", 3, w, 1, 1, 1, "string", "Sets a key if it does not exist.");
        add(m, "getset", 3, w, 1, 1, 1, "string", "Sets a key, returning the old value.");
        add(m, "getdel", 2, w, 1, 1, 1, "string", "Deletes a key, returning its value.");
        add(m, "getex", -2, r, 1, 1, 1, "string", "GET; PERSIST does nothing (no key expires), EX/PX/... refused.");
        add(
                m,
                "sm.getver",
                2,
                r,
                1,
                1,
                1,
                "string",
                "sharedmap's: the value and its version, for SET ... IFVERSION (not in transactions).");
        add(m, "del", -2, new String[] {"write"}, 1, -1, 1, "keyspace", "Deletes keys.");
        add(m, "unlink", -2, new String[] {"write", "fast"}, 1, -1, 1, "keyspace", "Deletes keys.");
        add(m, "exists", -2, r, 1, -1, 1, "keyspace", "Counts the keys that exist.");
        add(m, "type", 2, r, 1, 1, 1, "keyspace", "string, or none.");
        add(m, "ttl", 2, r, 1, 1, 1, "keyspace", "Seconds left, -1 (no deadline), or -2 if absent.");
        add(m, "pttl", 2, r, 1, 1, 1, "keyspace", "Milliseconds left, -1 (no deadline), or -2 if absent.");
        add(m, "persist", 2, new String[] {"write", "fast"}, 1, 1, 1, "keyspace", "Removes a key's deadline.");
        add(m, "expire", -3, new String[] {"write", "fast"}, 1, 1, 1, "keyspace", "A time to live in seconds.");
        add(m, "pexpire", -3, new String[] {"write", "fast"}, 1, 1, 1, "keyspace", "A time to live in ms.");
        add(m, "expireat", -3, new String[] {"write", "fast"}, 1, 1, 1, "keyspace", "A deadline, Unix seconds.");
        add(m, "pexpireat", -3, new String[] {"write", "fast"}, 1, 1, 1, "keyspace", "A deadline, Unix ms.");
        add(m, "mget", -2, r, 1, -1, 1, "string", "The values of keys.");
        add(m, "mset", -3, w, 1, -1, 2, "string", "Sets keys, one after another.");
        add(m, "msetnx", -3, w, 1, -1, 2, "string", "Sets keys only if none exists.");
        add(m, "incr", 2, w, 1, 1, 1, "string", "Adds 1 (compare-and-set).");
        add(m, "decr", 2, w, 1, 1, 1, "string", "Subtracts 1 (compare-and-set).");
        add(m, "incrby", 3, w, 1, 1, 1, "string", "Adds an integer (compare-and-set).");
        add(m, "decrby", 3, w, 1, 1, 1, "string", "Subtracts an integer (compare-and-set).");
        add(m, "incrbyfloat", 3, w, 1, 1, 1, "string", "Adds a decimal number (compare-and-set).");
        add(m, "append", 3, w, 1, 1, 1, "string", "Appends to a value (compare-and-set).");
        add(m, "strlen", 2, r, 1, 1, 1, "string", "The length of a value.");
        add(m, "getrange", 4, new String[] {"readonly"}, 1, 1, 1, "string", "A substring of a value.");
        add(m, "substr", 4, new String[] {"readonly"}, 1, 1, 1, "string", "A substring of a value.");
        add(m, "setrange", 4, w, 1, 1, 1, "string", "Overwrites part of a value (compare-and-set).");
        add(m, "rename", 3, new String[] {"write"}, 1, 2, 1, "keyspace", "Renames a key (see MULTI for atomicity).");
        add(
                m,
                "renamenx",
                3,
                new String[] {"write", "fast"},
                1,
                2,
                1,
                "keyspace",
                "Renames a key if the new name is free.");
        add(m, "copy", -3, w, 1, 2, 1, "keyspace", "Copies a value to another key (DB 0, REPLACE).");
        add(m, "randomkey", 1, new String[] {"readonly"}, 0, 0, 0, "keyspace", "A key the caller may read.");
        add(m, "scan", -2, new String[] {"readonly"}, 0, 0, 0, "keyspace", "Iterates keys (MATCH, COUNT, TYPE).");
        add(m, "keys", 2, new String[] {"readonly"}, 0, 0, 0, "keyspace", "Keys matching a pattern.");
        add(m, "flushdb", -1, new String[] {"write"}, 0, 0, 0, "keyspace", "Deletes the keys the caller may.");
        add(m, "flushall", -1, new String[] {"write"}, 0, 0, 0, "keyspace", "Deletes the keys the caller may.");
        String[] t = {"noscript", "loading", "stale", "fast"};
        add(m, "multi", 1, t, 0, 0, 0, "transactions", "Starts a transaction.");
        add(
                m,
                "exec",
                1,
                new String[] {"noscript", "loading", "stale"},
                0,
                0,
                0,
                "transactions",
                "Runs the transaction (atomic on one key; see docs/PROTOCOL.md).");
        add(m, "discard", 1, t, 0, 0, 0, "transactions", "Drops the transaction.");
        add(m, "watch", -2, t, 1, -1, 1, "transactions", "Aborts the next EXEC if the key changes.");
        add(m, "unwatch", 1, t, 0, 0, 0, "transactions", "Forgets the watched keys.");
        return Collections.unmodifiableMap(m);
    }

    private static void add(
            Map<String, CommandSpec> m,
            String name,
            int arity,
            String[] flags,
            int first,
            int last,
            int step,
            String group,
            String summary) {
        m.put(name, new CommandSpec(name, arity, flags, first, last, step, group, summary));
    }
}
