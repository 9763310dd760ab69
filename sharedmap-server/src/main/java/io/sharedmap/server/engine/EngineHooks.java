package io.sharedmap.server.engine;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The engine's named points where a test may break it on purpose, to prove that the torture
 * tool's checkers catch a broken daemon. Production code calls these on {@link #NONE}, which does
 * nothing (one monomorphic call the JIT removes). Never use the broken modes for data.
 *
 * <ul>
 *   <li>{@link #STALE_READS_PROPERTY}: GET sometimes answers with the value a key had before its last
 *       change (linearizability checker).
 *   <li>{@link #LATE_APPLY_PROPERTY}: the journal's leader releases a batch's writers before it
 *       applies the batch to the mapped store, and applies it a couple of milliseconds later, so a
 *       direct read may miss a write acknowledged before it began (direct-read checks). GET through
 *       the socket is unaffected.
 * </ul>
 */
public class EngineHooks {
    public static final String STALE_READS_PROPERTY = "sharedmap.unsafe.staleReads";
    public static final String LATE_APPLY_PROPERTY = "sharedmap.unsafe.lateApply";

    /** The hooks of a correct daemon: every point does nothing. */
    public static final EngineHooks NONE = new EngineHooks();

    protected EngineHooks() {}

    /** The hooks the system properties ask for (the broken modes), else {@link #NONE}. */
    public static EngineHooks fromSystemProperties() {
        boolean stale = Boolean.getBoolean(STALE_READS_PROPERTY);
        boolean late = Boolean.getBoolean(LATE_APPLY_PROPERTY);
        if (!stale && !late) {
            return NONE;
        }
        return new Broken(stale, late);
    }

    /** Whether {@link #replaced} wants the entry a change replaces (it costs a read of the old value). */
    boolean remembersReplaced() {
        return false;
    }

    /** A change replaced or removed {@code old} (value included) of {@code key}. */
    void replaced(Key key, @Nullable Entry old) {}

    /** What GET answers for {@code key}, whose current entry is {@code current} (null: absent). */
    @Nullable
    Entry get(Key key, @Nullable Entry current) {
        return current;
    }

    /**
     * The wall clock against which keys' deadlines are checked, Unix epoch milliseconds. Tests
     * override it to move time without waiting.
     */
    public long nowMillis() {
        return System.currentTimeMillis();
    }

    /**
     * Whether the engine runs its expiry sweeper on its own (every few milliseconds); tests that move
     * the clock by hand call {@link Engine#expireAllDue} instead.
     */
    public boolean sweepsOnItsOwn() {
        return true;
    }

    /** Whether the journal's leader releases writers before it applies their batch to the store. */
    boolean applyAfterRelease() {
        return false;
    }

    /** The broken modes. */
    private static final class Broken extends EngineHooks {
        private static final System.Logger LOG = System.getLogger(EngineHooks.class.getName());
        private final boolean staleReads;
        private final boolean lateApply;
        private final Map<Key, Entry> overwritten = new ConcurrentHashMap<>();

        Broken(boolean staleReads, boolean lateApply) {
            this.staleReads = staleReads;
            this.lateApply = lateApply;
            if (staleReads) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "UNSAFE: GET may return stale values (" + STALE_READS_PROPERTY
                                + "); this daemon is broken on purpose for testing");
            }
            if (lateApply) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "UNSAFE: changes reach the mapped store after they are acknowledged (" + LATE_APPLY_PROPERTY
                                + "); direct reads may be stale; this daemon is broken on purpose for testing");
            }
        }

        @Override
        boolean remembersReplaced() {
            return staleReads;
        }

        @Override
        void replaced(Key key, @Nullable Entry old) {
            if (staleReads && old != null) {
                overwritten.put(key, old);
            }
        }

        @Override
        @Nullable
        Entry get(Key key, @Nullable Entry current) {
            if (staleReads && ThreadLocalRandom.current().nextInt(3) == 0) {
                Entry stale = overwritten.get(key);
                if (stale != null) {
                    return stale;
                }
            }
            return current;
        }

        @Override
        boolean applyAfterRelease() {
            return lateApply;
        }
    }
}
