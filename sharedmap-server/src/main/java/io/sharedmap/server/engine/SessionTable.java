package io.sharedmap.server.engine;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.server.engine.Results.Outcome;
import io.sharedmap.server.engine.Results.Write;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Exactly-once for resent changes: per client id, the outcomes of its last {@value #WINDOW}
 * applied sequenced changes (docs/PROTOCOL.md, "Sessions").
 *
 * <p>A sequenced change calls {@link #begin}: if its sequence number was applied, the remembered
 * outcome is returned and the change is not applied again; if the same number is being applied
 * right now (the client resent it on a new connection while the original is still in flight on the
 * old one), {@code begin} waits for that to finish; otherwise it marks the number in flight and the
 * caller applies the change, then calls {@link #complete}. Outcomes are durable because the
 * journal record of the change carries (client id, sequence number) and snapshots carry the table;
 * recovery rebuilds it with {@link #restore}.
 *
 * <p>Concurrency: {@code sessions} is a concurrent map; each {@link Session} is its own monitor and
 * guards all its fields. A session's monitor is held only for a few array operations, never across
 * a stripe lock, the journal or I/O. Memory: a session's ring is {@value #WINDOW} slots of 25 bytes;
 * at most {@value #MAX_SESSIONS} sessions are kept; when a new one needs room, the longest idle
 * session of the user holding the most sessions is forgotten, so a user who opens thousands of
 * sessions evicts its own, not other users' (a session restored at start has no known user until
 * its client comes back, and counts as one user "unknown").
 *
 * <p>Keys: a session is keyed by {@link #key}(uid, client id), a one-way function of the user the
 * kernel reported and the id the client chose, so a user who learns another user's client id
 * cannot reach that user's session (resends answered from another user's outcomes).
 */
final class SessionTable {
    static final int WINDOW = FrameDescriptor.SESSION_WINDOW;
    static final int MAX_SESSIONS = 4096;
    private static final byte EMPTY = 0;
    private static final byte PENDING = 1;

    /** Why a sequenced change may not proceed. */
    static final class SequenceRejectedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean expired;

        SequenceRejectedException(boolean expired, String message) {
            super(message);
            this.expired = expired;
        }

        /** True: too old to know; false: the client broke the window rule. */
        boolean expired() {
            return expired;
        }
    }

    /**
     * The session key of {@code clientId} presented by user {@code uid}: the first 8 bytes of
     * SHA-256("sharedmap session", uid, client id), never 0; 0 for client id 0 (no session).
     * One-way, so no user can choose a client id whose key is another user's.
     */
    static long key(long uid, long clientId) {
        if (clientId == 0) {
            return 0;
        }
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("sharedmap session".getBytes(StandardCharsets.US_ASCII));
            d.update(ByteBuffer.allocate(16).putLong(uid).putLong(clientId).array());
            long k = ByteBuffer.wrap(d.digest()).getLong();
            return k == 0 ? 1 : k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static final class Session {
        final long clientId;
        /** The user whose client uses it; -1 until known (a session restored at start). Under this monitor. */
        long uid = -1;

        final long[] seqs = new long[WINDOW];
        final byte[] states = new byte[WINDOW]; // EMPTY, PENDING, or 2 + Outcome.code()
        final long[] replyVersions = new long[WINDOW];
        final long[] recordVersions = new long[WINDOW];
        long maxApplied;
        int pending;
        long lastUsedNanos = System.nanoTime();
        /** Set, under this monitor, when the session is evicted; a thread holding a dead session starts over. */
        boolean dead;

        Session(long clientId) {
            this.clientId = clientId;
        }

        int slot(long seq) {
            return (int) (seq & (WINDOW - 1));
        }

        void put(long seq, Outcome outcome, long replyVersion, long recordVersion) {
            int i = slot(seq);
            seqs[i] = seq;
            states[i] = (byte) (2 + outcome.code());
            replyVersions[i] = replyVersion;
            recordVersions[i] = recordVersion;
            maxApplied = Math.max(maxApplied, seq);
        }
    }

    /** Client ids whose sessions were evicted: their resends can no longer be checked. */
    private static final int MAX_FORGOTTEN = 65536;

    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    // @GuardedBy("forgotten")
    private final LinkedHashSet<Long> forgotten = new LinkedHashSet<>();

    private Session session(long clientId, long uid) {
        Session s = sessions.get(clientId);
        if (s != null) {
            return s;
        }
        if (sessions.size() >= MAX_SESSIONS) {
            evictIdlest(uid);
        }
        return sessions.computeIfAbsent(clientId, Session::new);
    }

    private boolean wasForgotten(long clientId) {
        synchronized (forgotten) {
            return forgotten.contains(clientId);
        }
    }

    /**
     * Forgets the longest idle session (none with changes in flight) of the user that holds the most
     * sessions, counting the one {@code newcomer} is about to open. O(sessions), only when the table
     * is full.
     */
    private void evictIdlest(long newcomer) {
        Map<Long, Integer> counts = new HashMap<>();
        counts.put(newcomer, 1);
        for (Session s : sessions.values()) {
            long uid;
            synchronized (s) {
                uid = s.uid;
            }
            counts.merge(uid, 1, Integer::sum);
        }
        long most = newcomer;
        int mostCount = counts.getOrDefault(most, 1);
        for (Map.Entry<Long, Integer> e : counts.entrySet()) {
            if (e.getValue() > mostCount) {
                most = e.getKey();
                mostCount = e.getValue();
            }
        }
        Session idlest = idlest(most, true);
        if (idlest == null) { // that user has none to spare (the newcomer itself, or all busy): the idlest overall
            idlest = idlest(most, false);
        }
        if (idlest == null) {
            return;
        }
        synchronized (idlest) {
            if (idlest.pending != 0 || idlest.dead) {
                return; // became busy meanwhile; the table may exceed its bound by a few until the next eviction
            }
            synchronized (forgotten) { // remembered before removal, so no begin() can see neither
                forgotten.add(idlest.clientId);
                if (forgotten.size() > MAX_FORGOTTEN) {
                    forgotten.remove(forgotten.iterator().next());
                }
            }
            idlest.dead = true;
            sessions.remove(idlest.clientId, idlest);
        }
    }

    /** The longest idle session with no change in flight (of user {@code uid} only, if {@code ofUid}), or null. */
    private @Nullable Session idlest(long uid, boolean ofUid) {
        Session idlest = null;
        for (Session s : sessions.values()) {
            if (idlest == null || s.lastUsedNanos - idlest.lastUsedNanos < 0) {
                synchronized (s) {
                    if (s.pending == 0 && !s.dead && (!ofUid || s.uid == uid)) {
                        idlest = s;
                    }
                }
            }
        }
        return idlest;
    }

    /**
     * Starts a sequenced change. Returns the remembered outcome if the change was applied already,
     * or null if the caller must apply it and then call {@link #complete}.
     */
    @Nullable
    Write begin(long clientId, long uid, long seq) throws SequenceRejectedException {
        while (true) {
            if (!sessions.containsKey(clientId)) {
                if (wasForgotten(clientId)) {
                    throw new SequenceRejectedException(
                            true,
                            "this client's session was forgotten (more than " + MAX_SESSIONS
                                    + " clients); whether sequence number " + seq
                                    + " was applied is no longer known; reconnect as a new"
                                    + " client");
                }
                if (seq > WINDOW) {
                    // A client numbers its changes from 1, so the first numbers the daemon sees of a client are
                    // 1..WINDOW (up to WINDOW may be in flight at once, in any order). A higher one from a client
                    // id it does not know is a client whose session it forgot, perhaps before a restart: whether
                    // that change was applied is not known (docs/PROTOCOL.md, "Sessions").
                    throw new SequenceRejectedException(
                            true,
                            "sequence number " + seq + " from a client the daemon has no"
                                    + " session of: a client starts at 1, so its session was forgotten and whether this change was"
                                    + " applied is no longer known; reconnect as a new client");
                }
            }
            Session s = session(clientId, uid);
            Write w = begin(s, uid, seq);
            if (w != RETRY) {
                return w;
            }
        }
    }

    /** A marker: the session died (was evicted) while this thread held it; look it up again. */
    private static final Write RETRY = new Write(Outcome.CONFLICT, -1, -1);

    private @Nullable Write begin(Session s, long uid, long seq) throws SequenceRejectedException {
        synchronized (s) {
            s.lastUsedNanos = System.nanoTime();
            s.uid = uid;
            while (true) {
                if (s.dead) {
                    return RETRY;
                }
                if (seq <= s.maxApplied - WINDOW) {
                    throw new SequenceRejectedException(
                            true,
                            "sequence number " + seq + " is more than " + WINDOW
                                    + " below the highest applied for this client (" + s.maxApplied
                                    + "); whether it was applied is no"
                                    + " longer known");
                }
                int i = s.slot(seq);
                if (s.seqs[i] == seq && s.states[i] == PENDING) {
                    try {
                        s.wait(); // the same change is in flight on another connection of this client
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new SequenceRejectedException(false, "interrupted while the same change was in flight");
                    }
                    continue;
                }
                if (s.seqs[i] == seq && s.states[i] != EMPTY) {
                    return new Write(Outcome.ofCode(s.states[i] - 2), s.replyVersions[i], s.recordVersions[i]);
                }
                if (s.states[i] == PENDING) { // the window broken: not applied, nothing remembered (INVALID_ARGUMENT)
                    throw new SequenceRejectedException(
                            false,
                            "sequence number " + seq + " while " + s.seqs[i]
                                    + " is still unanswered: a client may have at most " + WINDOW
                                    + " sequenced changes unanswered");
                }
                s.seqs[i] = seq;
                s.states[i] = PENDING;
                s.pending++;
                return null;
            }
        }
    }

    /**
     * Ends a change started with {@link #begin}: remembers {@code result} (whatever its outcome), or,
     * if it is null (the change failed with an exception), forgets the number.
     */
    void complete(long clientId, long seq, @Nullable Write result) {
        Session s = sessions.get(clientId);
        if (s == null) {
            return; // cannot happen: sessions with pending changes are never evicted
        }
        synchronized (s) {
            int i = s.slot(seq);
            if (s.seqs[i] == seq && s.states[i] == PENDING) {
                s.pending--;
                if (result != null) {
                    s.put(seq, result.outcome(), result.version(), result.visibleVersion());
                } else {
                    s.states[i] = EMPTY;
                    s.seqs[i] = 0;
                }
            }
            s.notifyAll();
        }
    }

    /** Recovery: a change (client, seq) was applied with this outcome. */
    void restore(long clientId, long seq, Outcome outcome, long replyVersion, long recordVersion) {
        Session s = session(clientId, -1);
        synchronized (s) {
            int i = s.slot(seq);
            if (s.states[i] == EMPTY || s.seqs[i] <= seq) {
                s.put(seq, outcome, replyVersion, recordVersion);
            }
        }
    }

    int size() {
        return sessions.size();
    }

    /** Every session and forgotten session, as the sessions file and snapshots store them. */
    record Encoded(List<byte[][]> sessions, long[] forgotten) {}

    Encoded encode() {
        return new Encoded(encodeAll(), forgotten());
    }

    /** The keys of the forgotten sessions, oldest first (for the sessions file and snapshots). */
    long[] forgotten() {
        synchronized (forgotten) {
            return forgotten.stream().mapToLong(Long::longValue).toArray();
        }
    }

    /** Recovery: the session of {@code key} was forgotten. */
    void restoreForgotten(long key) {
        if (sessions.containsKey(key)) {
            return; // known again since
        }
        synchronized (forgotten) {
            forgotten.add(key);
            if (forgotten.size() > MAX_FORGOTTEN) {
                forgotten.remove(forgotten.iterator().next());
            }
        }
    }

    /** Snapshot form of every session: key = client id (8 bytes), value = see {@link #restoreEncoded}. */
    List<byte[][]> encodeAll() {
        List<byte[][]> out = new ArrayList<>();
        for (Session s : sessions.values()) {
            ByteBuffer b;
            synchronized (s) {
                int count = 0;
                for (int i = 0; i < WINDOW; i++) {
                    if (s.states[i] > PENDING && s.seqs[i] > s.maxApplied - WINDOW) {
                        count++;
                    }
                }
                if (count == 0) {
                    continue;
                }
                b = ByteBuffer.allocate(12 + count * 25);
                b.putLong(s.maxApplied).putInt(count);
                for (int i = 0; i < WINDOW; i++) {
                    if (s.states[i] > PENDING && s.seqs[i] > s.maxApplied - WINDOW) {
                        b.putLong(s.seqs[i])
                                .put((byte) (s.states[i] - 2))
                                .putLong(s.replyVersions[i])
                                .putLong(s.recordVersions[i]);
                        // states hold Outcome.code() + 2
                    }
                }
            }
            out.add(new byte[][] {ByteBuffer.allocate(8).putLong(s.clientId).array(), b.array()});
        }
        return out;
    }

    /**
     * Loads one session written by {@link #encodeAll}: int64 highest applied sequence number, int32
     * count, then count times (int64 sequence, u8 outcome code ({@link Outcome#code()}), int64 reply
     * version, int64 record version).
     *
     * @return null, or why the encoding is invalid
     */
    @Nullable
    String restoreEncoded(byte[] key, byte[] value) {
        ByteBuffer k = ByteBuffer.wrap(key);
        ByteBuffer v = ByteBuffer.wrap(value);
        if (key.length != 8 || value.length < 12) {
            return "session record of " + value.length + " bytes";
        }
        long clientId = k.getLong();
        long maxApplied = v.getLong();
        int count = v.getInt();
        if (count < 0 || count > WINDOW || v.remaining() != count * 25L) {
            return "session record declares " + count + " outcomes in " + v.remaining() + " bytes";
        }
        for (int n = 0; n < count; n++) {
            long seq = v.getLong();
            int outcome = v.get();
            long reply = v.getLong();
            long record = v.getLong();
            if (!Outcome.isCode(outcome) || seq <= 0) {
                return "session record has outcome " + outcome + " for sequence " + seq;
            }
            restore(clientId, seq, Outcome.ofCode(outcome), reply, record);
        }
        Session s = session(clientId, -1);
        synchronized (s) {
            s.maxApplied = Math.max(s.maxApplied, maxApplied);
        }
        return null;
    }
}
