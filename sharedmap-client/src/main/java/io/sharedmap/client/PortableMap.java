package io.sharedmap.client;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The operations every backend serves the same way: the local daemon ({@link SharedMap}, {@code
 * unix:}) and the remote engines found by {@link SharedMap#connect(java.net.URI)} ({@code etcd://},
 * {@code redis-cluster://}, {@code redis://}). A program written against this interface moves from one machine
 * to several by changing a URL.
 *
 * <h2>What every backend promises</h2>
 *
 * <ul>
 *   <li><b>Keys and values</b> are byte strings: keys 1 to 1024 bytes, values 0 to {@link
 *       #maxValueLength()} bytes, all 256 byte values allowed. Both are checked before anything is
 *       sent, with the same exceptions on every backend ({@link InvalidRequestException}, {@link
 *       LimitExceededException}).
 *   <li><b>Versions</b> are {@code > 0}; every change of a key gives it a version greater than any
 *       it had (on the local daemon and etcd also greater than any version of any key changed before; not
 *       on Redis, whose versions come from each primary's clock). {@link #compareAndSet} with the version a {@link #get} returned succeeds only if
 *       nobody changed the key in between; expected version {@code 0} means "the key must not
 *       exist". A {@link CasResult.Conflict} reports the key's current version (0 when absent),
 *       as does a conditional {@link #delete(byte[], long)}'s {@link DeleteResult.Outcome#CONFLICT}.
 *   <li><b>Scans</b> ({@link #scan}, {@link #keys}) return keys in ascending unsigned byte order,
 *       each key at most once, every key that matches and exists unchanged for the whole scan.
 *   <li><b>Results are values</b> ("not found", "conflict"); exceptions are {@link
 *       SharedMapException}s, and an operation a backend cannot serve is never answered differently:
 *       it is not on this interface, or it throws {@link NotSupportedByBackendException}.
 * </ul>
 *
 * <p>What differs per backend (durability, consistency across failures, exactly-once resends, the
 * value limit) is written in each implementation's class comment and in docs/SCALE-OUT.md.
 * Implementations are thread-safe. Byte arrays passed in or returned are not copied.
 */
public interface PortableMap extends AutoCloseable {

    /** The value and version stored under {@code key}, or empty when there is none. */
    Optional<Entry> get(byte[] key);

    /** {@link #get(byte[])} with a UTF-8 key. */
    default Optional<Entry> get(String key) {
        return get(Bytes.utf8(key));
    }

    /** Stores {@code value} under {@code key}, creating or replacing the entry. */
    SetResult set(byte[] key, byte[] value);

    /** {@link #set(byte[], byte[])} with a UTF-8 key and value. */
    default SetResult set(String key, String value) {
        return set(Bytes.utf8(key), Bytes.utf8(value));
    }

    /** Removes the entry under {@code key}, whatever its version. */
    DeleteResult delete(byte[] key);

    /** {@link #delete(byte[])} with a UTF-8 key. */
    default DeleteResult delete(String key) {
        return delete(Bytes.utf8(key));
    }

    /**
     * Removes the entry under {@code key} only if its version is {@code expectedVersion}; otherwise
     * returns {@link DeleteResult.Outcome#CONFLICT} with the current version (0 when absent).
     *
     * @throws InvalidRequestException when {@code expectedVersion <= 0}
     */
    DeleteResult delete(byte[] key, long expectedVersion);

    /**
     * Stores {@code value} under {@code key} only if the key's version is {@code expectedVersion}
     * ({@code 0}: only if the key does not exist).
     *
     * @return {@link CasResult.Applied} with the new version, or {@link CasResult.Conflict} with the
     *     current one (0 when absent)
     * @throws InvalidRequestException when {@code expectedVersion < 0}
     */
    CasResult compareAndSet(byte[] key, long expectedVersion, byte[] value);

    /** {@link #compareAndSet(byte[], long, byte[])} with a UTF-8 key and value. */
    default CasResult compareAndSet(String key, long expectedVersion, String value) {
        return compareAndSet(Bytes.utf8(key), expectedVersion, Bytes.utf8(value));
    }

    /**
     * One page of the keys that start with {@code prefix}, in ascending unsigned byte order, starting
     * strictly after {@code cursor}.
     *
     * @param prefix 0 to 1024 bytes; empty matches every key
     * @param cursor empty to start, else the {@link ScanPage#nextCursor()} of the previous page
     * @param limit most entries on the page, 1 to {@link #maxScanLimit()}, or 0 for the backend's
     *     default (100)
     */
    ScanPage scan(byte[] prefix, byte[] cursor, int limit);

    /**
     * Every key that starts with {@code prefix} (empty: every key), in ascending unsigned byte order,
     * fetched page by page ({@link #scan}) as the stream is consumed.
     */
    default Stream<KeyInfo> keys(byte[] prefix) {
        BackendSupport.checkPrefix(prefix);
        return pages(this, prefix, maxScanLimit());
    }

    /** The largest value this backend accepts. */
    int maxValueLength();

    /** The largest page {@link #scan} returns. */
    int maxScanLimit();

    /** Asks the backend to answer: returns normally when it serves requests. */
    void ping();

    /** Where this map is, as a URL that {@link SharedMap#connect(java.net.URI)} accepts. */
    String url();

    /** Releases connections; afterwards calls fail. Idempotent. */
    @Override
    void close();

    /** {@code map}'s keys under {@code prefix} as a lazy stream of pages of {@code pageSize}. */
    static Stream<KeyInfo> pages(PortableMap map, byte[] prefix, int pageSize) {
        Iterator<KeyInfo> it = new Iterator<>() {
            private Iterator<KeyInfo> entries = List.<KeyInfo>of().iterator();
            private byte[] cursor = Bytes.EMPTY;
            private boolean last;

            @Override
            public boolean hasNext() {
                while (!entries.hasNext() && !last) {
                    ScanPage p = map.scan(prefix, cursor, pageSize);
                    entries = p.entries().iterator();
                    cursor = p.nextCursor();
                    last = p.done();
                }
                return entries.hasNext();
            }

            @Override
            public KeyInfo next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return entries.next();
            }
        };
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(
                        it, Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL),
                false);
    }
}
