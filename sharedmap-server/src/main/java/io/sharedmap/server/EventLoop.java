package io.sharedmap.server;

import io.sharedmap.os.transport.SpinLimiter;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.JournalFailedException;
import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One of the daemon's I/O threads ({@code --io-threads}): it serves many connections of both
 * protocols over one {@link Selector} (epoll), in rounds.
 *
 * <p>A round: run the tasks other threads posted (new connections, aborts, payload-budget wake-ups);
 * wait for ready sockets; give every ready connection one read and execute the requests it
 * completes ({@link ServedConnection#onReadable}), queueing their replies; then make the whole
 * round's batch durable with <em>one</em> {@link Engine#awaitDurable} of its highest version, and
 * write every connection's replies without blocking. So every request that was ready when the round
 * began shares one journal write (and in {@code always} mode one fsync) with no hand-off to another
 * thread, and a connection's replies still leave in its request order. Several loops share the
 * journal's group commit: while one loop leads a write, the others queue their next batches. In
 * {@code always} mode a round whose batch has fewer writers than recent ones first gathers more
 * ready connections into it, for at most {@code --gather-us}, so that one fsync covers more
 * writers ({@link CommitGather}).
 *
 * <p>Waiting: when the previous round found work, the loop first polls the selector without
 * blocking for up to {@code --spin-us} (at most {@code --max-spinners} threads spin at once, and only
 * while the machine has a CPU to spare: {@link SpinLimiter}); otherwise, or when the spin finds
 * nothing, it blocks in {@code epoll_wait} with no timeout. An idle loop therefore sleeps until a
 * client or a task wakes it.
 *
 * <p>Threads: everything here runs on the loop's thread except {@link #execute} and {@link #wake},
 * which post to the task queue and wake the selector, and the connection count ({@link
 * #connections}, {@link #assigned}, {@link #released}), an atomic counter.
 */
final class EventLoop implements Runnable {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    private final Engine engine;
    private final ServerStats stats;
    private final Selector selector;
    private final long spinNs;
    /** {@code always} mode: commits complete on the journal's syncer, not by waiting here. */
    private final boolean asyncCommit;
    /** {@code always} mode: how many writers to wait for before an fsync; null otherwise, or with {@code --gather-us 0}. */
    private final @Nullable CommitGather gather;

    private final SpinLimiter spinners;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Set while the loop may block in select; a poster that clears it wakes the selector. */
    private final AtomicBoolean sleeping = new AtomicBoolean();

    private final Thread thread;
    /**
     * The keys the last select found ready, in its order (loop thread); emptied once served. Selects
     * hand them to {@link #onReady} rather than to the selector's selected-key set, which would
     * allocate a set entry per ready socket per round.
     */
    private final List<SelectionKey> ready = new ArrayList<>();

    private final Consumer<SelectionKey> onReady = ready::add;

    /** Connections with replies queued this round, in the order they queued them (loop thread). */
    private List<ServedConnection> batch = new ArrayList<>();

    /**
     * Connections given to this loop and not yet closed: the daemon gives each new connection to the
     * loop with the fewest ({@link SharedMapServer}), so connections that come and go between
     * long-lived ones cannot leave the long-lived ones all on one loop. Any thread.
     */
    private final AtomicInteger connections = new AtomicInteger();

    private volatile boolean stopped;
    private boolean lastRoundBusy;

    /** @param gatherNs {@code always} mode's longest wait for more writers before an fsync; 0 never waits */
    EventLoop(
            int index,
            Engine engine,
            Durability durability,
            ServerStats stats,
            long spinNs,
            SpinLimiter spinners,
            long gatherNs)
            throws IOException {
        this.engine = engine;
        this.stats = stats;
        this.selector = Selector.open();
        this.spinNs = spinNs;
        this.asyncCommit = durability == Durability.ALWAYS;
        this.gather = asyncCommit && gatherNs > 0 ? new CommitGather(gatherNs) : null;
        this.spinners = spinners;
        this.thread =
                Thread.ofPlatform().name("sharedmap-io-" + index).daemon(true).unstarted(this);
    }

    void start() {
        thread.start();
    }

    /** Runs {@code task} on the loop's thread, soon (any thread). */
    void execute(Runnable task) {
        tasks.add(task);
        wake();
    }

    private void wake() {
        if (sleeping.compareAndSet(true, false)) {
            selector.wakeup();
        }
    }

    /** Adds a connection to this loop (any thread); {@code refuse} runs instead when the loop has stopped. */
    void add(ServedConnection c, Runnable refuse) {
        execute(() -> {
            if (stopped) {
                refuse.run();
                return;
            }
            try {
                c.register(selector);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot serve connection " + c.peer() + ": " + e);
                c.close();
            }
        });
    }

    /** Connections given to this loop and not yet closed (any thread). */
    int connections() {
        return connections.get();
    }

    /** A connection was given to this loop (any thread). */
    void assigned() {
        connections.incrementAndGet();
    }

    /** A connection given to this loop closed or was refused (any thread; once per {@link #assigned}). */
    void released() {
        connections.decrementAndGet();
    }

    /** Called by a connection that queued replies this round. */
    void batch(ServedConnection c) {
        batch.add(c);
    }

    @Override
    public void run() {
        try {
            while (!stopped) {
                runTasks();
                select();
                runTasks();
                for (int i = 0; i < ready.size(); i++) {
                    serve(ready.get(i));
                }
                ready.clear();
                lastRoundBusy = !batch.isEmpty();
                commit();
            }
        } catch (ClosedSelectorException e) {
            // stopping
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "I/O thread " + thread.getName() + " failed unexpectedly", e);
        } finally {
            // A loop that ended (stopped, or failed) must not look like the emptiest to the acceptor.
            connections.addAndGet(Integer.MAX_VALUE / 2);
            for (SelectionKey k : selector.keys()) {
                if (k.attachment() instanceof ServedConnection c) {
                    c.close();
                }
            }
            try {
                selector.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the selector: " + e);
            }
        }
    }

    /** Serves one ready socket: writes what waits if it can take more, reads if it has bytes. */
    private void serve(SelectionKey k) {
        ServedConnection c = (ServedConnection) k.attachment();
        if (!k.isValid()) {
            c.close();
            return;
        }
        try {
            int ops = k.readyOps();
            if ((ops & SelectionKey.OP_WRITE) != 0) {
                c.onWritable();
            }
            if ((ops & SelectionKey.OP_READ) != 0) {
                c.onReadable();
            }
        } catch (RuntimeException | Error e) { // one connection's failure never stops the others
            failed(c, e);
        }
    }

    private void runTasks() {
        Runnable t;
        while ((t = tasks.poll()) != null) {
            try {
                t.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "task on " + thread.getName() + " failed", e);
            }
        }
    }

    /** Waits for ready sockets: not at all when work is queued, briefly spinning after a busy round, else blocking. */
    private void select() {
        try {
            if (!batch.isEmpty() || !tasks.isEmpty()) {
                selector.selectNow(onReady);
                return;
            }
            if (lastRoundBusy && spinNs > 0 && spinners.tryAcquire()) {
                try {
                    long start = System.nanoTime();
                    do {
                        if (selector.selectNow(onReady) > 0 || !tasks.isEmpty()) {
                            return;
                        }
                        Thread.yield(); // a runnable peer sharing this CPU (maybe the client) gets to run
                    } while (System.nanoTime() - start < spinNs);
                } finally {
                    spinners.release();
                }
            }
            sleeping.set(true);
            if (tasks.isEmpty()) {
                selector.select(onReady);
            }
            sleeping.set(false);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "select failed: " + e);
        }
    }

    /**
     * Makes the round's batch durable, then lets each connection send its replies. In {@code
     * interval} mode the wait is short (records copied to the mapped journal and applied to the
     * store, no disk wait), so the loop waits, leading the commit itself when no other thread does.
     * In {@code always} mode the same, when no commit is in progress (a lone writer pays no hand-off);
     * while one is (its fsync running), the loop does not wait for it: the journal's syncer leads the
     * next fsync and posts the batch back to this loop ({@link Engine#whenDurable}), which meanwhile
     * reads and executes other connections' requests, to be covered by that fsync. Before it leads an
     * fsync itself, the loop waits up to {@code --gather-us} for as many writers as its recent fsyncs
     * covered, serving connections as they become ready ({@link CommitGather}). A connection whose
     * replies wait reads nothing more until they are sent ({@link ServedConnection#inBatch}).
     */
    private void commit() {
        if (batch.isEmpty()) {
            return;
        }
        long needed = neededVersion();
        if (gather != null && !engine.committing()) {
            long durable = engine.durableVersion();
            if (durable < needed) { // this loop is about to lead an fsync
                int target = gather.target();
                int writers = writers(durable);
                boolean ranOut = false;
                if (writers < target && tasks.isEmpty()) {
                    long start = System.nanoTime();
                    writers = gatherMore(target, writers, durable, start + gather.waitNs());
                    ranOut = writers < target && System.nanoTime() - start >= gather.waitNs();
                    needed = neededVersion();
                }
                gather.record(writers, ranOut);
            }
        }
        List<ServedConnection> done = batch;
        batch = new ArrayList<>();
        stats.batches.increment();
        if (asyncCommit && engine.durableVersion() < needed && engine.committing()) {
            long version = needed;
            engine.whenDurable(needed, () -> execute(() -> deliver(done, version, null)));
            return;
        }
        JournalFailedException failure = null;
        try {
            engine.awaitDurable(needed);
        } catch (JournalFailedException e) {
            failure = e;
        }
        deliver(done, needed, failure);
    }

    private long neededVersion() {
        long needed = 0;
        for (int i = 0; i < batch.size(); i++) {
            needed = Math.max(needed, batch.get(i).neededVersion());
        }
        return needed;
    }

    /** The connections of the batch with a change not yet durable ({@code durable}): the writers. */
    private int writers(long durable) {
        int n = 0;
        for (int i = 0; i < batch.size(); i++) {
            if (batch.get(i).neededVersion() > durable) {
                n++;
            }
        }
        return n;
    }

    /**
     * {@code always} mode, before this loop leads an fsync: serves connections as they become ready
     * until the batch has {@code target} writers, or the clock reaches {@code deadline}, or a task
     * is posted (it may be the replies that writers wait for, or a stop), or another thread starts a
     * commit (the batch then goes to the syncer). Yields the CPU after every poll that added no writer
     * (the writers it waits for may need the CPU; a connection whose replies wait stays readable).
     * Returns the writers in the batch.
     */
    private int gatherMore(int target, int writers, long durable, long deadline) {
        int n = writers;
        try {
            while (n < target
                    && System.nanoTime() - deadline < 0
                    && !stopped
                    && tasks.isEmpty()
                    && !engine.committing()) {
                if (selector.selectNow(onReady) > 0) {
                    for (int i = 0; i < ready.size(); i++) {
                        serve(ready.get(i));
                    }
                    ready.clear();
                    int now = writers(durable);
                    if (now > n) {
                        n = now;
                        continue;
                    }
                }
                Thread.yield();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "select failed: " + e);
        }
        return n;
    }

    /** Sends the replies of a batch whose versions up to {@code needed} are durable (or never will be). */
    private void deliver(List<ServedConnection> done, long needed, @Nullable JournalFailedException failed) {
        long durable = engine.durableVersion();
        JournalFailedException failure = failed;
        if (failure == null && durable < needed) {
            failure = engine.journalFailure();
            if (failure == null) { // never sent early: wait again
                engine.whenDurable(needed, () -> execute(() -> deliver(done, needed, null)));
                return;
            }
        }
        for (ServedConnection c : done) {
            try {
                c.committed(durable, failure);
            } catch (RuntimeException | Error e) {
                failed(c, e);
            }
        }
    }

    private void failed(ServedConnection c, Throwable e) {
        LOG.log(System.Logger.Level.ERROR, "connection " + c.peer() + " failed unexpectedly; closing it", e);
        batch.remove(c);
        c.close();
    }

    /** Stops the loop (any thread): it closes the connections it still serves. */
    void stop() {
        stopped = true;
        selector.wakeup();
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }
}
