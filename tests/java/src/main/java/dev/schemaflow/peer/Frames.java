package dev.schemaflow.peer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Confluent's wire format: magic byte 0, the schema id as 4 big-endian bytes, then (Protobuf
 * only) the message indexes — a zig-zag varint count, then each index as a zig-zag varint, the
 * single byte 0 standing for [0] — then the payload.
 */
final class Frames {
  private Frames() {}

  /** A frame's schema id and the position right after the 5-byte header. */
  static int schemaId(ByteBuffer frame) {
    if (frame.remaining() < 5) {
      throw new IllegalArgumentException("frame shorter than 5 bytes: " + frame.remaining());
    }
    byte magic = frame.get();
    if (magic != 0) {
      throw new IllegalArgumentException("unknown magic byte " + magic);
    }
    return frame.getInt();
  }

  static void writeHeader(ByteArrayOutputStream out, int id) {
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array(), 0, 4);
  }

  private static long readVarint(ByteBuffer b) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!b.hasRemaining()) {
        throw new IllegalArgumentException("truncated varint in message indexes");
      }
      int x = b.get() & 0xff;
      result |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalArgumentException("varint too long in message indexes");
  }

  private static int readZigZag(ByteBuffer b) {
    long n = readVarint(b);
    return (int) ((n >>> 1) ^ -(n & 1));
  }

  static List<Integer> readMessageIndexes(ByteBuffer b) {
    int count = readZigZag(b);
    if (count < 0 || count > 100) {
      throw new IllegalArgumentException("bad message index count " + count);
    }
    List<Integer> out = new ArrayList<>();
    if (count == 0) {
      out.add(0);
      return out;
    }
    for (int i = 0; i < count; i++) {
      out.add(readZigZag(b));
    }
    return out;
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static void writeZigZag(ByteArrayOutputStream out, int v) {
    writeVarint(out, ((long) v << 1) ^ ((long) v >> 63));
  }

  static void writeMessageIndexes(ByteArrayOutputStream out, List<Integer> indexes) {
    if (indexes.size() == 1 && indexes.get(0) == 0) {
      out.write(0);
      return;
    }
    writeZigZag(out, indexes.size());
    for (int i : indexes) {
      writeZigZag(out, i);
    }
  }
}
