package io.sharedmap.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DiskIo} on sysfs trees laid out as Linux lays them out: {@code /sys/dev/block/M:m} links to
 * the device's directory, and a partition's directory is inside its disk's and holds a {@code
 * partition} file. The counters here are made up; the real {@code /sys} is read where the machine
 * has a block device under the temporary directory.
 */
class DiskIoTest {
    @TempDir
    Path sys;

    /** A stat line: reads, merges, sectors, ticks, then writes, write sectors, and flushes as given. */
    private static String stat(long writes, long sectors, long flushes) {
        return "10 0 80 5 " + writes + " 0 " + sectors + " 7 0 30 40 0 0 0 0 " + flushes + " 9\n";
    }

    private Path link(String devNumbers, Path target) throws IOException {
        Path dir = Files.createDirectories(sys.resolve("dev/block"));
        return Files.createSymbolicLink(dir.resolve(devNumbers), dir.relativize(target));
    }

    @Test
    void wholeDisk_readsWritesSectorsAndFlushes() throws IOException {
        Path vda = Files.createDirectories(sys.resolve("devices/virtio/block/vda"));
        Files.writeString(vda.resolve("stat"), stat(1_000, 16_000, 300));

        DiskIo d = DiskIo.ofDevice(link("254:0", vda));

        assertThat(d).isEqualTo(new DiskIo(1_000, 16_000, 300));
        assertThat(d.kib()).isEqualTo(8_000.0);
    }

    @Test
    void partition_writesAreThePartitions_flushesTheDisks() throws IOException {
        Path sda = Files.createDirectories(sys.resolve("devices/pci/block/sda"));
        Files.writeString(sda.resolve("stat"), stat(5_000, 90_000, 700));
        Path sda1 = Files.createDirectories(sda.resolve("sda1"));
        Files.writeString(sda1.resolve("stat"), stat(4_000, 80_000, 0)); // Linux counts no flush here
        Files.writeString(sda1.resolve("partition"), "1\n");

        assertThat(DiskIo.ofDevice(link("8:1", sda1))).isEqualTo(new DiskIo(4_000, 80_000, 700));
    }

    @Test
    void oldKernel_withoutFlushCounts_flushesUnknown_andDifferencesKeepItUnknown() throws IOException {
        Path sdb = Files.createDirectories(sys.resolve("devices/pci/block/sdb"));
        Files.writeString(sdb.resolve("stat"), "10 0 80 5 1000 0 16000 7 0 30 40\n");

        DiskIo d = DiskIo.ofDevice(link("8:16", sdb));

        assertThat(d).isEqualTo(new DiskIo(1_000, 16_000, -1));
        assertThat(new DiskIo(1_500, 17_000, -1).since(d)).isEqualTo(new DiskIo(500, 1_000, -1));
        assertThat(new DiskIo(9, 99, 5).since(new DiskIo(4, 40, 2))).isEqualTo(new DiskIo(5, 59, 3));
    }

    @Test
    void noSuchDevice_isUnknown() {
        assertThat(DiskIo.ofDevice(sys.resolve("dev/block/1:99"))).isNull();
        assertThat(DiskIo.of(sys.resolve("no-such-dir"))).isNull();
    }

    @Test
    void thisMachine_theCountersOnlyGrow() throws IOException {
        DiskIo before = DiskIo.of(sys);
        assumeTrue(before != null, "no block device the kernel counts under " + sys + " (tmpfs?)");
        Path f = sys.resolve("grow.bin");
        Files.write(f, new byte[1 << 16]);
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        DiskIo after = DiskIo.of(sys);
        assertThat(after).isNotNull();
        DiskIo d = after.since(before);
        assertThat(d.writes()).as("an fsync of 64 KiB of new data writes").isPositive();
        assertThat(d.sectorsWritten()).isGreaterThanOrEqualTo(128);
    }
}
