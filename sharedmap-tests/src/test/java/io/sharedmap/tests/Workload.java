package io.sharedmap.tests;

import io.sharedmap.tests.clients.Dump;
import io.sharedmap.tests.clients.DumpMain;
import io.sharedmap.tests.clients.WriteLog;
import io.sharedmap.tests.clients.WriterMain;
import io.sharedmap.tests.support.ChildProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Writer and dumper processes for the multi-process tests. */
final class Workload {
    static final Duration WRITER_EXIT_TIMEOUT = Duration.ofSeconds(120);
    static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(90);

    private Workload() {}

    /**
     * Starts {@code count} {@link WriterMain} processes tagged {@code w0, w1, ...}.
     *
     * @param args further WriterMain arguments, e.g. {@code --threads 2 --own 20}
     */
    static List<ChildProcess> startWriters(SystemTestEnv env, Path socket, int count, String... args) {
        List<ChildProcess> writers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<String> a = new ArrayList<>(List.of("--socket", socket.toString(), "--tag", "w" + i));
            a.addAll(List.of(args));
            writers.add(env.startClient("writer-" + i, WriterMain.class, a));
        }
        return writers;
    }

    /** Waits until every writer has at least {@code more} acknowledged writes beyond {@code since}. */
    static void awaitProgress(List<ChildProcess> writers, int[] since, int more) {
        for (int i = 0; i < writers.size(); i++) {
            writers.get(i).awaitCount("A", since[i] + more, PROGRESS_TIMEOUT);
        }
    }

    static int[] ackCounts(List<ChildProcess> writers) {
        return writers.stream().mapToInt(w -> w.count("A")).toArray();
    }

    /** Closes the writers' stdin (their signal to finish) and waits for each to exit 0. */
    static void stop(List<ChildProcess> writers) {
        writers.forEach(ChildProcess::closeStdin);
        awaitExit(writers);
    }

    static void awaitExit(List<ChildProcess> writers) {
        for (ChildProcess w : writers) {
            w.awaitExit(WRITER_EXIT_TIMEOUT, 0);
        }
    }

    /** Reads the whole map from a fresh process, GETting also every key the log names. */
    static Dump dump(SystemTestEnv env, Path socket, WriteLog log, String name) {
        Path keys = env.scratch().resolve(name + ".keys");
        try {
            Files.write(keys, log.keys());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChildProcess dumper = env.startClient(
                name, DumpMain.class, List.of("--socket", socket.toString(), "--keys-file", keys.toString()));
        dumper.awaitExit(Duration.ofSeconds(60), 0);
        return Dump.of(dumper);
    }
}
