package io.sharedmap.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.sharedmap.client.BackendSupport;
import io.sharedmap.client.CasResult;
import io.sharedmap.client.DeleteResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.PermissionDeniedException;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.ScanPage;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMapException;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * The sharedmap API on an etcd cluster (v3 API, through jetcd).
 *
 * <h2>Mapping</h2>
 *
 * <ul>
 *   <li>A key is the etcd key with the same bytes; an entry's version is the key's {@code
 *       mod_revision}: the cluster-wide revision of the change that wrote it, so versions increase
 *       on every change, across keys, as the local daemon's do.
 *   <li>{@link #set}: {@code Put} with {@code prev_kv} (created when there was none); {@link
 *       #delete(byte[])}: {@code DeleteRange} of the one key with {@code prev_kv}.
 *   <li>{@link #compareAndSet}: one {@code Txn}: if {@code mod_revision(key) == expected} (expected
 *       0: {@code create_revision(key) == 0}, the key does not exist) then {@code Put}, else {@code
 *       Range} of the key, whose {@code mod_revision} (0 when absent) is the conflict's current
 *       version. {@link #delete(byte[], long)}: the same {@code Txn} with {@code DeleteRange}; an
 *       absent key is a conflict with version 0, as on the local daemon.
 *   <li>{@link #scan}: {@code Range} from the prefix (or just after the cursor) to the prefix's end,
 *       in key order (etcd's byte order is unsigned, as ours), read in chunks of {@value
 *       #SCAN_CHUNK} keys all at the revision of the page's first chunk, so one page is one snapshot
 *       and each key appears at most once across pages (the cursor is the page's last key).
 * </ul>
 *
 * <h2>Consistency and failures</h2>
 *
 * <p>Every read is linearizable (not {@code serializable}), every change goes through Raft: once a
 * call returned, every later call of any process sees that change or a later one, as on the local
 * daemon. A call waits at most its timeout (30 s, {@code ?timeout-ms=} in the URL); jetcd retries
 * reads on another member, never a {@code Put}, {@code DeleteRange} or {@code Txn} (they are not
 * idempotent). There is no session and no exactly-once resend: a change whose answer was lost (a
 * member killed, a timeout) throws {@link io.sharedmap.client.DaemonUnavailableException} and may or
 * may not have been applied; read the key (or compare-and-set) to find out.
 *
 * <h2>Limits</h2>
 *
 * <p>Keys 1 to 1024 bytes, as locally. Values up to {@value #MAX_VALUE_LENGTH} bytes: etcd refuses
 * requests over its {@code --max-request-bytes} (1.5 MiB by default), and this leaves room for the
 * key and the transaction around it.
 */
final class EtcdMap implements PortableMap {
    /** Largest value accepted: 1 MiB, under etcd's default 1.5 MiB request limit. */
    static final int MAX_VALUE_LENGTH = 1 << 20;

    /** Largest scan page. */
    static final int MAX_SCAN_LIMIT = 1000;

    /** Keys fetched (with their values) per range request of a scan page. */
    static final int SCAN_CHUNK = 64;

    /** Room for one scan chunk of the largest values, and the gRPC framing around it. */
    private static final int MAX_INBOUND_BYTES = SCAN_CHUNK * (MAX_VALUE_LENGTH + 2048) + (1 << 20);

    private static final byte[] ALL_KEYS_END = {0};

    private final EtcdUrl url;
    private final Client client;
    private final KV kv;

    private EtcdMap(EtcdUrl url, Client client) {
        this.url = url;
        this.client = client;
        this.kv = client.getKVClient();
    }

    /** Connects to the members {@code url} names and checks that the cluster answers a read. */
    static EtcdMap connect(EtcdUrl url) {
        ClientBuilder builder = Client.builder()
                .endpoints(url.endpoints().toArray(String[]::new))
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                .connectTimeout(url.timeout())
                .retryMaxDuration(url.timeout());
        if (url.tls()) {
            String caFile = url.caFile();
            if (caFile != null && !Files.isReadable(Path.of(caFile))) {
                throw new IllegalArgumentException("etcd URL " + EtcdUrl.redacted(URI.create(url.url())) + ": ca-file "
                        + caFile + " cannot be read");
            }
            try {
                builder.sslContext(tls -> {
                    if (caFile != null) {
                        tls.trustManager(new File(caFile));
                    }
                });
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "etcd URL " + EtcdUrl.redacted(URI.create(url.url())) + ": cannot set up TLS"
                                + (caFile != null ? " with ca-file " + caFile : "") + ": " + e.getMessage(),
                        e);
            }
        }
        String user = url.user();
        String password = url.password();
        if (user != null && password != null) {
            builder.user(bytes(user.getBytes(StandardCharsets.UTF_8)))
                    .password(bytes(password.getBytes(StandardCharsets.UTF_8)));
        }
        EtcdMap map = new EtcdMap(url, builder.build());
        try {
            map.ping();
        } catch (RuntimeException e) {
            map.close();
            throw e;
        }
        return map;
    }

    @Override
    public Optional<Entry> get(byte[] key) {
        BackendSupport.checkKey("GET", key);
        GetResponse r = await("GET", false, kv.get(bytes(key)));
        List<KeyValue> kvs = r.getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(entry(kvs.getFirst()));
    }

    @Override
    public SetResult set(byte[] key, byte[] value) {
        BackendSupport.checkKey("SET", key);
        BackendSupport.checkValue("SET", value, MAX_VALUE_LENGTH, "etcd backend's");
        PutResponse r = await(
                "SET",
                true,
                kv.put(
                        bytes(key),
                        bytes(value),
                        PutOption.builder().withPrevKV().build()));
        return new SetResult(!r.hasPrevKv(), r.getHeader().getRevision());
    }

    @Override
    public DeleteResult delete(byte[] key) {
        BackendSupport.checkKey("DELETE", key);
        DeleteResponse r = await(
                "DELETE",
                true,
                kv.delete(bytes(key), DeleteOption.builder().withPrevKV(true).build()));
        return r.getPrevKvs().isEmpty()
                ? new DeleteResult(DeleteResult.Outcome.NOT_FOUND, 0)
                : new DeleteResult(
                        DeleteResult.Outcome.DELETED, r.getPrevKvs().getFirst().getModRevision());
    }

    @Override
    public DeleteResult delete(byte[] key, long expectedVersion) {
        BackendSupport.checkKey("DELETE", key);
        BackendSupport.checkDeleteVersion(expectedVersion);
        ByteSequence k = bytes(key);
        TxnResponse r = await(
                "DELETE",
                true,
                kv.txn()
                        .If(versionIs(k, expectedVersion))
                        .Then(Op.delete(k, DeleteOption.DEFAULT))
                        .Else(Op.get(k, GetOption.DEFAULT))
                        .commit());
        return r.isSucceeded()
                ? new DeleteResult(DeleteResult.Outcome.DELETED, expectedVersion)
                : new DeleteResult(DeleteResult.Outcome.CONFLICT, currentVersion(r));
    }

    @Override
    public CasResult compareAndSet(byte[] key, long expectedVersion, byte[] value) {
        BackendSupport.checkKey("CAS", key);
        BackendSupport.checkValue("CAS", value, MAX_VALUE_LENGTH, "etcd backend's");
        BackendSupport.checkCasVersion(expectedVersion);
        ByteSequence k = bytes(key);
        TxnResponse r = await(
                "CAS",
                true,
                kv.txn()
                        .If(versionIs(k, expectedVersion))
                        .Then(Op.put(k, bytes(value), PutOption.DEFAULT))
                        .Else(Op.get(k, GetOption.DEFAULT))
                        .commit());
        return r.isSucceeded()
                ? new CasResult.Applied(expectedVersion == 0, r.getHeader().getRevision())
                : new CasResult.Conflict(currentVersion(r));
    }

    /** The comparison behind CAS and conditional delete: 0 means "does not exist". */
    private static Cmp versionIs(ByteSequence key, long expectedVersion) {
        return expectedVersion == 0
                ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0))
                : new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedVersion));
    }

    /** The Else branch's read: the key's mod_revision, 0 when absent. */
    private static long currentVersion(TxnResponse r) {
        List<GetResponse> gets = r.getGetResponses();
        if (gets.isEmpty()) {
            throw BackendSupport.failure("etcd answered a failed transaction without its read", null);
        }
        List<KeyValue> kvs = gets.getFirst().getKvs();
        return kvs.isEmpty() ? 0 : kvs.getFirst().getModRevision();
    }

    @Override
    public ScanPage scan(byte[] prefix, byte[] cursor, int limit) {
        int pageSize = BackendSupport.checkScan(prefix, cursor, limit, MAX_SCAN_LIMIT);
        byte[] start = prefix.length == 0 ? ALL_KEYS_END : prefix;
        if (cursor.length > 0) {
            byte[] after = Arrays.copyOf(cursor, cursor.length + 1); // the smallest key after the cursor
            if (Arrays.compareUnsigned(after, start) > 0) {
                start = after;
            }
        }
        ByteSequence end = bytes(prefixEnd(prefix));
        List<KeyInfo> entries = new ArrayList<>(Math.min(pageSize, SCAN_CHUNK));
        long revision = 0; // the page's snapshot: the first chunk's revision
        boolean more = true;
        while (entries.size() < pageSize && more) {
            int chunk = Math.min(SCAN_CHUNK, pageSize - entries.size());
            GetOption.Builder option = GetOption.builder()
                    .withRange(end)
                    .withLimit(chunk)
                    .withSortField(GetOption.SortTarget.KEY)
                    .withSortOrder(GetOption.SortOrder.ASCEND);
            if (revision != 0) {
                option.withRevision(revision);
            }
            GetResponse r = await("SCAN", false, kv.get(bytes(start), option.build()));
            revision = revision != 0 ? revision : r.getHeader().getRevision();
            for (KeyValue e : r.getKvs()) {
                entries.add(new KeyInfo(
                        e.getKey().getBytes(), e.getModRevision(), e.getValue().size()));
            }
            more = r.isMore() && !r.getKvs().isEmpty();
            if (more) {
                byte[] last = r.getKvs().getLast().getKey().getBytes();
                start = Arrays.copyOf(last, last.length + 1);
            }
        }
        byte[] next = more ? entries.getLast().key() : new byte[0];
        return new ScanPage(entries, next);
    }

    /** The first key after every key that starts with {@code prefix}; {@code \0} (etcd: no end) if none. */
    static byte[] prefixEnd(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xFF) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return ALL_KEYS_END;
    }

    @Override
    public int maxValueLength() {
        return MAX_VALUE_LENGTH;
    }

    @Override
    public int maxScanLimit() {
        return MAX_SCAN_LIMIT;
    }

    /**
     * A linearizable count of one key: the cluster has a leader and answers through Raft. A user
     * whom etcd's RBAC does not let read that key is refused only after the read went through Raft
     * (etcd checks permissions after the linearizable read's barrier), so the refusal is an answer too.
     */
    @Override
    public void ping() {
        try {
            await(
                    "PING",
                    false,
                    kv.get(
                            bytes(ALL_KEYS_END),
                            GetOption.builder().withCountOnly(true).build()));
        } catch (PermissionDeniedException answered) {
            // the cluster answered; this user may simply not read the key
        }
    }

    @Override
    public String url() {
        return url.url();
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "EtcdMap[" + url + "]";
    }

    private static ByteSequence bytes(byte[] b) {
        return ByteSequence.from(b);
    }

    private static Entry entry(KeyValue e) {
        return new Entry(e.getValue().getBytes(), e.getModRevision());
    }

    /** Waits for {@code f} at most the URL's timeout, mapping etcd's failures to the client's exceptions. */
    private <T> T await(String op, boolean change, CompletableFuture<T> f) {
        try {
            return f.get(url.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw BackendSupport.unavailable(op + " on " + this + " was interrupted" + outcome(change), e);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw BackendSupport.unavailable(
                    op + ": etcd (" + endpoints() + ") did not answer within "
                            + url.timeout().toMillis() + " ms" + outcome(change),
                    e);
        } catch (ExecutionException e) {
            throw failure(op, change, e.getCause() != null ? e.getCause() : e);
        }
    }

    private SharedMapException failure(String op, boolean change, Throwable cause) {
        Status.Code code = Status.fromThrowable(cause).getCode();
        if (cause instanceof EtcdException etcd) {
            code = Status.Code.valueOf(etcd.getErrorCode().name());
        }
        String what = op + ": etcd (" + endpoints() + ") " + describe(cause);
        if (code == Status.Code.UNKNOWN && connectionBroke(cause)) {
            // gRPC reports a connection closed under a call (a member killed) as UNKNOWN
            code = Status.Code.UNAVAILABLE;
        }
        return switch (code) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED ->
                BackendSupport.unavailable(what + outcome(change), cause);
            case PERMISSION_DENIED, UNAUTHENTICATED ->
                BackendSupport.permissionDenied(what + " (etcd's RBAC: grant this user the key's range)");
            case RESOURCE_EXHAUSTED -> BackendSupport.tooLarge(what + " (etcd's --max-request-bytes)");
            default ->
                what.contains("too large")
                        ? BackendSupport.tooLarge(what + " (etcd's --max-request-bytes)")
                        : BackendSupport.failure(what, cause);
        };
    }

    /** Whether {@code t} or a cause of it is the connection's I/O failing (a closed channel, a reset). */
    private static boolean connectionBroke(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return String.valueOf(t.getMessage()).contains("channel closed");
    }

    private static String outcome(boolean change) {
        return change ? "; the change may or may not have been applied (etcd has no exactly-once resend)" : "";
    }

    private String endpoints() {
        return String.join(",", url.endpoints());
    }

    private static String describe(@Nullable Throwable t) {
        if (t == null) {
            return "failed";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
