package io.sharedmap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * What the block device under a directory has done so far, from {@code /sys/dev/block/MAJOR:MINOR/stat}:
 * write requests completed, 512-byte sectors written and cache flushes completed ({@code -1} if the
 * kernel does not count flushes). A cell's difference is what the servers' writes and fsyncs cost the
 * device. The counters are the device's, every process's together, like {@link MachineCpu}'s: on a
 * quiet machine they are the server's.
 *
 * <p>Unknown ({@link #of} gives null) when the directory is not on a block device the kernel counts
 * (tmpfs, overlay file systems, another OS).
 */
record DiskIo(long writes, long sectorsWritten, long flushes) {
    /** The counters of the device holding {@code dir}, or null if they cannot be read. */
    static @Nullable DiskIo of(Path dir) {
        try {
            long dev = ((Number) Files.getAttribute(dir, "unix:dev")).longValue();
            // glibc's major() and minor() of a 64-bit dev_t
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & 0xfffff000L);
            long minor = (dev & 0xff) | ((dev >>> 12) & 0xffffff00L);
            if (major == 0) {
                return null; // an anonymous device: tmpfs, overlay, ...
            }
            Path stat = Path.of("/sys/dev/block", major + ":" + minor, "stat");
            // reads merges sectors ticks, writes merges sectors ticks, in-flight, io-ticks, queue-time,
            // discards merges sectors ticks, flushes ticks (Documentation/block/stat.rst)
            String[] f = Files.readString(stat).trim().split("\\s+");
            return new DiskIo(Long.parseLong(f[4]), Long.parseLong(f[6]), f.length > 15 ? Long.parseLong(f[15]) : -1);
        } catch (IOException | RuntimeException e) {
            return null; // not Linux, no such attribute, or not a block device
        }
    }

    /** What happened between {@code before} and this reading. */
    DiskIo since(DiskIo before) {
        return new DiskIo(
                writes - before.writes,
                sectorsWritten - before.sectorsWritten,
                flushes < 0 || before.flushes < 0 ? -1 : flushes - before.flushes);
    }

    /** KiB written. */
    double kib() {
        return sectorsWritten / 2.0;
    }
}
