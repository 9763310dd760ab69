package io.sharedmap.client;

/**
 * What a chmod or chown did.
 *
 * @param found false when the single key named does not exist (never false for a prefix)
 * @param changed keys whose mode or owner now is as asked
 * @param skipped keys under the prefix this user may not change (not its own), left as they were
 */
public record OwnerChange(boolean found, long changed, long skipped) {}
