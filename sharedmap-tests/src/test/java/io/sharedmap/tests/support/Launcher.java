package io.sharedmap.tests.support;

import java.nio.file.Path;
import java.util.List;

/**
 * Starts daemons and client JVMs and keeps track of them: {@link SystemTestEnv} in JUnit tests,
 * {@link StandaloneLauncher} in the long-run tools (mains in test sources).
 */
public interface Launcher {
    /** A daemon spec on {@code <scratch>/data} and {@code <scratch>/s.sock} with default settings. */
    DaemonProcess.Spec daemonSpec();

    /** Starts a daemon JVM and waits until it serves. */
    DaemonProcess startDaemon(DaemonProcess.Spec spec);

    /** Starts a daemon JVM without waiting. */
    DaemonProcess launchDaemon(DaemonProcess.Spec spec);

    /** Starts {@code mainClass} in a client JVM. */
    ChildProcess startClient(String name, Class<?> mainClass, List<String> args);

    /** A short scratch directory under /tmp. */
    Path scratch();

    /** Where process logs go. */
    Path logDir();
}
