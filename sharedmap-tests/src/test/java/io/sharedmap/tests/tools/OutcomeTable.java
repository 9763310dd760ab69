package io.sharedmap.tests.tools;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.Launcher;
import io.sharedmap.tests.support.StandaloneLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The outcome table of the shadow-driver paper, for sharedmap: application activities x faults x
 * client (plain, recovering) -> SUCCESS / MALFUNCTION / CRASH. Each cell runs for real: a fresh
 * daemon, the activity in this JVM on its own {@link SharedMap}, the fault injected once a third of
 * the activity is done, then the activity's data checked.
 *
 * <p>The application catches each {@link SharedMapException}, counts it as an error surfaced to it,
 * and retries the operation (the daemon is restarted by the harness as a supervisor would, and
 * after a disk-full by the operator once the journal failed). Outcomes:
 *
 * <ul>
 *   <li>SUCCESS: the activity completed, its data is correct, no error reached the application;
 *   <li>MALFUNCTION: completed with correct data, but errors reached the application (it had to
 *       handle them), or the daemon needed an operator's restart;
 *   <li>CRASH: the application died (an unexpected exception), hung (no completion within 60 s),
 *       or its data was wrong (a lost acknowledged write, a counter off the applied increments, a
 *       value never written).
 * </ul>
 *
 * <p>{@code java -cp <test class path> io.sharedmap.tests.tools.OutcomeTable} prints the Markdown
 * table (docs/RELIABILITY.md).
 */
public final class OutcomeTable {
    public enum Activity {
        WRITER_LOOP("writer loop"),
        READER_LOOP("reader loop"),
        CAS_COUNTER("CAS counter"),
        BULK_LOADER("bulk loader");
        final String label;

        Activity(String label) {
            this.label = label;
        }
    }

    public enum Fault {
        KILL9("daemon kill -9"),
        STOP_START("stop and start"),
        DISK_FULL("disk full"),
        CORRUPT_TAIL("corrupted journal tail");
        final String label;

        Fault(String label) {
            this.label = label;
        }
    }

    public enum Outcome {
        SUCCESS,
        MALFUNCTION,
        CRASH
    }

    /** One cell's result and why. */
    public record Cell(
            Activity activity, Fault fault, boolean recovering, Outcome outcome, long errors, String detail) {}

    private static final Duration CELL_DEADLINE = Duration.ofSeconds(60);
    private static final int DISK_FULL_AFTER_WRITES = 150;

    private OutcomeTable() {}

    /** An activity: runs, reports progress, returns null when its data checks out, else what is wrong. */
    private abstract static class App {
        final AtomicLong progress = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final long total;
        final Deadline deadline = new Deadline(System.nanoTime() + CELL_DEADLINE.toNanos());

        App(long total) {
            this.total = total;
        }

        abstract void prepare(SharedMap map);

        abstract String run(SharedMap map);

        /** Runs {@code op} until it succeeds; each failure is an error the application saw. */
        <T> T retry(Supplier<T> op) {
            while (true) {
                try {
                    return op.get();
                } catch (SharedMapException e) {
                    errors.incrementAndGet();
                    if (deadline.expired()) {
                        throw new IllegalStateException("gave up: " + e, e);
                    }
                    LockSupport.parkNanos(50_000_000); // the application's retry back-off
                }
            }
        }
    }

    private record Deadline(long ns) {
        boolean expired() {
            return System.nanoTime() - ns > 0;
        }
    }

    private static App app(Activity a) {
        return switch (a) {
            case WRITER_LOOP ->
                new App(1500) {
                    void prepare(SharedMap map) {}

                    String run(SharedMap map) {
                        for (int i = 1; i <= total; i++) {
                            int n = i;
                            retry(() -> map.set("w/k" + (n % 50), Integer.toString(n)));
                            progress.incrementAndGet();
                        }
                        for (int k = 0; k < 50; k++) {
                            long expect = total - Math.floorMod(total - k, 50);
                            int key = k;
                            Optional<Entry> e = retry(() -> map.get("w/k" + key));
                            if (e.isEmpty() || !e.get().valueAsString().equals(Long.toString(expect))) {
                                return "w/k" + k + " holds " + e.map(Entry::valueAsString) + ", last written " + expect;
                            }
                        }
                        return null;
                    }
                };
            case READER_LOOP ->
                new App(4000) {
                    void prepare(SharedMap map) {
                        for (int k = 0; k < 50; k++) {
                            map.set("r/k" + k, "value " + k);
                        }
                    }

                    String run(SharedMap map) {
                        for (int i = 0; i < total; i++) {
                            int k = i % 50;
                            Optional<Entry> e = retry(() -> map.get("r/k" + k));
                            if (e.isEmpty() || !e.get().valueAsString().equals("value " + k)) {
                                return "r/k" + k + " read " + e.map(Entry::valueAsString);
                            }
                            progress.incrementAndGet();
                        }
                        return null;
                    }
                };
            case CAS_COUNTER ->
                new App(600) {
                    void prepare(SharedMap map) {
                        map.set("counter", "0");
                    }

                    String run(SharedMap map) {
                        long applied = 0;
                        while (applied < total) {
                            Entry e = retry(() -> map.get("counter")).orElseThrow();
                            String next = Long.toString(Long.parseLong(e.valueAsString()) + 1);
                            CasResult r = retry(() -> map.compareAndSet("counter", e.version(), next));
                            if (r instanceof CasResult.Applied) {
                                applied++;
                                progress.incrementAndGet();
                            }
                        }
                        String v = retry(() -> map.get("counter")).orElseThrow().valueAsString();
                        return v.equals(Long.toString(applied))
                                ? null
                                : "counter is " + v + " after " + applied + " applied increments";
                    }
                };
            case BULK_LOADER ->
                new App(2000) {
                    void prepare(SharedMap map) {}

                    String run(SharedMap map) {
                        String filler = "b".repeat(1000);
                        for (int i = 0; i < total; i++) {
                            int n = i;
                            retry(() -> map.set("bulk/k" + n, n + filler));
                            progress.incrementAndGet();
                        }
                        for (int i = 0; i < total; i++) {
                            int n = i;
                            Optional<Entry> e = retry(() -> map.get("bulk/k" + n));
                            if (e.isEmpty() || !e.get().valueAsString().equals(n + filler)) {
                                return "bulk/k" + i + " missing or wrong after loading";
                            }
                        }
                        return null;
                    }
                };
        };
    }

    /** Runs one cell for real. */
    public static Cell run(Launcher env, Activity activity, Fault fault, boolean recovering, int index) {
        Path dir = env.scratch().resolve("cell-" + index);
        DaemonProcess.Spec spec = env.daemonSpec()
                .withName("cell" + index + "-daemon")
                .withDataDir(dir.resolve("data"))
                .withSocket(env.scratch().resolve("c" + index + ".sock"));
        DaemonProcess daemon = env.startDaemon(
                fault == Fault.DISK_FULL
                        ? spec.withJvmArgs("-Dsharedmap.faults=fail-write-after=" + DISK_FULL_AFTER_WRITES)
                        : spec);
        Options options = Options.defaults().recovering(recovering);
        App app = app(activity);
        boolean operatorRestart = false;
        AtomicReference<Object> result = new AtomicReference<>();
        try (SharedMap map = SharedMap.connect(daemon.socket(), options)) {
            app.prepare(map);
            Thread t = Thread.ofPlatform().name("app-" + index).start(() -> {
                try {
                    String problem = app.run(map);
                    result.set(problem == null ? "" : problem);
                } catch (RuntimeException | Error e) {
                    result.set(e);
                }
            });
            long third = app.total / 3;
            Deadline d = new Deadline(System.nanoTime() + CELL_DEADLINE.toNanos());
            while (fault != Fault.DISK_FULL && app.progress.get() < third && t.isAlive() && !d.expired()) {
                LockSupport.parkNanos(5_000_000); // poll the application's progress
            }
            switch (fault) {
                case KILL9 -> {
                    daemon.kill9();
                    daemon = env.startDaemon(spec);
                }
                case STOP_START -> {
                    daemon.sigterm();
                    daemon.awaitExit(DaemonProcess.STOP_TIMEOUT);
                    daemon = env.startDaemon(spec);
                }
                case CORRUPT_TAIL -> {
                    daemon.sigterm();
                    daemon.awaitExit(DaemonProcess.STOP_TIMEOUT);
                    appendGarbage(spec.dataDir());
                    daemon = env.startDaemon(spec);
                }
                case DISK_FULL -> {
                    // The operator notices the failed journal, frees space, restarts the daemon.
                    try (SharedMap admin = SharedMap.connect(
                            daemon.socket(), Options.defaults().recovering(false))) {
                        while (t.isAlive()
                                && !d.expired()
                                && "0".equals(admin.stats().get("journal_failed"))) {
                            LockSupport.parkNanos(20_000_000); // poll STATS
                        }
                        operatorRestart = !"0".equals(admin.stats().get("journal_failed"));
                    }
                    if (operatorRestart) {
                        daemon.kill9();
                        daemon = env.startDaemon(spec);
                    }
                }
            }
            if (!t.join(Duration.ofNanos(Math.max(1, d.ns() - System.nanoTime())))) {
                t.interrupt();
                return new Cell(
                        activity, fault, recovering, Outcome.CRASH, app.errors.get(), "hung: no completion in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (daemon.isAlive()) {
                daemon.kill9();
            }
        }
        Object r = result.get();
        long errors = app.errors.get();
        if (r instanceof Throwable e) {
            return new Cell(activity, fault, recovering, Outcome.CRASH, errors, "application died: " + e);
        }
        if (!"".equals(r)) {
            return new Cell(activity, fault, recovering, Outcome.CRASH, errors, "wrong data: " + r);
        }
        if (errors > 0 || operatorRestart) {
            return new Cell(
                    activity,
                    fault,
                    recovering,
                    Outcome.MALFUNCTION,
                    errors,
                    errors + " error(s) surfaced"
                            + (operatorRestart ? ", operator restart after the journal failed" : ""));
        }
        return new Cell(activity, fault, recovering, Outcome.SUCCESS, 0, "");
    }

    private static void appendGarbage(Path dataDir) {
        try (Stream<Path> s = Files.list(dataDir)) {
            Path seg = s.filter(p -> p.getFileName().toString().matches("journal-\\d+\\.log"))
                    .max(Path::compareTo)
                    .orElseThrow();
            byte[] g = new byte[64];
            new Random(1).nextBytes(g);
            Files.write(seg, g, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Markdown table of {@code cells} (rows: activity x client; columns: faults). */
    public static String markdown(List<Cell> cells) {
        StringBuilder sb = new StringBuilder("| activity | client |");
        for (Fault f : Fault.values()) {
            sb.append(' ').append(f.label).append(" |");
        }
        sb.append("\n|---|---|").append("---|".repeat(Fault.values().length)).append('\n');
        for (Activity a : Activity.values()) {
            for (boolean rec : new boolean[] {false, true}) {
                sb.append("| ")
                        .append(a.label)
                        .append(" | ")
                        .append(rec ? "recovering" : "plain")
                        .append(" |");
                for (Fault f : Fault.values()) {
                    String o = cells.stream()
                            .filter(c -> c.activity() == a && c.fault() == f && c.recovering() == rec)
                            .findFirst()
                            .map(c -> c.outcome().name())
                            .orElse("-");
                    sb.append(' ').append(o).append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    public static void main(String[] argv) {
        List<Cell> cells = new ArrayList<>();
        try (StandaloneLauncher env = new StandaloneLauncher("outcome-table")) {
            int i = 0;
            for (Activity a : Activity.values()) {
                for (Fault f : Fault.values()) {
                    for (boolean rec : new boolean[] {false, true}) {
                        Cell c = run(env, a, f, rec, i++);
                        cells.add(c);
                        System.err.println(a.label + " / " + f.label + " / " + (rec ? "recovering" : "plain") + ": "
                                + c.outcome() + (c.detail().isEmpty() ? "" : " (" + c.detail() + ")"));
                    }
                }
            }
        }
        System.out.print(markdown(cells));
    }
}
