package io.sharedmap.protocol;

import org.jspecify.annotations.Nullable;

/**
 * Response types. Codes are part of the wire format and never change; FOUND, CREATED, UPDATED,
 * NOT_FOUND and ERROR keep the original module's codes (lookup-ok 0x20, inserted 0x21, replaced
 * 0x22, not-found 0x23, error 0x40).
 */
public enum Status {
    /** GET: value and version of the entry. */
    FOUND(0x20),
    /** SET, CAS: a new entry was created; version of the new entry. */
    CREATED(0x21),
    /** SET, CAS: an existing entry was replaced; version of the new entry. */
    UPDATED(0x22),
    /** GET, DELETE: no entry for the key. */
    NOT_FOUND(0x23),
    /** DELETE: the entry was removed; version of the removed entry. */
    DELETED(0x24),
    /** CAS, conditional DELETE: the expected version did not match; the current version, 0 if absent. */
    CONFLICT(0x25),
    /** SCAN: key = next cursor (empty when done), value = entries, version field = entry count. */
    SCAN_PAGE(0x26),
    /** PING: echoes the request's value. */
    PONG(0x27),
    /** STATS: value = UTF-8 lines {@code name=value\n}. */
    STATS(0x28),
    /** CHMOD, CHOWN: version field = keys changed; value = int64 keys skipped (the caller may not change them). */
    CHANGED(0x29),
    /** LIMIT: value = {@link LimitCodec} rows. */
    LIMITS(0x2A),
    /** VIEW: value = {@link ViewCodec} payload: where the mapped store is (empty: no direct reads). */
    VIEW(0x2B),
    /** WATCH accepted: version field = the version the stream starts after; then only push frames. */
    WATCHING(0x2C),
    /** A watch's push frame: key = the key, value = {@link WatchCodec} event, version = the change's. */
    EVENT(0x2D),
    /** A watch's last frame (flag CLOSING): value = {@link WatchCodec} end, version = where to resume. */
    WATCH_END(0x2E),
    /** Answer to the client hello: value = {@link HelloCodec} payload. */
    HELLO(0x2F),
    /** The request failed: value = {@link ErrorCodec} payload. */
    ERROR(0x40);

    private static final Status[] BY_CODE = new Status[256];

    static {
        for (Status s : values()) {
            BY_CODE[s.code] = s;
        }
    }

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The byte on the wire. */
    public int code() {
        return code;
    }

    /** The status for a wire byte, or {@code null} when the byte names no status. */
    public static @Nullable Status fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
