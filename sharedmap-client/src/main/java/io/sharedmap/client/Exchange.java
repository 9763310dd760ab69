package io.sharedmap.client;

import io.sharedmap.client.Connection.SendFailure;
import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec;
import io.sharedmap.protocol.Status;
import java.io.EOFException;
import java.io.IOException;
import java.io.Serial;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The one request-exchange loop, for single calls (a batch of one) and pipelines alike: borrow a
 * connection, send the batch, hand each reply in order to a {@link ReplySink}, release the
 * connection; and, when an attempt fails, decide whether to try again.
 *
 * <p>Two policies. <b>Plain</b> (one attempt): a request that could not leave a connection that
 * had been idle in the pool (the daemon restarted or dropped it meanwhile) is sent once more on a
 * fresh connection; any other failure ends the exchange. <b>Recovering</b>: a broken connection, a
 * refused connect, or a daemon that is stopping or at its connection limit leads to another attempt
 * on a new connection with the requests not yet answered, until {@link Reconnect} gives up; the
 * daemon answers a resent change it already applied with the original outcome (the changes carry
 * their sequence numbers). In both, a reply timeout ends the exchange at once: the daemon is there
 * but stuck, and retrying would multiply the wait.
 *
 * <p>Replies are matched to requests by order only (the protocol answers in request order).
 */
final class Exchange {
    private final ConnectionPool pool;
    private final Duration reconnectWindow;

    Exchange(ConnectionPool pool, Duration reconnectWindow) {
        this.pool = pool;
        this.reconnectWindow = reconnectWindow;
    }

    /** Receives the replies of a batch, in order. */
    @FunctionalInterface
    interface ReplySink {
        /**
         * The reply to request {@code index} of the batch. An exception ends the exchange: a {@link
         * ProtocolViolationException} with request {@code index} unanswered (and the connection closed,
         * since its stream can no longer be trusted), an {@link Ended} as it says, any other {@link
         * SharedMapException} with request {@code index} answered.
         */
        void accept(int index, Reply reply);
    }

    /** The exchange ended before every request of the batch was answered. */
    static final class Ended extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        /** The requests of the batch before this index were answered (their sinks ran). */
        final transient int answered;

        private final SharedMapException failure;

        Ended(int answered, SharedMapException cause) {
            super(cause);
            this.answered = answered;
            this.failure = cause;
        }

        @Override
        public synchronized SharedMapException getCause() {
            return failure;
        }
    }

    /**
     * Sends {@code batch} and hands each reply to {@code sink}; returns when every request is
     * answered.
     *
     * @param recovering the recovering policy, else the plain one (see the class comment)
     * @param answered called with each request once its reply was handled (a recovering client
     *     releases its sequence number there)
     * @throws Ended when the exchange ended early; its cause is the exception for the caller
     */
    void run(List<Request> batch, boolean recovering, ReplySink sink, Answered answered) {
        int next = 0; // the first request of the batch without its reply
        Reconnect reconnect = null;
        boolean fresh = false; // open a new connection for this attempt
        boolean maybeApplied = false;
        while (true) {
            Exception failure;
            Connection c = null;
            try {
                c = fresh ? pool.open() : pool.borrow();
                List<Request> rest = batch.subList(next, batch.size());
                try {
                    if (rest.size() == 1) {
                        c.send(rest.getFirst());
                    } else {
                        c.sendBatch(rest);
                    }
                } catch (SendFailure f) {
                    maybeApplied |= f.partlySent();
                    if (!recovering) {
                        if (!f.partlySent() && c.pooled() && !fresh) {
                            fresh = true; // a connection that died idle in the pool: once more on a new one
                            pool.discardIdle();
                            continue;
                        }
                        throw new Ended(
                                next,
                                f.partlySent()
                                        ? Errors.connectionLost(pool.socket(), f.getCause())
                                        : Errors.notSent(pool.socket(), f.getCause()));
                    }
                    throw f.getCause();
                }
                maybeApplied = true;
                while (next < batch.size()) {
                    Reply reply;
                    try {
                        reply = c.readReply();
                    } catch (IOException e) {
                        if (!recovering) {
                            throw new Ended(next, Errors.connectionLost(pool.socket(), e));
                        }
                        throw e;
                    }
                    if (reply.closing()) {
                        c.close();
                        if (recovering && shuttingDown(reply)) {
                            throw new EOFException("the daemon is shutting down and did not execute the request");
                        }
                    }
                    try {
                        sink.accept(next, reply);
                    } catch (ProtocolViolationException e) {
                        c.close();
                        throw new Ended(next, e);
                    } catch (Ended e) {
                        throw e;
                    } catch (SharedMapException e) {
                        answered.answered(batch.get(next));
                        throw new Ended(next + 1, e);
                    }
                    answered.answered(batch.get(next));
                    next++;
                }
                return;
            } catch (Ended e) {
                throw e;
            } catch (ReplyTimeoutException e) {
                throw new Ended(next, recovering ? notRetried(e, maybeApplied && !readsOnly(batch, next)) : e);
            } catch (IOException | DaemonUnavailableException e) {
                if (!recovering) {
                    throw new Ended(
                            next,
                            e instanceof DaemonUnavailableException d
                                    ? d
                                    : Errors.connectionLost(pool.socket(), (IOException) e));
                }
                failure = e;
            } catch (ServerFailureException e) {
                if (!recovering || !retryable(e)) {
                    throw new Ended(next, e); // refused for another reason: waiting would not help
                }
                failure = e;
            } catch (SharedMapException e) {
                throw new Ended(next, e);
            } finally {
                if (c != null) {
                    pool.release(c);
                }
            }
            pool.discardIdle();
            if (reconnect == null) {
                reconnect = new Reconnect(pool.socket(), reconnectWindow);
            }
            fresh = true;
            try {
                reconnect.failed(failure, maybeApplied);
            } catch (DaemonUnavailableException e) {
                throw new Ended(next, e);
            }
        }
    }

    /** Told of each request whose reply was handled. */
    @FunctionalInterface
    interface Answered {
        void answered(Request r);

        Answered NOTHING = r -> {};
    }

    /**
     * A reply timeout ends a recovering exchange. {@code sentBefore}: an earlier attempt may have
     * delivered a change (then a timeout at a new connection's hello leaves its outcome unknown too).
     */
    private static ReplyTimeoutException notRetried(ReplyTimeoutException e, boolean sentBefore) {
        return sentBefore && !e.changeUnanswered() ? Errors.replyTimeoutAfterResend(e) : e;
    }

    /**
     * A refusal at the hello that a recovering exchange waits out within its window: the daemon is
     * stopping (a restart), or at its connection limit (many clients reconnecting at once).
     */
    private static boolean retryable(ServerFailureException e) {
        ErrorCode code = e.errorCode().orElse(null);
        return code == ErrorCode.SHUTTING_DOWN || code == ErrorCode.TOO_MANY_CONNECTIONS;
    }

    private static boolean shuttingDown(Reply reply) {
        return reply.statusOrNull() == Status.ERROR
                && ErrorCodec.decode(reply.value()).code() == ErrorCode.SHUTTING_DOWN;
    }

    /** Whether the requests of {@code batch} from {@code from} on all only read. */
    private static boolean readsOnly(List<Request> batch, int from) {
        for (int i = from; i < batch.size(); i++) {
            if (!batch.get(i).readsOnly()) {
                return false;
            }
        }
        return true;
    }

    /** A single value carried out of a sink. */
    static final class Result<T extends @Nullable Object> {
        @Nullable
        T value;
    }
}
