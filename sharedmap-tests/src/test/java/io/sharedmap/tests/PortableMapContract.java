package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.DeleteResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.InvalidRequestException;
import io.sharedmap.client.KeyInfo;
import io.sharedmap.client.LimitExceededException;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.ScanPage;
import io.sharedmap.client.SetResult;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The one contract of {@link PortableMap}, run against every backend (a subclass per backend opens
 * a map on a real engine): the same calls must give the same answers, up to the versions' values.
 * Each test works under a prefix of its own, so backends shared by a class's tests need no cleanup.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class PortableMapContract {
    private static final Comparator<byte[]> UNSIGNED = Arrays::compareUnsigned;

    /** A map on this backend's engine, fresh for each test. */
    abstract PortableMap open();

    /**
     * Whether versions of different keys increase in the order of their changes (the local daemon's
     * and etcd's are one store-wide counter; Redis's come from each primary's clock).
     */
    boolean versionsOrderedAcrossKeys() {
        return true;
    }

    PortableMap map;
    String prefix;

    @BeforeEach
    void openMap() {
        map = open();
        prefix = "contract-" + UUID.randomUUID() + "/";
    }

    @AfterEach
    void closeMap() {
        if (map != null) {
            map.close();
        }
    }

    private byte[] key(String suffix) {
        return (prefix + suffix).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void set_everyByteValueInKeyAndValue_getReturnsTheSameBytes() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        ByteArrayOutputStream k = new ByteArrayOutputStream();
        k.writeBytes(key("binary-"));
        k.writeBytes(all);
        byte[] binaryKey = k.toByteArray();

        SetResult set = map.set(binaryKey, all);

        assertThat(set.created()).isTrue();
        Entry e = map.get(binaryKey).orElseThrow();
        assertThat(e.value()).isEqualTo(all);
        assertThat(e.version()).isEqualTo(set.version()).isPositive();
        assertThat(map.keys(key("binary-")).map(KeyInfo::key).toList())
                .singleElement()
                .isEqualTo(binaryKey);
    }

    @Test
    void set_emptyValue_isStoredAndDistinctFromAbsent() {
        map.set(key("empty"), new byte[0]);

        assertThat(map.get(key("empty")).orElseThrow().value()).isEmpty();
        assertThat(map.get(key("never-set"))).isEmpty();
    }

    @Test
    void set_valueOfTheBackendsLimit_roundTrips_andOneByteMoreIsRefused() {
        int max = Math.min(map.maxValueLength(), 16 << 20);
        byte[] large = new byte[max];
        for (int i = 0; i < large.length; i++) {
            large[i] = (byte) (i * 31 + (i >>> 11));
        }
        map.set(key("large"), large);
        assertThat(map.get(key("large")).orElseThrow().value()).isEqualTo(large);

        byte[] tooLarge = new byte[map.maxValueLength() + 1];
        assertThatThrownBy(() -> map.set(key("too-large"), tooLarge))
                .isInstanceOf(LimitExceededException.class)
                .hasMessageContaining("exceeds");
        assertThat(map.get(key("too-large"))).isEmpty();
    }

    @Test
    void set_repeatedly_versionIncreasesOnEveryChange() {
        SetResult first = map.set(key("v"), "1".getBytes(StandardCharsets.UTF_8));
        SetResult other = map.set(key("other"), "x".getBytes(StandardCharsets.UTF_8));
        SetResult second = map.set(key("v"), "2".getBytes(StandardCharsets.UTF_8));
        CasResult third = map.compareAndSet(key("v"), second.version(), "3".getBytes(StandardCharsets.UTF_8));

        assertThat(first.created()).isTrue();
        assertThat(second.created()).isFalse();
        assertThat(second.version()).isGreaterThan(first.version());
        if (versionsOrderedAcrossKeys()) {
            assertThat(other.version()).isGreaterThan(first.version());
            assertThat(second.version()).isGreaterThan(other.version());
        }
        assertThat(third).isInstanceOfSatisfying(CasResult.Applied.class, a -> {
            assertThat(a.created()).isFalse();
            assertThat(a.version()).isGreaterThan(second.version());
            assertThat(map.get(key("v")).orElseThrow().version()).isEqualTo(a.version());
        });
    }

    @Test
    void compareAndSet_expectedZero_createsOnlyIfAbsent() {
        CasResult created = map.compareAndSet(key("c"), 0, "a".getBytes(StandardCharsets.UTF_8));
        assertThat(created).isInstanceOf(CasResult.Applied.class);
        CasResult.Applied a = (CasResult.Applied) created;
        assertThat(a.created()).isTrue();

        CasResult again = map.compareAndSet(key("c"), 0, "b".getBytes(StandardCharsets.UTF_8));

        assertThat(again).isEqualTo(new CasResult.Conflict(a.version()));
        assertThat(map.get(key("c")).orElseThrow())
                .isEqualTo(new Entry("a".getBytes(StandardCharsets.UTF_8), a.version()));
    }

    @Test
    void compareAndSet_staleVersion_conflictReportsTheCurrentVersion_andWritesNothing() {
        long v1 = map.set(key("c"), "1".getBytes(StandardCharsets.UTF_8)).version();
        CasResult applied = map.compareAndSet(key("c"), v1, "2".getBytes(StandardCharsets.UTF_8));
        long v2 = ((CasResult.Applied) applied).version();

        CasResult stale = map.compareAndSet(key("c"), v1, "3".getBytes(StandardCharsets.UTF_8));
        CasResult absent = map.compareAndSet(key("absent"), v1, "4".getBytes(StandardCharsets.UTF_8));

        assertThat(v2).isGreaterThan(v1);
        assertThat(stale).isEqualTo(new CasResult.Conflict(v2));
        assertThat(absent).isEqualTo(new CasResult.Conflict(0));
        assertThat(map.get(key("c")).orElseThrow().valueAsString()).isEqualTo("2");
        assertThat(map.get(key("absent"))).isEmpty();
    }

    @Test
    void delete_conditional_onlyTheExpectedVersionDeletes() {
        long v1 = map.set(key("d"), "1".getBytes(StandardCharsets.UTF_8)).version();
        long v2 = map.set(key("d"), "2".getBytes(StandardCharsets.UTF_8)).version();

        assertThat(map.delete(key("d"), v1)).isEqualTo(new DeleteResult(DeleteResult.Outcome.CONFLICT, v2));
        assertThat(map.get(key("d"))).isPresent();
        assertThat(map.delete(key("d"), v2)).isEqualTo(new DeleteResult(DeleteResult.Outcome.DELETED, v2));
        assertThat(map.get(key("d"))).isEmpty();
        assertThat(map.delete(key("d"), v2)).isEqualTo(new DeleteResult(DeleteResult.Outcome.CONFLICT, 0));
    }

    @Test
    void delete_unconditional_reportsTheRemovedVersionOrNotFound() {
        long v = map.set(key("u"), "1".getBytes(StandardCharsets.UTF_8)).version();

        assertThat(map.delete(key("u"))).isEqualTo(new DeleteResult(DeleteResult.Outcome.DELETED, v));
        assertThat(map.delete(key("u"))).isEqualTo(new DeleteResult(DeleteResult.Outcome.NOT_FOUND, 0));
        assertThat(map.get(key("u"))).isEmpty();

        CasResult recreated = map.compareAndSet(key("u"), 0, "again".getBytes(StandardCharsets.UTF_8));
        assertThat(recreated)
                .isInstanceOfSatisfying(
                        CasResult.Applied.class, a -> assertThat(a.version()).isGreaterThan(v));
    }

    @Test
    void scan_smallPages_coverEveryKeyOnceInUnsignedOrder() {
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 57; i++) {
            byte[] k = key("s/" + i);
            map.set(k, new byte[i]);
            expected.add(k);
        }
        byte[] high = key("s/\u00ff"); // a UTF-8 key with bytes >= 0x80: after every ASCII key, unsigned
        map.set(high, new byte[3]);
        expected.add(high);
        map.set(key("s"), new byte[1]); // the prefix without its slash: outside
        map.set(key("s0"), new byte[1]); // '0' follows '/': outside, just after the prefix's range
        expected.sort(UNSIGNED);

        List<byte[]> seen = new ArrayList<>();
        Set<String> distinct = new HashSet<>();
        byte[] cursor = new byte[0];
        int pages = 0;
        do {
            ScanPage page = map.scan(key("s/"), cursor, 5);
            assertThat(page.entries()).hasSizeLessThanOrEqualTo(5);
            for (KeyInfo info : page.entries()) {
                seen.add(info.key());
                assertThat(distinct.add(Arrays.toString(info.key())))
                        .as("each key once")
                        .isTrue();
                Entry e = map.get(info.key()).orElseThrow();
                assertThat(info.version()).isEqualTo(e.version());
                assertThat(info.valueLength()).isEqualTo(e.value().length);
            }
            cursor = page.nextCursor();
            assertThat(++pages).as("pages of a 58-key scan").isLessThanOrEqualTo(20);
        } while (cursor.length > 0);

        assertThat(seen).usingElementComparator(UNSIGNED).containsExactlyElementsOf(expected);
        assertThat(map.keys(key("s/")).map(KeyInfo::key).toList())
                .usingElementComparator(UNSIGNED)
                .containsExactlyElementsOf(expected);
    }

    @Test
    void scan_absentPrefix_isOneEmptyLastPage() {
        ScanPage page = map.scan(key("nothing-here/"), new byte[0], 10);

        assertThat(page.entries()).isEmpty();
        assertThat(page.done()).isTrue();
    }

    @Test
    void get_absentKey_isEmpty() {
        assertThat(map.get(key("absent"))).isEqualTo(Optional.empty());
    }

    @Test
    void badArguments_areRefusedAlikeBeforeAnythingIsSent() {
        byte[] v = "v".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> map.set(new byte[0], v))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("key is empty");
        assertThatThrownBy(() -> map.get(new byte[1025]))
                .isInstanceOf(LimitExceededException.class)
                .hasMessageContaining("1024");
        assertThatThrownBy(() -> map.compareAndSet(key("x"), -1, v))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> map.delete(key("x"), 0))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not a version");
        assertThatThrownBy(() -> map.scan(key(""), new byte[0], map.maxScanLimit() + 1))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("page size");
        assertThat(map.get(key("x"))).isEmpty();
    }
}
