package dev.schemaflow.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A minimal client of a Confluent-compatible schema registry (the REST API Confluent's own Java
 * serdes use): schemas by id, subject versions, register and look up. Plain java.net.http and
 * Jackson, so what is tested is the registry's HTTP API, not a client library's view of it.
 */
final class Registry {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  /** A registry answered with an error status. */
  static final class RegistryException extends IOException {
    final int status;

    RegistryException(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** A reference of a schema: name, subject, version. */
  record Reference(String name, String subject, int version) {}

  private final String base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  Registry(String url) {
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  static String encode(String pathSegment) {
    return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(HttpRequest.Builder req) throws IOException {
    HttpResponse<String> res;
    try {
      res =
          http.send(
              req.header("Accept", CONTENT_TYPE).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (res.statusCode() / 100 != 2) {
      throw new RegistryException(
          res.statusCode(),
          "registry " + res.request().method() + " " + res.request().uri() + ": HTTP "
              + res.statusCode() + ": " + res.body());
    }
    return JSON.readTree(res.body());
  }

  private JsonNode get(String path) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  private JsonNode post(String path, JsonNode body) throws IOException {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
  }

  /** {@code GET /schemas/ids/{id}} (with {@code ?format=serialized} when asked). */
  JsonNode schemaById(int id, boolean serialized) throws IOException {
    return get("/schemas/ids/" + id + (serialized ? "?format=serialized" : ""));
  }

  /** {@code GET /subjects/{subject}/versions/{version}}. */
  JsonNode subjectVersion(String subject, int version, boolean serialized) throws IOException {
    return get(
        "/subjects/" + encode(subject) + "/versions/" + version
            + (serialized ? "?format=serialized" : ""));
  }

  private static ObjectNode body(String schema, String schemaType, List<Reference> refs) {
    ObjectNode b = JSON.createObjectNode();
    b.put("schema", schema);
    if (!"AVRO".equals(schemaType)) {
      b.put("schemaType", schemaType);
    }
    if (!refs.isEmpty()) {
      ArrayNode a = b.putArray("references");
      for (Reference r : refs) {
        a.addObject().put("name", r.name()).put("subject", r.subject()).put("version", r.version());
      }
    }
    return b;
  }

  /** {@code POST /subjects/{subject}/versions}: the schema's id. */
  int register(String subject, String schema, String schemaType, List<Reference> refs)
      throws IOException {
    return post("/subjects/" + encode(subject) + "/versions", body(schema, schemaType, refs))
        .get("id")
        .asInt();
  }

  /** {@code POST /subjects/{subject}}: the version the schema has under the subject. */
  int lookupVersion(String subject, String schema, String schemaType, List<Reference> refs)
      throws IOException {
    return post("/subjects/" + encode(subject), body(schema, schemaType, refs))
        .get("version")
        .asInt();
  }

  /** The references listed in a schema answer. */
  static List<Reference> references(JsonNode answer) {
    JsonNode refs = answer.get("references");
    if (refs == null || !refs.isArray()) {
      return List.of();
    }
    java.util.ArrayList<Reference> out = new java.util.ArrayList<>();
    for (JsonNode r : refs) {
      out.add(
          new Reference(r.get("name").asText(), r.get("subject").asText(), r.get("version").asInt()));
    }
    return out;
  }
}
