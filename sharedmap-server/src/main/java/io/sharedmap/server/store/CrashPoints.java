package io.sharedmap.server.store;

/**
 * Named points between the ordered steps of the store's multi-step changes, where a test can stop
 * the writer as a {@code kill -9} would (by throwing) and then check that opening the store again
 * and replaying the journal ends in the right state. Production code passes {@link #NONE}.
 */
@FunctionalInterface
interface CrashPoints {
    CrashPoints NONE = () -> {};

    /** Called between two steps whose order a crash may cut. */
    void reached();
}
