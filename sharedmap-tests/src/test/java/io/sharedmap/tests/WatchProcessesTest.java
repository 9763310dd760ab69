package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.SharedMap;
import io.sharedmap.client.WatchEvent;
import io.sharedmap.client.WatchListener;
import io.sharedmap.client.Watcher;
import io.sharedmap.tests.clients.WatcherMain;
import io.sharedmap.tests.clients.WriteLog;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Writers in several processes, watchers in others, and a kill -9 of the daemon in the middle:
 * every watcher receives, in increasing version order and each once, exactly the changes the
 * journal holds for its prefix (the same list a watch of the whole history gives afterwards), and
 * among them every write a writer saw acknowledged, with its version.
 */
class WatchProcessesTest {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void watchers_getExactlyTheJournalsChanges_acrossKill9() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        String socket = daemon.socket().toString();
        List<String> prefixes = List.of("w0.", "w1.0/", "");
        List<ChildProcess> watchers = new ArrayList<>();
        for (int i = 0; i < prefixes.size(); i++) {
            ChildProcess w = env.startClient(
                    "watcher" + i, WatcherMain.class, List.of("--socket", socket, "--prefix", prefixes.get(i)));
            w.awaitCount("READY", 1, WAIT);
            watchers.add(w);
        }
        List<ChildProcess> writers =
                Workload.startWriters(env, daemon.socket(), 2, "--threads", "2", "--own", "20", "--value-bytes", "50");
        Workload.awaitProgress(writers, new int[2], 150);
        daemon.kill9();
        DaemonProcess restarted = env.startDaemon(daemon.spec());
        Workload.awaitProgress(writers, new int[] {150, 150}, 150);
        Workload.stop(writers);
        WriteLog log = WriteLog.of(writers);

        try (SharedMap map = SharedMap.connect(restarted.socket())) {
            long last = map.set("end-marker", "x").version(); // every write is before it
            for (int i = 0; i < prefixes.size(); i++) {
                String prefix = prefixes.get(i);
                List<long[]> history = history(map, prefix, last);
                ChildProcess w = watchers.get(i);
                List<String> expected = new ArrayList<>();
                for (long[] h : history) {
                    expected.add(h[0] + "");
                }
                assertThat(expected).as("changes under '" + prefix + "'").hasSizeGreaterThan(100);
                Await.until(
                        "watcher of '" + prefix + "' reaches the history's end",
                        () -> events(w, last).size() >= expected.size(),
                        WAIT);
                List<String> seen = events(w, last);
                List<String> versions = new ArrayList<>();
                for (String line : seen) {
                    versions.add(line.split(" ")[1]);
                }
                assertThat(versions)
                        .as("watcher of '" + prefix + "': exactly the journal's changes, in order, once")
                        .isEqualTo(expected);
                for (String key : log.keys()) {
                    if (!key.startsWith(prefix)) {
                        continue;
                    }
                    for (WriteLog.Write write : log.writes(key)) {
                        if (write.kind() == WriteLog.Kind.ACKED) {
                            assertThat(seen)
                                    .as("the acknowledged write " + write)
                                    .contains("E " + write.version() + " SET " + key);
                        }
                    }
                }
                assertThat(seen).allMatch(l -> l.split(" ")[3].startsWith(prefix));
                assertThat(w.lines()).noneMatch(l -> l.startsWith("X ") || l.startsWith("C "));
            }
        }
        watchers.forEach(ChildProcess::closeStdin);
        for (ChildProcess w : watchers) {
            w.awaitExit(WAIT, 0);
        }
    }

    /** The watcher's change lines before version {@code last}. */
    private static List<String> events(ChildProcess w, long last) {
        return w.lines().stream()
                .filter(l -> l.startsWith("E ") && Long.parseLong(l.split(" ")[1]) < last)
                .toList();
    }

    /** The versions of every change under {@code prefix} before {@code last}, from a watch of the whole history. */
    private static List<long[]> history(SharedMap map, String prefix, long last) {
        List<long[]> got = new CopyOnWriteArrayList<>();
        long[] reached = {0};
        WatchListener l = new WatchListener() {
            @Override
            public void onEvent(WatchEvent e) {
                reached[0] = e.version();
                if (e.kind() != WatchEvent.Kind.PROGRESS && e.version() < last) {
                    got.add(new long[] {e.version()});
                }
            }
        };
        try (Watcher w = map.watch(prefix.getBytes(StandardCharsets.UTF_8), true, 0, false, l)) {
            Await.until("the history up to " + last, () -> reached[0] >= last || w.ended(), WAIT);
        }
        return got;
    }
}
