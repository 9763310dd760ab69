package io.sharedmap.server.engine;

import io.sharedmap.server.security.Owner;

/**
 * A stored value, its version, and its owner, group and mode. Immutable once published: a change replaces the whole entry in
 * the index, so a reader that got an entry holds a value no writer will touch again (the original
 * module copied values out after unlocking while a writer freed them; here the garbage collector
 * keeps a value alive for as long as any reader holds it).
 */
public record Entry(byte[] value, long version, Owner owner) {}
