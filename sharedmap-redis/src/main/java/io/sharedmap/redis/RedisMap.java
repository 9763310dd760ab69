package io.sharedmap.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisKeyCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.sharedmap.client.BackendSupport;
import io.sharedmap.client.CasResult;
import io.sharedmap.client.DeleteResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.ScanPage;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMapException;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The sharedmap API on Redis or Valkey: one server ({@code redis://}) or a cluster ({@code
 * redis-cluster://}), through Lettuce.
 *
 * <h2>Mapping</h2>
 *
 * <ul>
 *   <li>A key is the Redis key with the same bytes, holding a hash of two fields: {@code v} the
 *       value, {@code n} the version (decimal). Value and version live in one key, so one slot:
 *       every operation is one Lua script on that key, atomic on its primary, with no hash tags
 *       needed. A key that is not such a hash (written by something else) fails the call ({@code
 *       WRONGTYPE}).
 *   <li>Versions come from the primary's clock: a change's version is the primary's {@code TIME} in
 *       microseconds, or the key's previous version + 1 if that is larger. So a key's versions
 *       increase on every change, and a key deleted and created again starts above its old versions
 *       as long as the primaries' clocks do not go back. Versions of <i>different</i> keys are not
 *       ordered as their changes were (different primaries, different clocks), unlike the local
 *       daemon's and etcd's.
 *   <li>{@link #compareAndSet} and conditional {@link #delete(byte[], long)}: the script compares
 *       the stored version with the expected one (0: the key must not exist) and writes only if
 *       equal, else answers the current version (0 when absent).
 *   <li>{@link #scan}: {@code SCAN} with {@code MATCH prefix*} over every primary that holds slots
 *       in the client's view of the cluster (not Lettuce's cluster scan, which also tries a failed
 *       primary whose slots a replica took over, and fails until the cluster forgets it), the keys
 *       after the cursor sorted in unsigned byte order, the first {@code limit}
 *       kept, then each one's version and value length read. Redis keeps no ordered index, so
 *       <b>every page walks every key under the prefix</b>: fine for thousands, slow for millions.
 * </ul>
 *
 * <h2>Consistency and failures</h2>
 *
 * <p>Per key, on a healthy cluster, operations are atomic and a reply reflects the change. But a
 * primary acknowledges a write before its replicas have it: <b>when a primary fails over, writes it
 * acknowledged can be lost</b>, and a compare-and-set can then succeed against an older version.
 * Not linearizable across failover; see docs/SCALE-OUT.md. No exactly-once resend: a change whose
 * reply was lost (timeout, broken connection) throws {@link
 * io.sharedmap.client.DaemonUnavailableException} and may or may not have been applied.
 */
final class RedisMap implements PortableMap {
    /** Largest value accepted: the local daemon's default (Redis itself takes up to 512 MB). */
    static final int MAX_VALUE_LENGTH = 16 << 20;

    /** Largest scan page. */
    static final int MAX_SCAN_LIMIT = 1000;

    private static final byte[] VALUE = {'v'};
    private static final byte[] VERSION = {'n'};

    /** The next version: the primary's clock in microseconds, above the key's previous version. */
    private static final String NEXT_VERSION = """
            local t = redis.call('TIME')
            local ver = tonumber(t[1]) * 1000000 + tonumber(t[2])
            if old and tonumber(old) >= ver then ver = tonumber(old) + 1 end
            redis.call('HSET', KEYS[1], 'v', value, 'n', string.format('%.0f', ver))
            """;

    /** KEYS[1] key, ARGV[1] value: {created 0|1, version}. */
    private static final String SET = "local old = redis.call('HGET', KEYS[1], 'n')\n"
            + "local value = ARGV[1]\n"
            + NEXT_VERSION
            + "if old then return {0, ver} else return {1, ver} end\n";

    /** KEYS[1] key, ARGV[1] expected version, ARGV[2] value: {applied 0|1, version or current}. */
    private static final String CAS = "local old = redis.call('HGET', KEYS[1], 'n')\n"
            + "if (old or '0') ~= ARGV[1] then return {0, tonumber(old or '0')} end\n"
            + "local value = ARGV[2]\n"
            + NEXT_VERSION
            + "return {1, ver}\n";

    /**
     * KEYS[1] key, ARGV[1] expected version (0: whatever is there): {0 not found | 1 deleted | 2
     * conflict, version}.
     */
    private static final String DELETE = """
            local old = redis.call('HGET', KEYS[1], 'n')
            if ARGV[1] ~= '0' and old ~= ARGV[1] then return {2, tonumber(old or '0')} end
            if not old then return {0, 0} end
            redis.call('DEL', KEYS[1])
            return {1, tonumber(old)}
            """;

    /** KEYS[1] key: {version or false, value length}. */
    private static final String INFO = """
            return {redis.call('HGET', KEYS[1], 'n'), redis.call('HSTRLEN', KEYS[1], 'v')}
            """;

    private final RedisUrl url;
    private final RedisClusterCommands<byte[], byte[]> commands;
    private final AutoCloseable connection;
    /** The cluster connection, for its view of the primaries; null on one server. */
    private final @Nullable StatefulRedisClusterConnection<byte[], byte[]> cluster;

    private final Runnable shutdown;

    private RedisMap(
            RedisUrl url,
            RedisClusterCommands<byte[], byte[]> commands,
            AutoCloseable connection,
            @Nullable StatefulRedisClusterConnection<byte[], byte[]> cluster,
            Runnable shutdown) {
        this.url = url;
        this.commands = commands;
        this.connection = connection;
        this.cluster = cluster;
        this.shutdown = shutdown;
    }

    /** Connects to the server or cluster {@code url} names and checks that it answers. */
    static RedisMap connect(RedisUrl url) {
        List<RedisURI> uris = new ArrayList<>();
        for (RedisUrl.Node n : url.nodes()) {
            RedisURI.Builder b = RedisURI.builder()
                    .withHost(n.host())
                    .withPort(n.port())
                    .withTimeout(url.timeout())
                    .withSsl(url.tls());
            String password = url.password();
            if (password != null) {
                String user = url.user();
                if (user != null) {
                    b.withAuthentication(user, password.toCharArray());
                } else {
                    b.withPassword(password.toCharArray());
                }
            }
            uris.add(b.build());
        }
        SslOptions ssl = sslOptions(url);
        RedisMap map = call("CONNECT", url, false, () -> {
            if (url.cluster()) {
                RedisClusterClient client = RedisClusterClient.create(uris);
                client.setOptions(ClusterClientOptions.builder()
                        .sslOptions(ssl)
                        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                .enableAllAdaptiveRefreshTriggers()
                                .enablePeriodicRefresh(Duration.ofSeconds(10))
                                .build())
                        .build());
                try {
                    StatefulRedisClusterConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
                    return new RedisMap(url, c.sync(), c, c, client::shutdown);
                } catch (RuntimeException e) {
                    client.shutdown();
                    throw e;
                }
            }
            RedisClient client = RedisClient.create(uris.getFirst());
            client.setOptions(ClientOptions.builder().sslOptions(ssl).build());
            try {
                StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
                return new RedisMap(url, c.sync(), c, null, client::shutdown);
            } catch (RuntimeException e) {
                client.shutdown();
                throw e;
            }
        });
        try {
            map.ping();
        } catch (RuntimeException e) {
            map.close();
            throw e;
        }
        return map;
    }

    /** TLS trusting the URL's {@code ca-file} (PEM), else the JDK's certificate authorities. */
    private static SslOptions sslOptions(RedisUrl url) {
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
        String caFile = url.caFile();
        if (caFile != null) {
            if (!Files.isReadable(Path.of(caFile))) {
                throw new IllegalArgumentException(
                        "Redis URL " + RedisUrl.redacted(url.url()) + ": ca-file " + caFile + " cannot be read");
            }
            ssl.trustManager(new File(caFile));
        }
        return ssl.build();
    }

    @Override
    public Optional<Entry> get(byte[] key) {
        BackendSupport.checkKey("GET", key);
        List<KeyValue<byte[], byte[]>> r = call("GET", false, () -> commands.hmget(key, VALUE, VERSION));
        if (r.size() != 2 || !r.get(0).hasValue() || !r.get(1).hasValue()) {
            return Optional.empty();
        }
        return Optional.of(new Entry(r.get(0).getValue(), version(r.get(1).getValue())));
    }

    @Override
    public SetResult set(byte[] key, byte[] value) {
        BackendSupport.checkKey("SET", key);
        BackendSupport.checkValue("SET", value, MAX_VALUE_LENGTH, "Redis backend's");
        List<Object> r = script("SET", true, SET, key, value);
        return new SetResult(number(r, 0) == 1, number(r, 1));
    }

    @Override
    public DeleteResult delete(byte[] key) {
        BackendSupport.checkKey("DELETE", key);
        return delete("DELETE", key, 0);
    }

    @Override
    public DeleteResult delete(byte[] key, long expectedVersion) {
        BackendSupport.checkKey("DELETE", key);
        BackendSupport.checkDeleteVersion(expectedVersion);
        return delete("DELETE", key, expectedVersion);
    }

    private DeleteResult delete(String op, byte[] key, long expectedVersion) {
        List<Object> r = script(op, true, DELETE, key, decimal(expectedVersion));
        long version = number(r, 1);
        return switch ((int) number(r, 0)) {
            case 0 -> new DeleteResult(DeleteResult.Outcome.NOT_FOUND, 0);
            case 1 -> new DeleteResult(DeleteResult.Outcome.DELETED, version);
            default -> new DeleteResult(DeleteResult.Outcome.CONFLICT, version);
        };
    }

    @Override
    public CasResult compareAndSet(byte[] key, long expectedVersion, byte[] value) {
        BackendSupport.checkKey("CAS", key);
        BackendSupport.checkValue("CAS", value, MAX_VALUE_LENGTH, "Redis backend's");
        BackendSupport.checkCasVersion(expectedVersion);
        List<Object> r = script("CAS", true, CAS, key, decimal(expectedVersion), value);
        return number(r, 0) == 1
                ? new CasResult.Applied(expectedVersion == 0, number(r, 1))
                : new CasResult.Conflict(number(r, 1));
    }

    @Override
    public ScanPage scan(byte[] prefix, byte[] cursor, int limit) {
        int pageSize = BackendSupport.checkScan(prefix, cursor, limit, MAX_SCAN_LIMIT);
        ScanArgs args = ScanArgs.Builder.matches(glob(prefix)).limit(1000);
        List<byte[]> candidates = call("SCAN", false, () -> {
            List<byte[]> keys = new ArrayList<>();
            for (RedisKeyCommands<byte[], byte[]> node : primaries()) {
                ScanIterator<byte[]> it = ScanIterator.scan(node, args);
                while (it.hasNext()) {
                    byte[] k = it.next();
                    if (Arrays.compareUnsigned(k, cursor) > 0 && startsWith(k, prefix)) {
                        keys.add(k);
                    }
                }
            }
            return keys;
        });
        candidates.sort(Arrays::compareUnsigned);
        // the same key may be reported twice by SCAN (a rehash meanwhile): each key once
        List<byte[]> page = new ArrayList<>(Math.min(pageSize, candidates.size()));
        int i = 0;
        for (; i < candidates.size() && page.size() < pageSize; i++) {
            if (page.isEmpty() || !Arrays.equals(page.getLast(), candidates.get(i))) {
                page.add(candidates.get(i));
            }
        }
        while (i < candidates.size() && Arrays.equals(candidates.get(i), page.getLast())) {
            i++;
        }
        boolean more = i < candidates.size();
        List<KeyInfo> entries = new ArrayList<>(page.size());
        for (byte[] k : page) {
            List<Object> info = call("SCAN", false, () -> commands.eval(INFO, ScriptOutputType.MULTI, k));
            if (info.size() == 2 && info.get(0) instanceof byte[] version) {
                entries.add(new KeyInfo(k, version(version), (int) number(info, 1)));
            } // else deleted since SCAN saw it
        }
        return new ScanPage(entries, more ? page.getLast() : new byte[0]);
    }

    /**
     * The servers whose keys a scan walks: the one server, or each primary that holds slots in the
     * client's current view of the cluster (a failed primary whose slots a replica took over holds
     * none: its keys are the replica's).
     */
    private List<RedisKeyCommands<byte[], byte[]>> primaries() {
        StatefulRedisClusterConnection<byte[], byte[]> c = cluster;
        if (c == null) {
            return List.of(commands);
        }
        List<RedisKeyCommands<byte[], byte[]>> nodes = new ArrayList<>();
        for (RedisClusterNode node : c.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.hasNoSlots()) {
                nodes.add(c.getConnection(node.getNodeId()).sync());
            }
        }
        return nodes;
    }

    /** {@code prefix*}, with the glob's special characters escaped. */
    static byte[] glob(byte[] prefix) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(prefix.length + 8);
        for (byte c : prefix) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.write('\\');
            }
            b.write(c);
        }
        b.write('*');
        return b.toByteArray();
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public int maxValueLength() {
        return MAX_VALUE_LENGTH;
    }

    @Override
    public int maxScanLimit() {
        return MAX_SCAN_LIMIT;
    }

    @Override
    public void ping() {
        call("PING", false, commands::ping);
    }

    @Override
    public String url() {
        return url.url();
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (Exception e) {
            // closing anyway: the client's shutdown below releases what is left
        } finally {
            shutdown.run();
        }
    }

    @Override
    public String toString() {
        return "RedisMap[" + url + "]";
    }

    private List<Object> script(String op, boolean change, String script, byte[] key, byte[]... args) {
        return call(op, change, () -> commands.eval(script, ScriptOutputType.MULTI, new byte[][] {key}, args));
    }

    private static byte[] decimal(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    private static long version(byte[] decimal) {
        try {
            return Long.parseLong(new String(decimal, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw BackendSupport.failure(
                    "a key's version field is not a number ('" + new String(decimal, StandardCharsets.US_ASCII)
                            + "'): the key was not written by sharedmap",
                    e);
        }
    }

    private static long number(List<Object> reply, int i) {
        if (reply.size() <= i || !(reply.get(i) instanceof Long n)) {
            throw BackendSupport.failure("Redis answered a script with " + reply + ", not numbers", null);
        }
        return n;
    }

    private <T> T call(String op, boolean change, Supplier<T> call) {
        return call(op, url, change, call);
    }

    private static <T> T call(String op, RedisUrl url, boolean change, Supplier<T> call) {
        try {
            return call.get();
        } catch (RedisCommandTimeoutException e) {
            throw BackendSupport.unavailable(
                    op + ": Redis (" + RedisUrl.redacted(url.url()) + ") did not answer within "
                            + url.timeout().toMillis() + " ms" + outcome(change),
                    e);
        } catch (RedisConnectionException | RedisCommandInterruptedException e) {
            throw BackendSupport.unavailable(
                    op + ": Redis (" + RedisUrl.redacted(url.url()) + ") " + describe(e) + rootCause(e)
                            + outcome(change),
                    e);
        } catch (RedisCommandExecutionException e) {
            throw failure(op, url, e);
        } catch (RedisException e) {
            throw BackendSupport.unavailable(
                    op + ": Redis (" + RedisUrl.redacted(url.url()) + ") " + describe(e) + outcome(change), e);
        }
    }

    private static SharedMapException failure(String op, RedisUrl url, RedisCommandExecutionException e) {
        String what = op + ": Redis (" + RedisUrl.redacted(url.url()) + ") refused: " + describe(e);
        String m = String.valueOf(e.getMessage());
        if (m.startsWith("NOPERM") || m.startsWith("NOAUTH") || m.startsWith("WRONGPASS")) {
            return BackendSupport.permissionDenied(what + " (Redis ACLs: grant this user the keys and EVAL)");
        }
        return BackendSupport.failure(what, e);
    }

    private static String outcome(boolean change) {
        return change ? "; the change may or may not have been applied (Redis has no exactly-once resend)" : "";
    }

    /** The innermost cause's message in parentheses (a refused TLS certificate, a refused connection), or "". */
    private static String rootCause(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root == t || m == null || String.valueOf(t.getMessage()).contains(m) ? "" : " (" + m + ")";
    }

    private static String describe(@Nullable Throwable t) {
        if (t == null) {
            return "failed";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
