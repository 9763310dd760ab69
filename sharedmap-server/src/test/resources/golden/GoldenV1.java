import io.sharedmap.server.Durability;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.EngineConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Writes a data directory with the engine of commit 53317ff (format 1). */
public class GoldenV1 {
  static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    try (Engine e = Engine.open(new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30))) {
      for (int i = 0; i < 20; i++) e.awaitDurable(e.set(b("k" + i), b("v" + i)).visibleVersion());
      e.snapshot();
      for (int i = 20; i < 25; i++) e.awaitDurable(e.set(b("k" + i), b("v" + i)).visibleVersion());
      e.awaitDurable(e.set(b("k1"), b("v1b")).visibleVersion());
      e.awaitDurable(e.delete(b("k2"), 0).visibleVersion());
      e.awaitDurable(e.set(b("seq"), b("s1"), 77, 1).visibleVersion());
      e.awaitDurable(e.compareAndSet(b("k3"), 999_999, b("x"), 77, 2).visibleVersion());
    }
  }
}
