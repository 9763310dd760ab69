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
 * <p>On a partition the writes and sectors are the partition's and the flushes the whole disk's:
 * Linux counts cache flushes on the disk only. {@code writes} includes the empty write requests that
 * carry a flush (blk-mq counts a flush as a write too), so an fsync of one page is 2 writes and 1 flush.
 *
 * <p>Unknown ({@link #of} gives null) when the directory is not on a block device the kernel counts
 * by its device number: tmpfs, overlay, and also btrfs, ZFS and NFS (an anonymous device number),
 * or another OS.
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
            return ofDevice(Path.of("/sys/dev/block", major + ":" + minor));
        } catch (IOException | RuntimeException e) {
            return null; // not Linux, or no such attribute
        }
    }

    /** The counters of the block device whose sysfs directory (or a link to it) is {@code device}. */
    static @Nullable DiskIo ofDevice(Path device) {
        try {
            String[] f = fields(device.resolve("stat"));
            // a partition's directory is inside its disk's (/sys/devices/.../block/sda/sda1)
            String[] disk = Files.exists(device.resolve("partition"))
                    ? fields(device.toRealPath().resolveSibling("stat"))
                    : f;
            return new DiskIo(
                    Long.parseLong(f[4]), Long.parseLong(f[6]), disk.length > 15 ? Long.parseLong(disk[15]) : -1);
        } catch (IOException | RuntimeException e) {
            return null; // not a block device the kernel counts
        }
    }

    /**
     * The fields of a block device's {@code stat}: reads, merges, sectors, ticks; writes, merges,
     * sectors, ticks; in flight, I/O ticks, queue time; discards, merges, sectors, ticks; flushes,
     * ticks (Documentation/block/stat.rst).
     */
    private static String[] fields(Path stat) throws IOException {
        return Files.readString(stat).trim().split("\\s+");
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
