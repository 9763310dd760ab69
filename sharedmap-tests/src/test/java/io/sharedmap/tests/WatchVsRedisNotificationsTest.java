package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.SharedMap;
import io.sharedmap.client.WatchEvent;
import io.sharedmap.client.WatchListener;
import io.sharedmap.client.Watcher;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.RedisServers;
import io.sharedmap.tests.support.SystemTestEnv;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * What issue 14 asks to show: Redis's keyspace notifications ({@code notify-keyspace-events}) are
 * lost while a subscriber is disconnected; sharedmap's watch, resumed from the last version seen,
 * loses none. The same writes on both: 100 before the subscriber disconnects, 100 while it is away,
 * 100 after it is back.
 */
class WatchVsRedisNotificationsTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aSubscriberAway_losesRedisNotifications_butNoSharedmapChange() throws Exception {
        int n = 100;
        // Redis: a pattern subscription to the keyspace channel of every key under k:
        try (RedisServers redis = RedisServers.single(env.newDir("redis"))) {
            int port = redis.ports().getFirst();
            try (Jedis admin = new Jedis("127.0.0.1", port)) {
                admin.configSet("notify-keyspace-events", "K$");
                List<String> got = new CopyOnWriteArrayList<>();
                Subscriber first = new Subscriber(port, got);
                first.awaitSubscribed();
                write(admin, 0, n);
                Await.until("the first " + n + " notifications", () -> got.size() == n, WAIT);
                first.close(); // the subscriber goes away
                write(admin, n, 2 * n);
                Subscriber again = new Subscriber(port, got);
                again.awaitSubscribed();
                write(admin, 2 * n, 3 * n);
                Await.until("the last " + n + " notifications", () -> got.size() >= 2 * n, WAIT);
                again.close();
                assertThat(got)
                        .as("Redis: the " + n + " changes made while the subscriber was away are lost")
                        .hasSize(2 * n);
            }
        }

        // sharedmap: the watch resumes after the last version it saw
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        try (SharedMap map = SharedMap.connect(daemon.socket())) {
            List<Long> got = new CopyOnWriteArrayList<>();
            WatchListener l = e -> {
                if (e.kind() == WatchEvent.Kind.SET) {
                    got.add(e.version());
                }
            };
            byte[] prefix = "k:".getBytes(StandardCharsets.UTF_8);
            long resumeFrom;
            try (Watcher w = map.watch(prefix, true, -1, false, l)) {
                Await.until("the watch is open", () -> w.lastVersion() >= 0, WAIT);
                write(map, 0, n);
                Await.until("the first " + n + " changes", () -> got.size() == n, WAIT);
                resumeFrom = w.lastVersion();
            } // the watcher goes away
            write(map, n, 2 * n);
            try (Watcher w = map.watch(prefix, true, resumeFrom, false, l)) {
                write(map, 2 * n, 3 * n);
                Await.until("every change", () -> got.size() >= 3 * n, WAIT);
                assertThat(w.ended()).isFalse();
            }
            assertThat(got)
                    .as("sharedmap: every change, in order, once, the ones made while away included")
                    .hasSize(3 * n)
                    .isSorted()
                    .doesNotHaveDuplicates();
        }
    }

    private static void write(Jedis jedis, int from, int to) {
        for (int i = from; i < to; i++) {
            jedis.set("k:" + i, "v" + i);
        }
    }

    private static void write(SharedMap map, int from, int to) {
        for (int i = from; i < to; i++) {
            map.set("k:" + i, "v" + i);
        }
    }

    /** A Jedis pattern subscriber on its own thread. */
    private static final class Subscriber {
        private final JedisPubSub pubSub;
        private final Thread thread;

        Subscriber(int port, List<String> got) {
            pubSub = new JedisPubSub() {
                @Override
                public void onPMessage(String pattern, String channel, String message) {
                    got.add(channel + " " + message);
                }
            };
            thread = new Thread(() -> {
                try (Jedis j = new Jedis("127.0.0.1", port)) {
                    j.psubscribe(pubSub, "__keyspace@0__:k:*");
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        void awaitSubscribed() {
            Await.until("the Redis subscription", pubSub::isSubscribed, WAIT);
        }

        void close() throws InterruptedException {
            pubSub.punsubscribe();
            thread.join(WAIT.toMillis());
        }
    }
}
