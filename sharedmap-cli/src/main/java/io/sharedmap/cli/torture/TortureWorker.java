package io.sharedmap.cli.torture;

import io.sharedmap.cli.torture.LinOp.Kind;
import io.sharedmap.cli.torture.LinOp.Result;
import io.sharedmap.client.CasResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One torture worker process: T threads on one {@link SharedMap} doing a random mix of the four
 * checks' operations until the duration has passed, then a result file for the coordinator.
 *
 * <p>Protocol with the coordinator, one line each: the worker prints {@code READY} once connected,
 * waits for {@code GO} on stdin, prints {@code H <ops> <errors> <failures>} every 200 ms (the
 * stall watchdog's input), {@code F <text>} for each of the first failures it detects, {@code E
 * <text>} for the first client errors, and {@code DONE} after writing its result file. {@code STOP}
 * on stdin ends the run early. Exit status 0 unless the worker itself broke.
 *
 * <p>Mix per operation: 35% corruption write, 25% corruption read (verified), 15% counter
 * increment (GET, then CAS with the version read), 25% history operation on a history key (GET,
 * SET or CAS, recorded with invocation and completion times) while the thread is within its share
 * of the history budget, spread evenly over the duration.
 */
public final class TortureWorker {
  private static final int MAX_REPORTED = 20;
  private static final long HEARTBEAT_MS = 200;
  private static final int MAX_CAS_ATTEMPTS = 64;

  private final WorkerSpec spec;
  private final SharedMap map;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong ops = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong verified = new AtomicLong();
  private final AtomicInteger reported = new AtomicInteger();
  private final long[] counterAcked;
  private final long[] counterUnknown;
  private long startNs;

  private TortureWorker(WorkerSpec spec, SharedMap map) {
    this.spec = spec;
    this.map = map;
    this.counterAcked = new long[spec.counters()];
    this.counterUnknown = new long[spec.counters()];
  }

  public static void main(String[] args) throws Exception {
    WorkerSpec spec = WorkerSpec.parse(args);
    SharedMap.Options options = SharedMap.Options.defaults().recovering(spec.recovering())
        .reconnectWindow(Duration.ofMillis(spec.reconnectWindowMs()));
    try (SharedMap map = SharedMap.connect(spec.socket(), options)) {
      new TortureWorker(spec, map).run();
    }
    System.out.flush();
    System.exit(0);
  }

  private void run() throws Exception {
    say("READY");
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = stdin.readLine()) != null && !line.equals("GO")) {
      if (line.equals("STOP")) {
        return;
      }
    }
    if (line == null) {
      return; // the coordinator is gone
    }
    Thread.ofPlatform().daemon().name("stop-listener").start(() -> {
      try {
        String l;
        while ((l = stdin.readLine()) != null) {
          if (l.equals("STOP")) {
            break;
          }
        }
      } catch (IOException ignored) {
        // treat as STOP
      }
      stop.set(true);
    });
    startNs = System.nanoTime();
    long endNs = startNs + spec.durationMs() * 1_000_000;
    Thread heartbeat = Thread.ofPlatform().daemon().name("heartbeat").start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        say("H " + ops.get() + " " + errors.get() + " " + failures.get());
        try {
          Thread.sleep(HEARTBEAT_MS); // the reporting period, not synchronisation
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    List<ThreadState> states = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(spec.threads());
    for (int t = 0; t < spec.threads(); t++) {
      ThreadState s = new ThreadState(t, new SplittableRandom(spec.seed() * 1_000_003 + spec.process() * 1009L + t));
      states.add(s);
      Thread.ofPlatform().name("torture-" + t).start(() -> {
        try {
          s.loop(endNs);
        } catch (RuntimeException | Error e) {
          fail("worker thread " + s.writer + " broke: " + e);
        } finally {
          done.countDown();
        }
      });
    }
    done.await();
    heartbeat.interrupt();
    heartbeat.join();
    say("H " + ops.get() + " " + errors.get() + " " + failures.get());
    writeResult(states);
    say("DONE");
  }

  private static void say(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  private void fail(String what) {
    failures.incrementAndGet();
    if (reported.incrementAndGet() <= MAX_REPORTED) {
      say("F " + what.replace('\n', ' '));
    }
  }

  private void error(String what, SharedMapException e) {
    errors.incrementAndGet();
    if (reported.incrementAndGet() <= MAX_REPORTED) {
      say("E " + what + ": " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
    }
  }

  /** One thread's state and its loop. */
  private final class ThreadState {
    final long writer;
    final SplittableRandom random;
    long writes;
    final Map<Long, Long> seen = new HashMap<>();
    final List<LinOp> history = new ArrayList<>();
    final long[] lastVersion = new long[Math.max(1, spec.linKeys())];
    long linValues;

    ThreadState(int thread, SplittableRandom random) {
      this.writer = TortureValue.writerId(spec.process(), thread);
      this.random = random;
    }

    void loop(long endNs) {
      long durationNs = Math.max(1, endNs - startNs);
      while (!stop.get()) {
        long now = System.nanoTime();
        if (now - endNs >= 0) {
          return;
        }
        int r = random.nextInt(100);
        if (r < 25 && spec.linKeys() > 0
            && history.size() < (long) ((double) spec.linOpsPerThread() * (now - startNs + durationNs / 20) / durationNs)) {
          historyOp();
        } else if (r < 60) {
          write();
        } else if (r < 85 || spec.counters() == 0) {
          read();
        } else {
          increment();
        }
        ops.incrementAndGet();
      }
    }

    void write() {
      int k = random.nextInt(spec.keys());
      long n = ++writes;
      byte[] value = TortureValue.encode(spec.runId(), k, writer, n, valueLength());
      try {
        map.set(spec.valueKey(k).getBytes(StandardCharsets.UTF_8), value);
      } catch (SharedMapException e) {
        error("SET " + spec.valueKey(k), e);
      }
    }

    int valueLength() {
      int r = random.nextInt(1000);
      if (r < 900) {
        return random.nextInt(16, 1024);
      }
      if (r < 990) {
        return random.nextInt(1024, 16 * 1024);
      }
      return random.nextInt(64 * 1024, 200 * 1024); // beyond the client's 64 KiB buffer: a gather write
    }

    void read() {
      int k = random.nextInt(spec.keys());
      Optional<Entry> e;
      try {
        e = map.get(spec.valueKey(k).getBytes(StandardCharsets.UTF_8));
      } catch (SharedMapException ex) {
        error("GET " + spec.valueKey(k), ex);
        return;
      }
      if (e.isEmpty()) {
        return;
      }
      try {
        TortureValue.Stamp s = TortureValue.verify(e.get().value(), spec.runId(), k);
        seen.merge(s.writer(), s.write(), Math::max);
        verified.incrementAndGet();
      } catch (IllegalArgumentException bad) {
        fail("corruption: " + spec.valueKey(k) + " at v" + e.get().version() + ": " + bad.getMessage());
      }
    }

    void increment() {
      int c = random.nextInt(spec.counters());
      byte[] key = spec.counterKey(c).getBytes(StandardCharsets.UTF_8);
      for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS && !stop.get(); attempt++) {
        Optional<Entry> e;
        try {
          e = map.get(key);
        } catch (SharedMapException ex) {
          error("GET " + spec.counterKey(c), ex);
          return;
        }
        long n;
        try {
          n = e.map(x -> Long.parseLong(x.valueAsString())).orElse(0L);
        } catch (NumberFormatException bad) {
          fail("lost update check: " + spec.counterKey(c) + " holds '" + e.get().valueAsString() + "', not a number");
          return;
        }
        CasResult r;
        try {
          r = map.compareAndSet(key, e.map(Entry::version).orElse(0L), Long.toString(n + 1).getBytes(StandardCharsets.UTF_8));
        } catch (SharedMapException ex) {
          synchronized (counterUnknown) {
            counterUnknown[c]++;
          }
          error("CAS " + spec.counterKey(c), ex);
          return;
        }
        if (r instanceof CasResult.Applied) {
          synchronized (counterAcked) {
            counterAcked[c]++;
          }
          return;
        }
      }
    }

    void historyOp() {
      int k = random.nextInt(spec.linKeys());
      byte[] key = spec.linKey(k).getBytes(StandardCharsets.UTF_8);
      int r = random.nextInt(100);
      long id = (writer & 0xFFFF_0000_0000L) << 16 | (writer & 0xFFFF) << 32 | ++linValues;
      if (r < 40) {
        long invoke = System.nanoTime();
        try {
          Optional<Entry> e = map.get(key);
          long complete = System.nanoTime();
          if (e.isEmpty()) {
            history.add(new LinOp(k, writer, Kind.GET, invoke, complete, 0, 0, Result.NOT_FOUND, 0));
          } else if (e.get().value().length != Long.BYTES) {
            fail("linearizability: " + spec.linKey(k) + " holds " + e.get().value().length + " bytes, not a value id");
          } else {
            long read = ByteBuffer.wrap(e.get().value()).getLong();
            lastVersion[k] = e.get().version();
            history.add(new LinOp(k, writer, Kind.GET, invoke, complete, 0, read, Result.FOUND, e.get().version()));
          }
        } catch (SharedMapException ex) {
          error("GET " + spec.linKey(k), ex);
        }
      } else if (r < 70) {
        long invoke = System.nanoTime();
        try {
          SetResult s = map.set(key, ByteBuffer.allocate(Long.BYTES).putLong(id).array());
          long complete = System.nanoTime();
          lastVersion[k] = s.version();
          history.add(new LinOp(k, writer, Kind.SET, invoke, complete, 0, id, Result.OK, s.version()));
        } catch (SharedMapException ex) {
          history.add(new LinOp(k, writer, Kind.SET, invoke, LinOp.UNKNOWN_COMPLETION, 0, id, Result.UNKNOWN, 0));
          error("SET " + spec.linKey(k), ex);
        }
      } else {
        long expected = random.nextInt(10) == 0 ? 0 : lastVersion[k];
        long invoke = System.nanoTime();
        try {
          CasResult c = map.compareAndSet(key, expected, ByteBuffer.allocate(Long.BYTES).putLong(id).array());
          long complete = System.nanoTime();
          switch (c) {
            case CasResult.Applied a -> {
              lastVersion[k] = a.version();
              history.add(new LinOp(k, writer, Kind.CAS, invoke, complete, expected, id, Result.APPLIED, a.version()));
            }
            case CasResult.Conflict x -> {
              lastVersion[k] = x.currentVersion();
              history.add(new LinOp(k, writer, Kind.CAS, invoke, complete, expected, id, Result.CONFLICT,
                  x.currentVersion()));
            }
          }
        } catch (SharedMapException ex) {
          history.add(new LinOp(k, writer, Kind.CAS, invoke, LinOp.UNKNOWN_COMPLETION, expected, id, Result.UNKNOWN,
              0));
          error("CAS " + spec.linKey(k), ex);
        }
      }
    }
  }

  private void writeResult(List<ThreadState> states) throws IOException {
    Files.createDirectories(spec.result().getParent());
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(spec.result(), StandardCharsets.UTF_8))) {
      w.println("ops " + ops.get() + " " + errors.get() + " " + failures.get() + " " + verified.get());
      Map<Long, Long> seen = new HashMap<>();
      for (ThreadState s : states) {
        w.println("writer " + s.writer + " " + s.writes);
        s.seen.forEach((k, v) -> seen.merge(k, v, Math::max));
      }
      seen.forEach((k, v) -> w.println("seen " + k + " " + v));
      for (int c = 0; c < spec.counters(); c++) {
        w.println("counter " + c + " " + counterAcked[c] + " " + counterUnknown[c]);
      }
      for (ThreadState s : states) {
        for (LinOp op : s.history) {
          w.println("L " + op.toLine());
        }
      }
    }
  }
}
