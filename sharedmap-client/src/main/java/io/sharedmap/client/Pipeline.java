package io.sharedmap.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Queues operations and sends them together, as Jedis pipelines do: each method checks its
 * arguments (throwing at once as the direct call would), queues the request and returns a {@link
 * Response}; {@link #sync()} writes the queued requests on one connection and reads every reply,
 * in order, then the responses hold their results.
 *
 * <p>Requests go out in batches of up to 64 KiB, each batch in one write, with all of a batch's
 * replies read before the next batch is written, so a pipeline of any length never stalls on full
 * socket buffers in both directions.
 *
 * <p>A pipeline is not a transaction: the daemon executes its requests in order, but other
 * clients' requests may run between them. Not thread-safe: one thread builds and syncs a pipeline.
 */
public final class Pipeline implements AutoCloseable {

    /** A queued request with its decoder and the response to complete. */
    record Pending<T>(Request request, Function<Reply, T> decoder, Response<T> response) {

        /** Completes the response from its reply; a daemon's error becomes the response's failure. */
        void complete(Reply reply) {
            response.complete(decoder.apply(reply));
        }
    }

    private final SharedMap map;
    private List<Pending<?>> queued = new ArrayList<>();

    Pipeline(SharedMap map) {
        this.map = map;
    }

    /** Queues {@link SharedMap#get(byte[])}. */
    public Response<Optional<Entry>> get(byte[] key) {
        return queue(map.getRequest(key), Replies::get);
    }

    /** Queues {@link SharedMap#set(byte[], byte[])}. */
    public Response<SetResult> set(byte[] key, byte[] value) {
        return queue(map.setRequest(key, value), Replies::set);
    }

    /** Queues {@link SharedMap#delete(byte[])}. */
    public Response<DeleteResult> delete(byte[] key) {
        return queue(map.deleteRequest(key, 0), Replies::delete);
    }

    /** Queues {@link SharedMap#delete(byte[], long)}. */
    public Response<DeleteResult> delete(byte[] key, long expectedVersion) {
        return queue(map.conditionalDeleteRequest(key, expectedVersion), Replies::delete);
    }

    /** Queues {@link SharedMap#compareAndSet(byte[], long, byte[])}. */
    public Response<CasResult> compareAndSet(byte[] key, long expectedVersion, byte[] value) {
        return queue(map.casRequest(key, expectedVersion, value), Replies::compareAndSet);
    }

    /** How many operations are queued and not yet synced. */
    public int size() {
        return queued.size();
    }

    /**
     * Sends every queued operation and reads every reply. Afterwards each queued operation's {@link
     * Response} holds its result, or the exception the direct call would have thrown; the queue is
     * empty again.
     *
     * <p>A recovering client (the default) resends the requests whose replies were lost when a
     * connection breaks, with the same sequence numbers, so each change is applied once; see {@link
     * Options}.
     *
     * @throws DaemonUnavailableException when no daemon answers (a recovering client: within its
     *     reconnect window) or the connection broke (a plain client); the responses not yet answered
     *     hold the same exception (their requests may or may not have been applied)
     * @throws ReplyTimeoutException (a {@link DaemonUnavailableException}) when the daemon did not
     *     send the next reply within the reply timeout ({@link Options#replyTimeout}); not
     *     retried; the responses not yet answered hold the same exception
     * @throws SharedMapException when the daemon closed the connection or broke the protocol; the
     *     unanswered responses hold the same exception
     */
    public void sync() {
        List<Pending<?>> ops = queued;
        queued = new ArrayList<>();
        map.sync(ops);
    }

    /** Syncs what is still queued (as Jedis does); does nothing when the queue is empty. */
    @Override
    public void close() {
        if (!queued.isEmpty()) {
            sync();
        }
    }

    private <T> Response<T> queue(Request request, Function<Reply, T> decoder) {
        Response<T> response = new Response<>();
        queued.add(new Pending<>(request, decoder, response));
        return response;
    }
}
