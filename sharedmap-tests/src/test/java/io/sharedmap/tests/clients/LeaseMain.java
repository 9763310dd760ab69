package io.sharedmap.tests.clients;

import io.sharedmap.client.CasResult;
import io.sharedmap.client.SharedMap;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A lock held as a lease: {@code <socket> <key> <ttl-ms> <holder>} takes the key with CAS (only if
 * absent) and a time to live, prints {@code ACQUIRED <version>}, then renews it every third of the
 * TTL, only at its own version (a keep-alive), printing {@code RENEWED}, until it is killed. Tries
 * to acquire for at most 60 s ({@code TIMEOUT}).
 */
public final class LeaseMain {
    private LeaseMain() {}

    public static void main(String[] args) {
        Duration ttl = Duration.ofMillis(Long.parseLong(args[2]));
        byte[] key = args[1].getBytes(StandardCharsets.UTF_8);
        byte[] holder = args[3].getBytes(StandardCharsets.UTF_8);
        try (SharedMap map = SharedMap.connect(Path.of(args[0]))) {
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long version = 0;
            while (version == 0) {
                if (map.compareAndSet(key, 0, holder, ttl) instanceof CasResult.Applied a) {
                    version = a.version();
                } else if (System.nanoTime() > until) {
                    System.out.println("TIMEOUT");
                    System.exit(2);
                } else {
                    LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                }
            }
            System.out.println("ACQUIRED " + version);
            System.out.flush();
            while (true) {
                LockSupport.parkNanos(ttl.toNanos() / 3);
                if (!map.expire(key, version, ttl)) {
                    System.out.println("LOST");
                    System.exit(3);
                }
                System.out.println("RENEWED");
                System.out.flush();
            }
        }
    }
}
