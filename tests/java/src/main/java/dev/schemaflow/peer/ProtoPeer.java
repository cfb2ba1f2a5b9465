package dev.schemaflow.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.util.JsonFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Protobuf the way Confluent's Java KafkaProtobufDeserializer does it, with protobuf-java: the
 * writer's FileDescriptorProto from the registry ({@code ?format=serialized}, base64), its
 * references fetched by subject and version and built first, recursively, the well-known
 * {@code google/protobuf/*} files from protobuf-java's own descriptors; the message chosen by the
 * frame's message indexes; a DynamicMessage; proto3 JSON by JsonFormat.
 */
final class ProtoPeer {
  private final Registry registry;
  private final Map<Integer, FileDescriptor> byId = new HashMap<>();
  private final Map<String, FileDescriptor> bySubjectVersion = new HashMap<>();

  /** protobuf-java's bundled descriptors of the well-known types, by import path. */
  static final Map<String, FileDescriptor> WELL_KNOWN = new HashMap<>();

  static {
    for (FileDescriptor f :
        List.of(
            com.google.protobuf.AnyProto.getDescriptor(),
            com.google.protobuf.ApiProto.getDescriptor(),
            com.google.protobuf.DescriptorProtos.getDescriptor(),
            com.google.protobuf.DurationProto.getDescriptor(),
            com.google.protobuf.EmptyProto.getDescriptor(),
            com.google.protobuf.FieldMaskProto.getDescriptor(),
            com.google.protobuf.SourceContextProto.getDescriptor(),
            com.google.protobuf.StructProto.getDescriptor(),
            com.google.protobuf.TimestampProto.getDescriptor(),
            com.google.protobuf.TypeProto.getDescriptor(),
            com.google.protobuf.WrappersProto.getDescriptor())) {
      WELL_KNOWN.put(f.getName(), f);
    }
  }

  ProtoPeer(Registry registry) {
    this.registry = registry;
  }

  private FileDescriptor build(JsonNode answer, int depth) throws IOException {
    if (depth > 32) {
      throw new IOException("schema references nested deeper than 32");
    }
    String type = answer.path("schemaType").asText("AVRO");
    if (!"PROTOBUF".equals(type)) {
      throw new IOException("schema is " + type + ", not PROTOBUF");
    }
    Map<String, FileDescriptor> refs = new HashMap<>();
    for (Registry.Reference r : Registry.references(answer)) {
      String key = r.subject() + "/" + r.version();
      FileDescriptor dep = bySubjectVersion.get(key);
      if (dep == null) {
        dep = build(registry.subjectVersion(r.subject(), r.version(), true), depth + 1);
        bySubjectVersion.put(key, dep);
      }
      refs.put(r.name(), dep);
      refs.put(dep.getName(), dep);
    }
    FileDescriptorProto proto =
        FileDescriptorProto.parseFrom(Base64.getDecoder().decode(answer.get("schema").asText().trim()));
    List<FileDescriptor> deps = new ArrayList<>();
    for (String d : proto.getDependencyList()) {
      FileDescriptor f = refs.containsKey(d) ? refs.get(d) : WELL_KNOWN.get(d);
      if (f == null) {
        throw new IOException(
            proto.getName() + " imports " + d + ", which is neither a reference nor a bundled well-known type");
      }
      deps.add(f);
    }
    try {
      return FileDescriptor.buildFrom(proto, deps.toArray(new FileDescriptor[0]));
    } catch (DescriptorValidationException e) {
      throw new IOException("invalid descriptor " + proto.getName() + ": " + e.getMessage(), e);
    }
  }

  FileDescriptor fileById(int id) throws IOException {
    FileDescriptor f = byId.get(id);
    if (f == null) {
      f = build(registry.schemaById(id, true), 0);
      byId.put(id, f);
    }
    return f;
  }

  static Descriptor messageAt(FileDescriptor file, List<Integer> indexes) {
    List<Descriptor> level = file.getMessageTypes();
    Descriptor d = null;
    for (int i : indexes) {
      if (i < 0 || i >= level.size()) {
        throw new IllegalArgumentException("no message at index path " + indexes + " in " + file.getName());
      }
      d = level.get(i);
      level = d.getNestedTypes();
    }
    if (d == null) {
      throw new IllegalArgumentException("empty message index path");
    }
    return d;
  }

  static List<Integer> indexPath(FileDescriptor file, String fullName) {
    String name = fullName.startsWith(".") ? fullName.substring(1) : fullName;
    List<Integer> path = new ArrayList<>();
    if (find(file.getMessageTypes(), name, path)) {
      return path;
    }
    throw new IllegalArgumentException("no message " + name + " in " + file.getName());
  }

  private static boolean find(List<Descriptor> msgs, String name, List<Integer> path) {
    for (int i = 0; i < msgs.size(); i++) {
      path.add(i);
      if (msgs.get(i).getFullName().equals(name) || find(msgs.get(i).getNestedTypes(), name, path)) {
        return true;
      }
      path.remove(path.size() - 1);
    }
    return false;
  }

  /** Consume: one line of proto3 JSON per frame. */
  String frameToJson(byte[] frame) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(frame);
    int id = Frames.schemaId(b);
    List<Integer> indexes = Frames.readMessageIndexes(b);
    Descriptor d = messageAt(fileById(id), indexes);
    DynamicMessage m =
        DynamicMessage.parseFrom(d, com.google.protobuf.ByteString.copyFrom(b));
    return JsonFormat.printer().omittingInsignificantWhitespace().print(m);
  }

  /** Produce: proto3 JSON lines → DynamicMessage of {@code message} → frames. */
  List<byte[]> jsonToFrames(List<String> lines, int id, String message) throws IOException {
    FileDescriptor file = fileById(id);
    List<Integer> indexes = indexPath(file, message);
    Descriptor d = messageAt(file, indexes);
    List<byte[]> frames = new ArrayList<>();
    for (String line : lines) {
      DynamicMessage.Builder builder = DynamicMessage.newBuilder(d);
      JsonFormat.parser().merge(line, builder);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Frames.writeHeader(out, id);
      Frames.writeMessageIndexes(out, indexes);
      builder.build().writeTo(out);
      frames.add(out.toByteArray());
    }
    return frames;
  }

  private static final Pattern IMPORT =
      Pattern.compile("(?m)^\\s*import\\s+(?:public\\s+|weak\\s+)?\"([^\"]+)\"\\s*;");

  /**
   * Register the .proto text {@code file} under {@code subject}: each import first (found under
   * {@code protoPath}, recursively) under a subject named as its import path, skipping the
   * well-known google/protobuf and google/type files — schemaflow's and Confluent's convention.
   */
  int register(String subject, Path file, Path protoPath) throws IOException {
    String text = Files.readString(file);
    return registry.register(subject, text, "PROTOBUF", registerImports(text, protoPath, 0));
  }

  private List<Registry.Reference> registerImports(String text, Path protoPath, int depth)
      throws IOException {
    if (depth > 32) {
      throw new IOException("imports nested deeper than 32");
    }
    List<Registry.Reference> refs = new ArrayList<>();
    Matcher m = IMPORT.matcher(text);
    while (m.find()) {
      String imp = m.group(1);
      if (imp.startsWith("google/protobuf/") || imp.startsWith("google/type/")) {
        continue;
      }
      String depText = Files.readString(protoPath.resolve(imp));
      List<Registry.Reference> its = registerImports(depText, protoPath, depth + 1);
      registry.register(imp, depText, "PROTOBUF", its);
      int version = registry.lookupVersion(imp, depText, "PROTOBUF", its);
      refs.add(new Registry.Reference(imp, imp, version));
    }
    return refs;
  }
}
