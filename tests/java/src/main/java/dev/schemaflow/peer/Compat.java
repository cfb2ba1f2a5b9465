package dev.schemaflow.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Apache Avro's own reader/writer compatibility ({@link SchemaCompatibility}), the check
 * Confluent's registry runs for Avro subjects, over a batch of pairs in one JVM.
 *
 * <p>Input: a JSON array of {@code {"name", "reader", "writer", "readerReferences"?,
 * "writerReferences"?, "validateDefaults"?}} — schemas and references as schema text (strings),
 * references parsed first with the same parser. Output: one JSON line per pair, {@code {"name",
 * "result": "COMPATIBLE"|"INCOMPATIBLE"|"ERROR", "incompatibilities": [{"type", "location",
 * "message"}], "error"?}}.
 */
final class Compat {
  private Compat() {}

  private static Schema parse(JsonNode pair, String side) {
    Schema.Parser parser = new Schema.Parser();
    parser.setValidateDefaults(pair.path("validateDefaults").asBoolean(true));
    for (JsonNode r : pair.path(side + "References")) {
      parser.parse(r.asText());
    }
    return parser.parse(pair.get(side).asText());
  }

  static ObjectNode check(JsonNode pair) {
    ObjectNode out = Registry.JSON.createObjectNode();
    out.put("name", pair.path("name").asText());
    ArrayNode inc = out.putArray("incompatibilities");
    Schema reader;
    Schema writer;
    try {
      reader = parse(pair, "reader");
      writer = parse(pair, "writer");
    } catch (RuntimeException e) {
      out.put("result", "ERROR");
      out.put("error", String.valueOf(e.getMessage()));
      return out;
    }
    SchemaPairCompatibility c = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    out.put("result", c.getType().name());
    for (Incompatibility i : c.getResult().getIncompatibilities()) {
      inc.addObject()
          .put("type", i.getType().name())
          .put("location", i.getLocation())
          .put("message", i.getMessage());
    }
    return out;
  }

  /** Check every pair of the JSON array {@code input}, one output line each. */
  static void batch(String input, PrintStream out) throws IOException {
    JsonNode pairs = Registry.JSON.readTree(input);
    if (pairs == null || !pairs.isArray()) {
      throw new IllegalArgumentException("compat-batch input must be a JSON array of pairs");
    }
    for (JsonNode p : pairs) {
      out.println(Registry.JSON.writeValueAsString(check(p)));
    }
  }
}
