package io.sharedmap.tests;

import io.sharedmap.client.Entry;
import io.sharedmap.client.SharedMap;

/**
 * The example at the top of README.md, as a program: {@link ReadmeExampleTest} checks that the
 * README shows exactly the lines between the markers, and runs this in its own process against a
 * real daemon found through {@code SHAREDMAP_SOCKET}, as a user's program would find it.
 */
public final class ReadmeExample {
    private ReadmeExample() {}

    public static void main(String[] args) {
        // README:begin
        try (SharedMap map = SharedMap.connect()) { // finds the daemon's socket by itself
            map.set("greeting", "hello"); // CREATED or UPDATED, with a version
            Entry e = map.get("greeting").orElseThrow(); // same value in every process
            map.compareAndSet("greeting", e.version(), "hi"); // Applied, or Conflict if someone won
        }
        // README:end
    }
}
