package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.Opcode;
import io.sharedmap.protocol.ProtocolException;
import io.sharedmap.protocol.ScanCodec;
import io.sharedmap.protocol.ScanCodec.ScanEntry;
import io.sharedmap.protocol.StatsCodec;
import io.sharedmap.protocol.Status;
import io.sharedmap.protocol.ViewCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Turns replies into results, one decoder per opcode. An {@code ERROR} reply becomes the mapped
 * exception; a status the opcode cannot produce becomes a {@link ProtocolViolationException}.
 */
final class Replies {
    private Replies() {}

    static Optional<Entry> get(Reply r) {
        return switch (status(Opcode.GET, r)) {
            case FOUND -> Optional.of(new Entry(r.value(), r.arg()));
            case NOT_FOUND -> Optional.empty();
            default -> throw unexpected(Opcode.GET, r);
        };
    }

    static SetResult set(Reply r) {
        return switch (status(Opcode.SET, r)) {
            case CREATED -> new SetResult(true, r.arg());
            case UPDATED -> new SetResult(false, r.arg());
            default -> throw unexpected(Opcode.SET, r);
        };
    }

    static DeleteResult delete(Reply r) {
        return switch (status(Opcode.DELETE, r)) {
            case DELETED -> new DeleteResult(DeleteResult.Outcome.DELETED, r.arg());
            case NOT_FOUND -> new DeleteResult(DeleteResult.Outcome.NOT_FOUND, r.arg());
            case CONFLICT -> new DeleteResult(DeleteResult.Outcome.CONFLICT, r.arg());
            default -> throw unexpected(Opcode.DELETE, r);
        };
    }

    /** EXPIRE: whether the key was there (at the expected version) and now has the deadline. */
    static boolean expire(Reply r) {
        return switch (status(Opcode.EXPIRE, r)) {
            case UPDATED -> true;
            case NOT_FOUND, CONFLICT -> false;
            default -> throw unexpected(Opcode.EXPIRE, r);
        };
    }

    /** DEADLINE: the key's deadline, epoch milliseconds (0: never); empty if the key is absent. */
    static OptionalLong deadline(Reply r) {
        return switch (status(Opcode.DEADLINE, r)) {
            case FOUND -> {
                if (r.value().length != 8) {
                    throw unexpected(Opcode.DEADLINE, r);
                }
                yield OptionalLong.of(ByteBuffer.wrap(r.value()).getLong());
            }
            case NOT_FOUND -> OptionalLong.empty();
            default -> throw unexpected(Opcode.DEADLINE, r);
        };
    }

    static CasResult compareAndSet(Reply r) {
        return switch (status(Opcode.CAS, r)) {
            case CREATED -> new CasResult.Applied(true, r.arg());
            case UPDATED -> new CasResult.Applied(false, r.arg());
            case CONFLICT -> new CasResult.Conflict(r.arg());
            default -> throw unexpected(Opcode.CAS, r);
        };
    }

    static ScanPage scan(Reply r) {
        if (status(Opcode.SCAN, r) != Status.SCAN_PAGE) {
            throw unexpected(Opcode.SCAN, r);
        }
        List<ScanEntry> decoded;
        try {
            decoded = ScanCodec.decode(r.value(), r.arg());
        } catch (ProtocolException e) {
            throw Errors.violation("daemon sent a bad SCAN_PAGE: " + e.getMessage());
        }
        List<KeyInfo> entries = new ArrayList<>(decoded.size());
        for (ScanEntry e : decoded) {
            entries.add(new KeyInfo(e.key(), e.version(), e.valueLength()));
        }
        return new ScanPage(entries, r.key());
    }

    static ScanPage scanWithOwners(Reply r) {
        if (status(Opcode.SCAN, r) != Status.SCAN_PAGE) {
            throw unexpected(Opcode.SCAN, r);
        }
        List<ScanEntry> decoded;
        try {
            decoded = ScanCodec.decode(r.value(), r.arg(), true);
        } catch (ProtocolException e) {
            throw Errors.violation("daemon sent a bad SCAN_PAGE: " + e.getMessage());
        }
        List<KeyInfo> entries = new ArrayList<>(decoded.size());
        for (ScanEntry e : decoded) {
            entries.add(new KeyInfo(e.key(), e.version(), e.valueLength(), new KeyOwner(e.uid(), e.gid(), e.mode())));
        }
        return new ScanPage(entries, r.key());
    }

    static OwnerChange ownerChange(Opcode op, Reply r) {
        Status s = status(op, r);
        if (s == Status.NOT_FOUND) {
            return new OwnerChange(false, 0, 0);
        }
        if (s != Status.CHANGED || r.value().length != 8) {
            throw unexpected(op, r);
        }
        return new OwnerChange(true, r.arg(), ByteBuffer.wrap(r.value()).getLong());
    }

    static List<LimitsRow> limits(Reply r) {
        if (status(Opcode.LIMIT, r) != Status.LIMITS) {
            throw unexpected(Opcode.LIMIT, r);
        }
        try {
            return LimitCodec.decodeRows(r.value()).stream().map(Replies::row).toList();
        } catch (ProtocolException e) {
            throw Errors.violation("daemon sent a bad LIMITS reply: " + e.getMessage());
        }
    }

    static byte[] ping(Reply r) {
        if (status(Opcode.PING, r) != Status.PONG) {
            throw unexpected(Opcode.PING, r);
        }
        return r.value();
    }

    static ViewCodec.@Nullable ViewLocation view(Reply r) {
        if (status(Opcode.VIEW, r) != Status.VIEW) {
            throw unexpected(Opcode.VIEW, r);
        }
        return ViewCodec.decode(r.value());
    }

    static Map<String, String> stats(Reply r) {
        if (status(Opcode.STATS, r) != Status.STATS) {
            throw unexpected(Opcode.STATS, r);
        }
        return Collections.unmodifiableMap(StatsCodec.decode(r.value()));
    }

    /** The reply's status; throws the mapped exception for ERROR and a violation for unknown bytes. */
    private static Status status(Opcode op, Reply r) {
        Status s = r.statusOrNull();
        if (s == Status.ERROR) {
            throw Errors.forReply(ErrorCodec.decode(r.value()));
        }
        if (s == null) {
            throw unexpected(op, r);
        }
        return s;
    }

    private static ProtocolViolationException unexpected(Opcode op, Reply r) {
        Status s = r.statusOrNull();
        return Errors.violation(String.format(
                "daemon answered %s with %s, which %s never gets",
                op, s == null ? String.format("unknown status 0x%02X", r.status()) : s, op));
    }

    /** The codec's row as the client's own value types (the codec's stay out of the public API). */
    private static LimitsRow row(LimitCodec.Row r) {
        return new LimitsRow(
                new Principal(
                        Principal.Kind.valueOf(r.principal().kind().name()),
                        r.principal().id()),
                limits(r.limits()),
                limits(r.usage()));
    }

    private static Limits limits(LimitCodec.Amounts a) {
        return new Limits(a.keys(), a.bytes(), a.connections());
    }
}
