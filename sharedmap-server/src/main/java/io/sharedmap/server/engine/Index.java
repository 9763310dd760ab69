package io.sharedmap.server.engine;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The in-memory index: key to {@link Entry}, sorted by unsigned key bytes so that SCAN by prefix
 * walks a contiguous range. Backed by a {@link ConcurrentSkipListMap}: reads never block and never
 * take a lock; writes to different keys do not contend on a lock (per-key atomicity of
 * read-modify-write comes from the engine's stripe locks, not from here).
 *
 * <p>Kept behind this small class so a mapped, shared-memory index can replace it without touching
 * the server.
 */
final class Index {
  private final ConcurrentSkipListMap<Key, Entry> map = new ConcurrentSkipListMap<>();

  Entry get(Key key) {
    return map.get(key);
  }

  Entry put(Key key, Entry entry) {
    return map.put(key, entry);
  }

  Entry remove(Key key) {
    return map.remove(key);
  }

  int size() {
    return map.size();
  }

  /**
   * Entries in ascending key order starting at {@code from}. Weakly consistent: reflects every
   * entry that exists unchanged for the whole walk, and may or may not reflect concurrent changes.
   */
  Iterator<Map.Entry<Key, Entry>> from(Key from, boolean inclusive) {
    ConcurrentNavigableMap<Key, Entry> tail = map.tailMap(from, inclusive);
    return tail.entrySet().iterator();
  }

  Iterator<Map.Entry<Key, Entry>> all() {
    return map.entrySet().iterator();
  }
}
