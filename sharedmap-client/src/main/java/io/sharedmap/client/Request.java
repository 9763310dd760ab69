package io.sharedmap.client;

import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.Opcode;

/** One request frame's content, checked by the caller before it is built. */
record Request(Opcode opcode, byte[] key, byte[] value, long arg) {

  /** Bytes the frame takes on the wire. */
  int encodedLength() {
    return FrameEncoder.encodedLength(key.length, value.length);
  }
}
