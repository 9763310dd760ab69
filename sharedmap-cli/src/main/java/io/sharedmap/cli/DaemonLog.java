package io.sharedmap.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The daemon's log file, {@code <dir>/daemon.log}, which {@code start} appends the daemon's output to. */
final class DaemonLog {
    static final String FILE_NAME = "daemon.log";

    /** Bytes read from the end of the log to find its last lines. */
    private static final int TAIL_BYTES = 64 * 1024;

    private DaemonLog() {}

    static Path in(Path dataDir) {
        return dataDir.resolve(FILE_NAME);
    }

    /** The last {@code n} lines of {@code log} (fewer if it is shorter; none if it cannot be read). */
    static List<String> tail(Path log, int n) {
        try (SeekableByteChannel ch = Files.newByteChannel(log)) {
            long size = ch.size();
            int length = (int) Math.min(size, TAIL_BYTES);
            ByteBuffer buf = ByteBuffer.allocate(length);
            ch.position(size - length);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // keep reading
            }
            List<String> lines =
                    Arrays.asList(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n"));
            return lines.subList(Math.max(0, lines.size() - n), lines.size());
        } catch (IOException e) {
            return List.of();
        }
    }
}
