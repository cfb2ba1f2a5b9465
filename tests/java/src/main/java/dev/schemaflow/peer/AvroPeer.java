package dev.schemaflow.peer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Avro the way Confluent's Java KafkaAvroDeserializer/Serializer do it, with Apache Avro's own
 * code: the writer schema by id from the registry (references parsed first, with one parser),
 * then a SpecificDatumReader(writer, reader) — reader = the generated class's schema — or a
 * GenericDatumReader when there is no class or a reader schema file is given.
 */
final class AvroPeer {
  private final Registry registry;
  private final Map<Integer, Schema> writers = new HashMap<>();

  AvroPeer(Registry registry) {
    this.registry = registry;
  }

  /** Schema texts of every reference of an answer, dependencies first, each once. */
  private void collectReferences(JsonNode answer, LinkedHashMap<String, String> out, int depth)
      throws IOException {
    if (depth > 32) {
      throw new IOException("schema references nested deeper than 32");
    }
    for (Registry.Reference r : Registry.references(answer)) {
      String key = r.subject() + "/" + r.version();
      if (out.containsKey(key)) {
        continue;
      }
      JsonNode dep = registry.subjectVersion(r.subject(), r.version(), false);
      collectReferences(dep, out, depth + 1);
      out.put(key, dep.get("schema").asText());
    }
  }

  Schema writerSchema(int id) throws IOException {
    Schema s = writers.get(id);
    if (s == null) {
      JsonNode answer = registry.schemaById(id, false);
      String type = answer.path("schemaType").asText("AVRO");
      if (!"AVRO".equals(type)) {
        throw new IOException("schema " + id + " is " + type + ", not AVRO");
      }
      LinkedHashMap<String, String> refs = new LinkedHashMap<>();
      collectReferences(answer, refs, 0);
      Schema.Parser parser = new Schema.Parser();
      for (String text : refs.values()) {
        parser.parse(text);
      }
      s = parser.parse(answer.get("schema").asText());
      writers.put(id, s);
    }
    return s;
  }

  /** Parse the reference files, then the schema file, with one parser. */
  static Schema parseFiles(List<Path> refs, Path file) throws IOException {
    Schema.Parser parser = new Schema.Parser();
    for (Path r : refs) {
      parser.parse(Files.readString(r));
    }
    return parser.parse(Files.readString(file));
  }

  /** The generated SpecificRecord class of a full name, if any. */
  private static Class<?> generatedClass(Schema s) {
    if (s.getType() != Schema.Type.RECORD) {
      return null;
    }
    try {
      return Class.forName(s.getFullName());
    } catch (ClassNotFoundException e) {
      return null;
    }
  }

  private static Schema classSchema(Class<?> c) {
    try {
      return (Schema) c.getMethod("getClassSchema").invoke(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Consume: one line of Avro's JSON encoding per frame. */
  String frameToJson(byte[] frame, Schema readerOverride) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(frame);
    int id = Frames.schemaId(b);
    Schema writer = writerSchema(id);
    Schema reader;
    DatumReader<Object> dr;
    DatumWriter<Object> dw;
    Class<?> cls = readerOverride == null ? generatedClass(writer) : null;
    if (cls != null) {
      SpecificData model = SpecificData.getForClass(cls);
      reader = classSchema(cls);
      dr = new SpecificDatumReader<>(writer, reader, model);
      dw = new SpecificDatumWriter<>(reader, model);
    } else {
      reader = readerOverride != null ? readerOverride : writer;
      dr = new GenericDatumReader<>(writer, reader);
      dw = new GenericDatumWriter<>(reader);
    }
    Object datum =
        dr.read(null, DecoderFactory.get().binaryDecoder(frame, b.position(), b.remaining(), null));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    JsonEncoder enc = EncoderFactory.get().jsonEncoder(reader, out, false);
    dw.write(datum, enc);
    enc.flush();
    return out.toString(StandardCharsets.UTF_8).trim();
  }

  /** Produce: Avro JSON lines → the generated record (or a GenericRecord) → frames. */
  static List<byte[]> jsonToFrames(List<String> lines, Schema schema, int id) throws IOException {
    Class<?> cls = generatedClass(schema);
    DatumReader<Object> dr;
    DatumWriter<Object> dw;
    if (cls != null && classSchema(cls).equals(schema)) {
      SpecificData model = SpecificData.getForClass(cls);
      dr = new SpecificDatumReader<>(schema, schema, model);
      dw = new SpecificDatumWriter<>(schema, model);
    } else {
      dr = new GenericDatumReader<>(schema, schema, GenericData.get());
      dw = new GenericDatumWriter<>(schema);
    }
    List<byte[]> frames = new ArrayList<>();
    BinaryEncoder enc = null;
    for (String line : lines) {
      Object datum = dr.read(null, DecoderFactory.get().jsonDecoder(schema, line));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Frames.writeHeader(out, id);
      enc = EncoderFactory.get().binaryEncoder(out, enc);
      dw.write(datum, enc);
      enc.flush();
      frames.add(out.toByteArray());
    }
    return frames;
  }

  /**
   * Register {@code schema} (text {@code text}) under {@code subject}, each reference file first
   * (self-contained) under a subject named by its top-level type's full name — what schemaflow does, so the ids
   * are the ones schemaflow's producer gets.
   */
  int register(String subject, String text, List<Path> refFiles) throws IOException {
    List<Registry.Reference> refs = new ArrayList<>();
    Schema.Parser parser = new Schema.Parser();
    for (Path f : refFiles) {
      // Reference files are self-contained here (schemas/address.avsc is).
      String refText = Files.readString(f);
      String name = parser.parse(refText).getFullName();
      registry.register(name, refText, "AVRO", List.of());
      int version = registry.lookupVersion(name, refText, "AVRO", List.of());
      refs.add(new Registry.Reference(name, name, version));
    }
    return registry.register(subject, text, "AVRO", refs);
  }
}
