package io.sharedmap.tests.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Command lines for child JVMs that run with this JVM's java binary and class path. */
public final class JavaCommand {
    private JavaCommand() {}

    /** The java binary running this test (surefire's fork), so children use the same JDK. */
    public static String javaBinary() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElseGet(() ->
                        Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** The test class path: test classes, every sharedmap module and their dependencies. */
    public static String classPath() {
        return System.getProperty("java.class.path");
    }

    /** Whether {@code taskset} (util-linux) is on the PATH, for the 1-CPU runs. */
    public static boolean tasksetAvailable() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "taskset"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code [taskset -c 0] java <jvmArgs> -cp <class path> <mainClass> <args>}.
     *
     * @param oneCpu pin the JVM to CPU 0 and tell it it has one processor
     */
    public static List<String> command(boolean oneCpu, List<String> jvmArgs, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        if (oneCpu) {
            cmd.addAll(List.of("taskset", "-c", "0"));
        }
        cmd.add(javaBinary());
        if (oneCpu) {
            cmd.add("-XX:ActiveProcessorCount=1");
        }
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }
}
