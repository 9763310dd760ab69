package io.sharedmap.server.log;

import java.io.PrintStream;
import java.text.MessageFormat;
import java.time.Instant;
import java.util.Locale;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * The daemon's {@link System.Logger} backend: one line per event on standard error, {@code
 * <instant> <LEVEL> [<thread>] <logger>: <message>}, with stack traces after. Unlike the JDK's
 * default backend it keeps logging during shutdown hooks, where the daemon drains. The threshold is
 * the system property {@code sharedmap.log.level} or the environment variable {@code
 * SHAREDMAP_LOG_LEVEL} (ERROR, WARNING, INFO, DEBUG, TRACE; default INFO).
 */
public final class StderrLoggerFinder extends System.LoggerFinder {
    private static final System.Logger.Level THRESHOLD = threshold();

    /** Who else hears each event logged at WARNING or above: the in-process test daemon. */
    private static final CopyOnWriteArrayList<Listener> LISTENERS = new CopyOnWriteArrayList<>();

    /** Hears the events logged at WARNING or ERROR, as the line written to standard error. */
    @FunctionalInterface
    public interface Listener {
        void logged(System.Logger.Level level, String line);
    }

    /**
     * Adds {@code listener} until the returned handle is closed. For tests that run a daemon in their
     * own JVM and fail on a warning or an error they did not expect (the system tests read the
     * daemon's standard error instead).
     */
    public static AutoCloseable listen(Listener listener) {
        LISTENERS.add(listener);
        return () -> LISTENERS.remove(listener);
    }

    private static System.Logger.Level threshold() {
        String s = System.getProperty("sharedmap.log.level", System.getenv("SHAREDMAP_LOG_LEVEL"));
        if (s == null || s.isBlank()) {
            return System.Logger.Level.INFO;
        }
        try {
            return System.Logger.Level.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return System.Logger.Level.INFO;
        }
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new StderrLogger(name.substring(name.lastIndexOf('.') + 1));
    }

    private record StderrLogger(String name) implements System.Logger {
        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return level != Level.OFF && level.getSeverity() >= THRESHOLD.getSeverity();
        }

        @Override
        public void log(Level level, @Nullable ResourceBundle bundle, String msg, @Nullable Throwable thrown) {
            if (!isLoggable(level)) {
                return;
            }
            PrintStream err = System.err;
            String line = Instant.now() + " " + level.getName() + " ["
                    + Thread.currentThread().getName() + "] " + name + ": " + msg;
            if (level.getSeverity() >= Level.WARNING.getSeverity()) {
                for (Listener l : LISTENERS) {
                    l.logged(level, thrown == null ? line : line + " " + thrown);
                }
            }
            synchronized (err) {
                err.println(line);
                if (thrown != null) {
                    thrown.printStackTrace(err);
                }
                err.flush();
            }
        }

        @Override
        public void log(Level level, @Nullable ResourceBundle bundle, String format, @Nullable Object... params) {
            if (isLoggable(level)) {
                log(
                        level,
                        bundle,
                        params == null || params.length == 0 ? format : MessageFormat.format(format, params),
                        (Throwable) null);
            }
        }
    }
}
