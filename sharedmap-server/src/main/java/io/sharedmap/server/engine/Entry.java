package io.sharedmap.server.engine;

import io.sharedmap.server.security.Owner;
import org.jspecify.annotations.Nullable;

/**
 * A key's value, its version, and its owner, group and mode. Immutable: the value is a copy that no
 * writer touches again (the original module copied values out after unlocking while a writer freed
 * them; here a reader gets its own copy from the store, or shares a pending state's array, which
 * nothing writes after it is made).
 *
 * @param value the value, or null where the engine read only the value's length
 * @param valueLength the value's length in bytes
 * @param deadline when the key expires, Unix epoch milliseconds (wall clock); 0: never
 */
public record Entry(byte @Nullable [] value, long version, Owner owner, int valueLength, long deadline) {
    public Entry(byte[] value, long version, Owner owner) {
        this(value, version, owner, value.length, 0);
    }

    public Entry(byte[] value, long version, Owner owner, long deadline) {
        this(value, version, owner, value.length, deadline);
    }
}
