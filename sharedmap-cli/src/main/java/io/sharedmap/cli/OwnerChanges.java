package io.sharedmap.cli;

import io.sharedmap.client.OwnerChange;

/** How chmod and chown report what they did. */
final class OwnerChanges {
    private OwnerChanges() {}

    /** Prints the outcome; returns the exit code for it (1 for a single key that does not exist). */
    static int report(SharedMapCommand root, String command, String key, boolean prefix, OwnerChange c) {
        if (!c.found()) {
            root.err().println(command + ": " + key + ": no such key");
            return ExitCodes.NOT_FOUND_OR_CONFLICT;
        }
        if (prefix) {
            root.out()
                    .println(command + ": " + c.changed() + " keys under '" + key + "' changed"
                            + (c.skipped() > 0 ? ", " + c.skipped() + " skipped (not yours)" : ""));
        }
        return ExitCodes.OK;
    }
}
