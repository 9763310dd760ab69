package io.sharedmap.server.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.server.resp.RespFramer.Command;
import io.sharedmap.server.resp.RespFramer.Event;
import io.sharedmap.server.resp.RespFramer.Rejected;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link RespFramer} fed from memory: whole, pipelined, byte by byte, inline, and every rejection. */
class RespFramerTest {
    private static final int MAX_BULK = 1000;

    static RespFramer framer() {
        return new RespFramer(16, MAX_BULK, MAX_BULK + 100, byte[]::new);
    }

    /** Every event {@code input} yields, fed {@code chunk} bytes at a time; "CMD a b" or "REJ message". */
    static List<String> events(RespFramer f, byte[] input, int chunk) {
        List<String> out = new ArrayList<>();
        ByteBuffer in = ByteBuffer.allocate(input.length + 1);
        for (int off = 0; off < input.length; off += chunk) {
            in.put(input, off, Math.min(chunk, input.length - off));
            in.flip();
            Event e;
            while ((e = f.poll(in)) != null) {
                out.add(describe(e));
            }
            in.compact();
        }
        return out;
    }

    static String describe(Event e) {
        return switch (e) {
            case Command c -> {
                StringBuilder b = new StringBuilder("CMD");
                for (byte[] a : c.args()) {
                    b.append(' ').append(new String(a, StandardCharsets.ISO_8859_1));
                }
                yield b.toString();
            }
            case Rejected r -> "REJ " + r.message();
        };
    }

    private static List<String> events(String input) {
        return events(framer(), input.getBytes(StandardCharsets.ISO_8859_1), Integer.MAX_VALUE / 2);
    }

    @Test
    void multibulk_pipelined_answersEveryCommandInOrder() {
        String two = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
        assertThat(events(two)).containsExactly("CMD PING", "CMD SET k ");
    }

    @Test
    void multibulk_byteByByte_sameCommands() {
        byte[] two = "*2\r\n$3\r\nGET\r\n$5\r\nab\r\nc\r\n*1\r\n$4\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII);
        RespFramer f = framer();
        assertThat(events(f, two, 1)).containsExactly("CMD GET ab\r\nc", "CMD QUIT");
        assertThat(f.isIdle()).isTrue();
    }

    @Test
    void multibulk_partial_isNotIdle() {
        RespFramer f = framer();
        assertThat(events(f, "*2\r\n$3\r\nGE".getBytes(StandardCharsets.US_ASCII), 100))
                .isEmpty();
        assertThat(f.isIdle()).isFalse();
    }

    @Test
    void emptyArrays_andEmptyLines_areNoCommand() {
        assertThat(events("*0\r\n*-1\r\n\r\n\n*1\r\n$4\r\nPING\r\n")).containsExactly("CMD PING");
    }

    @Test
    void inline_wordsAndQuotes() {
        assertThat(events("PING\r\nset k \"a b\\x41\\n\" 'it\\'s'\nget  k\n"))
                .containsExactly("CMD PING", "CMD set k a bA\n it's", "CMD get k");
    }

    @Test
    void inline_unbalancedQuotes_rejected() {
        assertThat(events("set k \"abc\r\n")).containsExactly("REJ ERR Protocol error: unbalanced quotes in request");
        assertThat(events("set k \"abc\"def\r\n"))
                .containsExactly("REJ ERR Protocol error: unbalanced quotes in request");
    }

    @Test
    void inline_tooLong_rejectedBeforeBuffering() {
        byte[] line = new byte[RespFramer.MAX_INLINE_BYTES + 10];
        Arrays.fill(line, (byte) 'a');
        assertThat(events(framer(), line, 4096))
                .singleElement()
                .asString()
                .startsWith("REJ ERR Protocol error: too big inline request");
    }

    @Test
    void bulkLength_overTheLimit_rejectedNamingIt_beforeAnyPayload() {
        AtomicLong allocated = new AtomicLong();
        RespFramer f = new RespFramer(16, MAX_BULK, MAX_BULK + 100, n -> {
            allocated.addAndGet(n);
            return new byte[n];
        });
        assertThat(events(f, "*2\r\n$3\r\nSET\r\n$1073741824\r\n".getBytes(StandardCharsets.US_ASCII), 100))
                .containsExactly(
                        "REJ ERR Protocol error: invalid bulk length 1073741824: a bulk string may have at most "
                                + MAX_BULK + " bytes (the daemon's --max-value-bytes)");
        assertThat(allocated.get()).isEqualTo(3);
        assertThat(f.isClosed()).isTrue();
        assertThat(events(f, "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII), 100))
                .as("nothing after a rejection")
                .isEmpty();
    }

    @Test
    void commandBytes_overTheLimit_rejected() {
        String big = "x".repeat(MAX_BULK);
        assertThat(events("*3\r\n$3\r\nSET\r\n$" + MAX_BULK + "\r\n" + big + "\r\n$200\r\n"))
                .singleElement()
                .asString()
                .startsWith("REJ ERR Protocol error: command of more than " + (MAX_BULK + 100) + " bytes");
    }

    /** Empty arguments cost memory too: each counts its overhead towards the command's limit. */
    @Test
    void manyEmptyArguments_countTheirOverhead_rejected() {
        RespFramer f = new RespFramer(1_000_000, MAX_BULK, MAX_BULK + 100, byte[]::new);
        StringBuilder b = new StringBuilder("*1000\r\n");
        b.append("$0\r\n\r\n".repeat(1000));
        List<String> got = events(f, b.toString().getBytes(StandardCharsets.US_ASCII), 4096);
        int fits = (MAX_BULK + 100) / RespFramer.ARG_OVERHEAD_BYTES;
        assertThat(got)
                .singleElement()
                .asString()
                .startsWith("REJ ERR Protocol error: command of more than " + (MAX_BULK + 100) + " bytes");
        assertThat(fits).isLessThan(1000);
    }

    @Test
    void malformed_everyKind_rejectedWithRedisWording() {
        assertThat(events("*abc\r\n")).containsExactly("REJ ERR Protocol error: invalid multibulk length");
        assertThat(events("*17\r\n"))
                .containsExactly(
                        "REJ ERR Protocol error: invalid multibulk length 17 (at most 16 arguments per command)");
        assertThat(events("*1\r\n:5\r\n")).containsExactly("REJ ERR Protocol error: expected '$', got ':'");
        assertThat(events("*1\r\n*1\r\n$1\r\na\r\n"))
                .as("nesting")
                .containsExactly("REJ ERR Protocol error: expected '$', got '*'");
        assertThat(events("*1\r\n$-3\r\n")).containsExactly("REJ ERR Protocol error: invalid bulk length");
        assertThat(events("*1\r\n$1x\r\n")).containsExactly("REJ ERR Protocol error: invalid bulk length");
        assertThat(events("*1\r\n$1\r\nabc"))
                .containsExactly("REJ ERR Protocol error: a bulk string of 1 bytes is not followed by CRLF (got 'b')");
        assertThat(events("*1" + "1".repeat(40) + "\r\n"))
                .containsExactly("REJ ERR Protocol error: invalid multibulk length");
    }
}
