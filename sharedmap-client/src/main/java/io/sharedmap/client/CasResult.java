package io.sharedmap.client;

/**
 * What a {@link SharedMap#compareAndSet} did: {@link Applied} or {@link Conflict}. Use a pattern
 * switch:
 *
 * <pre>{@code
 * switch (map.compareAndSet(key, seen.version(), next)) {
 *   case CasResult.Applied a -> ...;
 *   case CasResult.Conflict c -> ...; // someone else wrote first: read again and retry
 * }
 * }</pre>
 */
public sealed interface CasResult {

    /**
     * The value was written.
     *
     * @param created true when the key did not exist (expected version 0)
     * @param version the version of the new value
     */
    record Applied(boolean created, long version) implements CasResult {}

    /**
     * The key's version was not the expected one; nothing was written.
     *
     * @param currentVersion the key's version now, 0 when it does not exist
     */
    record Conflict(long currentVersion) implements CasResult {}
}
