package io.sharedmap.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.server.resp.RespFramer.Command;
import io.sharedmap.server.resp.RespFramer.Event;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of {@link RespFramer}: any sequence of commands, encoded as clients encode them and cut
 * at any byte boundaries, parses back to the same commands in order; arbitrary bytes never make it
 * throw, and never make it allocate more than its limits allow.
 */
class RespFramerPropertyTest {
    private static final int MAX_BULK = 300;
    private static final int MAX_ARGS = 8;

    @Provide
    Arbitrary<List<List<byte[]>>> commands() {
        Arbitrary<byte[]> arg = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(12),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(MAX_BULK));
        return arg.list().ofMinSize(1).ofMaxSize(MAX_ARGS).list().ofMinSize(1).ofMaxSize(20);
    }

    static byte[] encode(List<List<byte[]>> commands) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (List<byte[]> c : commands) {
            out.writeBytes(("*" + c.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (byte[] a : c) {
                out.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.writeBytes(a);
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
        return out.toByteArray();
    }

    /** Feeds {@code input} in pieces cut at {@code cuts} (positions, any order, any repeats). */
    static List<Event> feed(RespFramer f, byte[] input, List<Integer> cuts) {
        List<Integer> points = new ArrayList<>();
        for (int c : cuts) {
            points.add(Math.floorMod(c, input.length + 1));
        }
        points.add(input.length);
        points.sort(Integer::compare);
        List<Event> events = new ArrayList<>();
        ByteBuffer in = ByteBuffer.allocate(input.length);
        int at = 0;
        for (int p : points) {
            in.put(input, at, p - at);
            at = p;
            in.flip();
            Event e;
            while ((e = f.poll(in)) != null) {
                events.add(e);
            }
            in.compact();
        }
        return events;
    }

    @Property(tries = 300)
    void anyCommands_cutAnywhere_parseBackTheSame(
            @ForAll("commands") List<List<byte[]>> commands,
            @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 1 << 20) Integer> cuts) {
        RespFramer f =
                new RespFramer(MAX_ARGS, MAX_BULK, MAX_ARGS * (MAX_BULK + RespFramer.ARG_OVERHEAD_BYTES), byte[]::new);
        List<Event> events = feed(f, encode(commands), cuts);
        assertThat(events).hasSize(commands.size());
        for (int i = 0; i < commands.size(); i++) {
            assertThat(events.get(i)).isInstanceOf(Command.class);
            List<byte[]> got = ((Command) events.get(i)).args();
            assertThat(got).hasSize(commands.get(i).size());
            for (int j = 0; j < got.size(); j++) {
                assertThat(got.get(j)).isEqualTo(commands.get(i).get(j));
            }
        }
        assertThat(f.isIdle()).isTrue();
    }

    @Property(tries = 500)
    void arbitraryBytes_neverThrow_neverAllocateBeyondTheLimits(
            @ForAll @Size(max = 2000) byte[] junk,
            @ForAll @Size(max = 10) List<@IntRange(min = 0, max = 4000) Integer> cuts) {
        AtomicLong allocated = new AtomicLong();
        long maxCommand = MAX_BULK * 2L;
        RespFramer f = new RespFramer(MAX_ARGS, MAX_BULK, maxCommand, n -> {
            assertThat(n).isBetween(0, MAX_BULK);
            allocated.addAndGet(n);
            return new byte[n];
        });
        List<Event> events = feed(f, junk, cuts);
        long commands = events.stream().filter(e -> e instanceof Command).count();
        assertThat(allocated.get()).isLessThanOrEqualTo((commands + 1) * maxCommand);
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof RespFramer.Rejected r) {
                assertThat(r.message()).startsWith("ERR Protocol error: ");
                assertThat(i).as("a rejection is the last event").isEqualTo(events.size() - 1);
            }
        }
    }

    /**
     * Pieces of RESP, well formed or nearly: length lines with leading zeros, signs, too many digits,
     * a bare LF, a missing CR; bulk data with and without its CRLF.
     */
    @Provide
    Arbitrary<List<String>> nearlyResp() {
        Arbitrary<String> number = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 12).map(String::valueOf),
                Arbitraries.of("00", "01", "-1", "-0", "+3", "", "1x", "9999999999999999999", "123456789012345678"));
        Arbitrary<String> end = Arbitraries.of("\r\n", "\r\n", "\r\n", "\n", "\r", "x\r\n");
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.of("*", "$").flatMap(c -> number.flatMap(n -> end.map(e -> c + n + e))),
                Arbitraries.strings().withChars("ab\r\n").ofMaxLength(6));
        return piece.list().ofMaxSize(24);
    }

    /**
     * Whole-buffer parsing reads length lines in place when it can; byte-at-a-time parsing never can.
     * Both must see the same commands and the same rejection, whatever the bytes.
     */
    @Property(tries = 1000)
    void wholeOrByteByByte_sameEvents(@ForAll("nearlyResp") List<String> pieces) {
        byte[] input = String.join("", pieces).getBytes(StandardCharsets.ISO_8859_1);
        List<Integer> everyByte = new ArrayList<>();
        for (int i = 1; i < input.length; i++) {
            everyByte.add(i);
        }
        List<String> whole = describe(feed(new RespFramer(MAX_ARGS, 40, 400, byte[]::new), input, List.of()));
        List<String> bytes = describe(feed(new RespFramer(MAX_ARGS, 40, 400, byte[]::new), input, everyByte));
        assertThat(whole).isEqualTo(bytes);
    }

    private static List<String> describe(List<Event> events) {
        List<String> d = new ArrayList<>();
        for (Event e : events) {
            d.add(
                    switch (e) {
                        case Command c ->
                            c.args().stream()
                                    .map(a -> new String(a, StandardCharsets.ISO_8859_1))
                                    .toList()
                                    .toString();
                        case RespFramer.Rejected r -> "rejected: " + r.message();
                    });
        }
        return d;
    }

    /** Arbitrary bytes after a star: the multibulk path rather than inline. */
    @Property(tries = 500)
    void arbitraryBytesAfterAStar_neverThrow(@ForAll @Size(max = 200) byte[] junk) {
        byte[] input = new byte[junk.length + 1];
        input[0] = '*';
        System.arraycopy(junk, 0, input, 1, junk.length);
        RespFramer f = new RespFramer(MAX_ARGS, MAX_BULK, MAX_BULK * 2L, byte[]::new);
        List<Event> events = feed(f, input, List.of(1, 3, 7));
        assertThat(events.size()).isLessThanOrEqualTo(input.length);
    }
}
