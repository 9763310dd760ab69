package io.sharedmap.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** STUB: `sharedmap bench`, replaced by the real benchmark. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run the multi-process benchmark.")
public final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("bench: not implemented yet");
    return 1;
  }
}
