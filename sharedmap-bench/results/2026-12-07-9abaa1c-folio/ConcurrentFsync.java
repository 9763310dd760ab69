import java.nio.*; import java.nio.channels.*; import java.nio.file.*; import java.util.concurrent.atomic.*;
import static java.nio.file.StandardOpenOption.*;
/**
 * Fsyncs a second on one file from 1, 2 and 4 threads: each appends 130 bytes with pwrite (after
 * the others' bytes, or on a page of its own) and calls FileChannel.force(false), for 2 s per case,
 * two rounds. Run: java ConcurrentFsync.java DIR (on the disk to measure).
 */
public class ConcurrentFsync {
  public static void main(String[] a) throws Exception {
    for (int round=0; round<2; round++)
    for (int threads : new int[]{1,2,4}) {
      for (boolean pad : new boolean[]{false,true}) {
      Path p = Files.createTempFile(Path.of(a[0]), "fsync", ".bin");
      try (FileChannel c = FileChannel.open(p, READ, WRITE)) {
        ByteBuffer z = ByteBuffer.allocateDirect(4096);
        for (long at=0; at<(64<<20); at+=4096){ z.clear(); c.write(z, at);} c.force(true);
        AtomicLong pos = new AtomicLong(); AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + 2_000_000_000L;
        Thread[] ts = new Thread[threads];
        for (int t=0;t<threads;t++){ ts[t]=new Thread(() -> { ByteBuffer b = ByteBuffer.allocateDirect(130);
          try { while (System.nanoTime() < end) { long at = pad ? pos.getAndAdd(4096) : pos.getAndAdd(130); b.clear(); c.write(b, at); c.force(false); done.incrementAndGet(); } } catch (Exception e) { throw new RuntimeException(e);} }); ts[t].start(); }
        for (Thread t: ts) t.join();
        System.out.printf("threads %d %s: %.0f fsyncs/s%n", threads, pad ? "own page each" : "shared pages ", done.get()/2.0);
      } finally { Files.delete(p); }
    }}
  }
}
