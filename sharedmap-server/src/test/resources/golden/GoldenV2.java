import io.sharedmap.server.Durability;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.EngineConfig;
import io.sharedmap.server.security.Caller;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Writes a data directory with the engine of commit aaccaa7 (format 2: owners). */
public class GoldenV2 {
  static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Caller alice = new Caller(1001, 100, new long[] {100}, false);
    try (Engine e = Engine.open(new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30))) {
      for (int i = 0; i < 20; i++) e.awaitDurable(e.set(b("k" + i), b("v" + i)).visibleVersion());
      for (int i = 0; i < 5; i++) e.awaitDurable(e.set(alice, alice.newOwner(027), b("a" + i), b("alice" + i), 0, 0).visibleVersion());
      e.snapshot();
      for (int i = 20; i < 25; i++) e.awaitDurable(e.set(b("k" + i), b("v" + i)).visibleVersion());
      e.awaitDurable(e.set(b("k1"), b("v1b")).visibleVersion());
      e.awaitDurable(e.delete(b("k2"), 0).visibleVersion());
      e.awaitDurable(e.chmod(alice, b("a1"), false, 0600).visibleVersion());
      e.awaitDurable(e.set(b("seq"), b("s1"), 77, 1).visibleVersion());
      e.awaitDurable(e.compareAndSet(b("k3"), 999_999, b("x"), 77, 2).visibleVersion());
    }
  }
}
