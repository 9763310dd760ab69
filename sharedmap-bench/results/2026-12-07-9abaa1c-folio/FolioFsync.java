import static java.nio.file.StandardOpenOption.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What one small append and fdatasync costs, by how the file's room was zero-filled: a 120-byte
 * record stored through a shared mapping (as the journal appends) or written with pwrite, then
 * FileChannel.force(false), N times; the device's writes, KiB and flushes per append from
 * /sys/dev/block. Run: java FolioFsync.java DIR [N] (DIR on the disk to measure; JDK 22+).
 */
public class FolioFsync {
    static long[] disk(Path dir) throws Exception {
        long dev = ((Number) Files.getAttribute(dir, "unix:dev")).longValue();
        long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & 0xfffff000L);
        long minor = (dev & 0xff) | ((dev >>> 12) & 0xffffff00L);
        String[] f = Files.readString(Path.of("/sys/dev/block", major + ":" + minor, "stat")).trim().split("\\s+");
        return new long[] {Long.parseLong(f[4]), Long.parseLong(f[6]), Long.parseLong(f[15])};
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
        System.out.println("zero-fill write,append,us per append,device writes per append,KiB per append,flushes per append");
        for (int round = 0; round < 3; round++) {
            for (int chunk : new int[] {4096, 65536, 1 << 20}) {
                Path p = Files.createTempFile(dir, "folio", ".bin");
                try (FileChannel c = FileChannel.open(p, READ, WRITE)) {
                    ByteBuffer zeros = ByteBuffer.allocateDirect(chunk);
                    for (long at = 0; at < (16 << 20); at += chunk) {
                        zeros.clear();
                        c.write(zeros, at);
                    }
                    c.force(true);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment m = c.map(FileChannel.MapMode.READ_WRITE, 0, 8 << 20, arena);
                        long[] d0 = disk(dir);
                        long t0 = System.nanoTime();
                        for (int i = 0; i < n; i++) {
                            for (int k = 0; k < 120; k += 8) {
                                m.set(ValueLayout.JAVA_LONG_UNALIGNED, i * 120L + k, i);
                            }
                            c.force(false);
                        }
                        print(chunk, "mapping", t0, n, d0, disk(dir));
                    }
                    ByteBuffer rec = ByteBuffer.allocateDirect(120);
                    long[] d0 = disk(dir);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        rec.clear();
                        c.write(rec, (8 << 20) + i * 120L);
                        c.force(false);
                    }
                    print(chunk, "pwrite", t0, n, d0, disk(dir));
                } finally {
                    Files.delete(p);
                }
            }
        }
    }

    static void print(int chunk, String how, long t0, int n, long[] d0, long[] d1) {
        System.out.printf(
                "%d,%s,%.1f,%.2f,%.1f,%.2f%n",
                chunk,
                how,
                (System.nanoTime() - t0) / 1e3 / n,
                (d1[0] - d0[0]) / (double) n,
                (d1[1] - d0[1]) / 2.0 / n,
                (d1[2] - d0[2]) / (double) n);
    }
}
