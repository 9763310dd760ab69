package io.sharedmap.client;

/**
 * What a {@link SharedMap#set} did.
 *
 * @param created true when the key did not exist before, false when an existing value was replaced
 * @param version the version of the new value
 */
public record SetResult(boolean created, long version) {}
