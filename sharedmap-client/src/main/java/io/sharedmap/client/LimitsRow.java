package io.sharedmap.client;

/**
 * A principal's limits beside its usage, as the daemon counts it: for a user, the limits that
 * bind it (its own, and the default's for those it has none of); for {@link Principal#DEFAULT}
 * usage is zero; for {@link Principal#DEFAULT_GROUP} usage is the sum of every user without limits
 * of its own (root excepted).
 */
public record LimitsRow(Principal principal, Limits limits, Limits usage) {}
