package io.sharedmap.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.protocol.FrameDescriptor;
import io.sharedmap.server.testing.TestDaemon;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every operation and result type against a real in-process daemon. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SharedMapTest {
    private TestDaemon daemon;
    private SharedMap map;

    @BeforeEach
    void start() throws Exception {
        daemon = TestDaemon.start();
        map = SharedMap.connect(daemon.socket);
    }

    @AfterEach
    void stop() throws Exception {
        map.close();
        daemon.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void get_missingKey_isEmpty() {
        assertThat(map.get("nothing")).isEmpty();
    }

    @Test
    void set_newKey_createsThenUpdatesWithIncreasingVersions() {
        SetResult first = map.set("k", "v1");
        SetResult second = map.set("k", "v2");

        assertThat(first.created()).isTrue();
        assertThat(first.version()).isPositive();
        assertThat(second.created()).isFalse();
        assertThat(second.version()).isGreaterThan(first.version());
        assertThat(map.get("k")).contains(new Entry(b("v2"), second.version()));
        assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("v2");
    }

    @Test
    void set_emptyValue_isStoredAsEmpty() {
        map.set(b("empty"), new byte[0]);

        assertThat(map.get("empty").orElseThrow().value()).isEmpty();
    }

    @Test
    void set_binaryKeyAndValue_roundTripExactly() {
        byte[] key = new byte[256];
        byte[] value = new byte[512];
        for (int i = 0; i < 256; i++) {
            key[i] = (byte) i;
            value[i] = (byte) (255 - i);
            value[256 + i] = (byte) i;
        }
        key[0] = 0;

        long version = map.set(key, value).version();

        assertThat(map.get(key)).contains(new Entry(value, version));
        assertThat(map.keys(new byte[] {0}).map(KeyInfo::key).toList())
                .singleElement()
                .isEqualTo(key);
    }

    @Test
    void set_valuesLargerThanTheConnectionBuffer_roundTrip() {
        Random random = new Random(42);
        for (int size : new int[] {Connection.BUFFER_BYTES - 20 - 3, Connection.BUFFER_BYTES, 1 << 20, 5_000_001}) {
            byte[] value = new byte[size];
            random.nextBytes(value);
            map.set(b("big"), value);
            assertThat(map.get("big").orElseThrow().value()).as("size %d", size).isEqualTo(value);
        }
    }

    @Test
    void set_maxKeyLength_isAccepted() {
        byte[] key = new byte[FrameDescriptor.MAX_KEY_LENGTH];
        Arrays.fill(key, (byte) 'x');

        assertThat(map.set(key, b("v")).created()).isTrue();
        assertThat(map.get(key)).isPresent();
    }

    @Test
    void delete_existingKey_returnsDeletedWithItsVersion() {
        long version = map.set("k", "v").version();

        assertThat(map.delete("k")).isEqualTo(new DeleteResult(DeleteResult.Outcome.DELETED, version));
        assertThat(map.get("k")).isEmpty();
    }

    @Test
    void delete_missingKey_returnsNotFound() {
        DeleteResult result = map.delete("k");

        assertThat(result.outcome()).isEqualTo(DeleteResult.Outcome.NOT_FOUND);
        assertThat(result.deleted()).isFalse();
    }

    @Test
    void delete_withMatchingVersion_deletes() {
        long version = map.set("k", "v").version();

        assertThat(map.delete(b("k"), version).outcome()).isEqualTo(DeleteResult.Outcome.DELETED);
    }

    @Test
    void delete_withStaleVersion_conflictsWithCurrentVersion() {
        long old = map.set("k", "v1").version();
        long current = map.set("k", "v2").version();

        assertThat(map.delete(b("k"), old)).isEqualTo(new DeleteResult(DeleteResult.Outcome.CONFLICT, current));
        assertThat(map.get("k")).isPresent();
    }

    @Test
    void compareAndSet_absentKeyWithZero_creates() {
        CasResult result = map.compareAndSet("k", 0, "v");

        assertThat(result)
                .isInstanceOfSatisfying(
                        CasResult.Applied.class, a -> assertThat(a.created()).isTrue());
        assertThat(map.get("k").orElseThrow().version()).isEqualTo(((CasResult.Applied) result).version());
    }

    @Test
    void compareAndSet_presentKeyWithZero_conflicts() {
        long version = map.set("k", "v").version();

        assertThat(map.compareAndSet("k", 0, "w")).isEqualTo(new CasResult.Conflict(version));
    }

    @Test
    void compareAndSet_matchingVersion_updates() {
        long version = map.set("k", "v").version();

        CasResult result = map.compareAndSet(b("k"), version, b("w"));

        assertThat(result).isInstanceOfSatisfying(CasResult.Applied.class, a -> {
            assertThat(a.created()).isFalse();
            assertThat(a.version()).isGreaterThan(version);
        });
        assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("w");
    }

    @Test
    void compareAndSet_absentKeyWithVersion_conflictsWithZero() {
        assertThat(map.compareAndSet("k", 7, "v")).isEqualTo(new CasResult.Conflict(0));
    }

    @Test
    void scan_pages_coverEveryKeyOnceInOrder() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String key = String.format("p:%03d", i);
            map.set(key, "v" + i);
            expected.add(key);
        }
        map.set("other", "x");

        List<String> seen = new ArrayList<>();
        byte[] cursor = new byte[0];
        int pages = 0;
        ScanPage page;
        do {
            page = map.scan(b("p:"), cursor, 10);
            assertThat(page.entries()).hasSizeLessThanOrEqualTo(10);
            page.entries().forEach(k -> seen.add(k.keyAsString()));
            cursor = page.nextCursor();
            pages++;
        } while (!page.done());

        assertThat(seen).isEqualTo(expected);
        assertThat(pages).isBetween(3, 4);
    }

    @Test
    void scan_entries_carryVersionAndValueLength() {
        long version = map.set("k", "12345").version();

        ScanPage page = map.scan(new byte[0], new byte[0], 0);

        assertThat(page.entries()).containsExactly(new KeyInfo(b("k"), version, 5));
        assertThat(page.done()).isTrue();
    }

    @Test
    void keys_manyPages_streamsAllLazily() {
        int n = 2_500; // more than two pages of the largest size
        try (Pipeline p = map.pipelined()) {
            for (int i = 0; i < n; i++) {
                p.set(b(String.format("k%05d", i)), b("v"));
            }
        }

        assertThat(map.keys(new byte[0]).count()).isEqualTo(n);
        assertThat(map.keys(b("k0")).limit(3).map(KeyInfo::keyAsString)).containsExactly("k00000", "k00001", "k00002");
        assertThat(map.keys(b("k01")).count()).isEqualTo(1000);
        assertThat(map.keys(b("nope")).count()).isZero();
    }

    @Test
    void ping_daemonUp_returns() {
        map.ping();
    }

    @Test
    void stats_afterWrites_reportPidSocketAndKeys() {
        map.set("a", "1");
        map.set("b", "2");

        Map<String, String> stats = map.stats();

        assertThat(stats)
                .containsEntry("pid", Long.toString(ProcessHandle.current().pid()))
                .containsEntry("keys", "2")
                .containsKeys("socket", "data_dir", "uptime_ms");
    }

    @Test
    void maxValueLength_default_comesFromHello() {
        assertThat(map.maxValueLength()).isEqualTo(FrameDescriptor.DEFAULT_MAX_VALUE_LENGTH);
        assertThat(map.socket()).isEqualTo(daemon.socket);
    }

    @Test
    void records_withArrays_compareByContent() {
        assertThat(new Entry(b("x"), 1))
                .isEqualTo(new Entry(b("x"), 1))
                .hasSameHashCodeAs(new Entry(b("x"), 1))
                .isNotEqualTo(new Entry(b("y"), 1))
                .isNotEqualTo(new Entry(b("x"), 2));
        assertThat(new KeyInfo(b("k"), 1, 2))
                .isEqualTo(new KeyInfo(b("k"), 1, 2))
                .hasSameHashCodeAs(new KeyInfo(b("k"), 1, 2))
                .isNotEqualTo(new KeyInfo(b("k"), 1, 3));
        assertThat(new ScanPage(List.of(), b("c")))
                .isEqualTo(new ScanPage(List.of(), b("c")))
                .isNotEqualTo(new ScanPage(List.of(), new byte[0]));
        assertThat(new Entry(new byte[] {0, (byte) 0xFF}, 3).toString()).contains("0x00ff");
        assertThat(new KeyInfo(b("user:1"), 3, 4).toString()).contains("\"user:1\"");
    }

    @Test
    void set_afterManyCalls_reusesOnePooledConnection() {
        for (int i = 0; i < 50; i++) {
            map.set("k", "v" + i);
        }
        // one connection made by connect(), reused by every call from this thread
        assertThat(Long.parseLong(map.stats().get("connections_total"))).isEqualTo(1);
    }
}
