package io.sharedmap.tests.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads /proc/<pid>/status fields (Linux). */
final class ProcStatus {
  private ProcStatus() {}

  /** A "kB" field of /proc/<pid>/status, e.g. VmHWM, in KiB; -1 when unreadable. */
  static long field(long pid, String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(name + ":")) {
          String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
          return Long.parseLong(parts[0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
