package io.sharedmap.client;

import org.jspecify.annotations.Nullable;

/**
 * The result of one pipelined operation, available once its {@link Pipeline} is synced.
 *
 * @param <T> the operation's result type
 */
public final class Response<T> {
    private @Nullable T value;
    private @Nullable SharedMapException failure;
    private boolean done;

    Response() {}

    /**
     * The operation's result.
     *
     * @throws IllegalStateException when the pipeline has not been synced yet
     * @throws SharedMapException what the operation failed with (the same as the non-pipelined call)
     */
    public T get() {
        if (!done) {
            throw new IllegalStateException("this response is not available until its pipeline is synced");
        }
        if (failure != null) {
            throw failure;
        }
        return castNonNull(value); // set when done without a failure (null only as a Void result)
    }

    @SuppressWarnings({"NullAway", "TypeParameterUnusedInFormals"}) // the one unchecked step: see get()
    private static <V> V castNonNull(@Nullable V v) {
        return v;
    }

    /** Whether the pipeline has been synced and this response holds a result or a failure. */
    public boolean isDone() {
        return done;
    }

    void complete(T result) {
        value = result;
        done = true;
    }

    void fail(SharedMapException e) {
        failure = e;
        done = true;
    }
}
