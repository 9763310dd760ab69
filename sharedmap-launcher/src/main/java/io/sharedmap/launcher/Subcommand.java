package io.sharedmap.launcher;

import java.util.concurrent.Callable;

/**
 * A subcommand that a module contributes to {@code sharedmap} without the CLI depending on it
 * (bench, torture): a picocli {@code @Command} class, found with {@link java.util.ServiceLoader}
 * when its jar is on the class path ({@code bin/sharedmap} puts the bench and torture jars
 * there), so the everyday CLI ships none of their dependencies. Its {@code call()} returns the
 * process's exit code; it writes to the command line's {@code getOut()} and {@code getErr()}.
 */
public interface Subcommand extends Callable<Integer> {}
