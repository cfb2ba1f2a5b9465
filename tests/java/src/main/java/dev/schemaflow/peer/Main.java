package dev.schemaflow.peer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * The Java interop peer of schemaflow's tests.
 *
 * <pre>
 * consume BROKERS REGISTRY TOPIC N [--format avro|protobuf] [--reader-schema F.avsc] [--ref F.avsc]... [--timeout-ms MS]
 *     N records from the beginning of TOPIC, one JSON line each on stdout (Avro: Avro's JSON
 *     encoding of the record read with SpecificDatumReader(writer, reader); Protobuf: proto3 JSON)
 * produce BROKERS REGISTRY TOPIC --format avro|protobuf --schema-file F [--ref F.avsc]...
 *         [--proto-path DIR] [--message FULL.NAME] [--id N]
 *     JSON lines on stdin (Avro JSON encoding / proto3 JSON) → frames on TOPIC; the schema is
 *     registered under TOPIC-value (references first) unless --id is given; prints the count
 * compat-batch [FILE|-]
 *     SchemaCompatibility.checkReaderWriterCompatibility over a JSON array of pairs
 * compat READER.avsc WRITER.avsc
 *     one pair
 * pipeline-bench produce|consume BROKERS REGISTRY N ROUNDS TOPICS
 *     the Java rows of benches/pipeline.rs (see PipelineBench)
 * </pre>
 *
 * Exit codes: 0 success, 1 short read, 2 usage or parse error, 3 I/O, broker or registry error.
 */
public final class Main {
  private Main() {}

  static final class Usage extends Exception {
    Usage(String m) {
      super(m);
    }
  }

  /** Options after the positional arguments. */
  private static final class Opts {
    String format = "avro";
    Path readerSchema;
    Path schemaFile;
    Path protoPath;
    String message;
    Integer id;
    long timeoutMs = 60_000;
    final List<Path> refs = new ArrayList<>();

    static Opts parse(String[] args, int from) throws Usage {
      Opts o = new Opts();
      for (int i = from; i < args.length; i++) {
        String a = args[i];
        if (i + 1 >= args.length) {
          throw new Usage("option " + a + " needs a value");
        }
        String v = args[++i];
        switch (a) {
          case "--format" -> {
            if (!v.equals("avro") && !v.equals("protobuf")) {
              throw new Usage("--format is avro or protobuf, not " + v);
            }
            o.format = v;
          }
          case "--reader-schema" -> o.readerSchema = Path.of(v);
          case "--schema-file" -> o.schemaFile = Path.of(v);
          case "--proto-path" -> o.protoPath = Path.of(v);
          case "--message" -> o.message = v;
          case "--ref" -> o.refs.add(Path.of(v));
          case "--id" -> o.id = Integer.parseInt(v);
          case "--timeout-ms" -> o.timeoutMs = Long.parseLong(v);
          default -> throw new Usage("unknown option " + a);
        }
      }
      return o;
    }
  }

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    // Avro 1.12 instantiates only trusted SpecificRecord classes: trust the generated ones.
    System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "com.example.events");
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    int code;
    try {
      code = run(args, out);
    } catch (Usage e) {
      System.err.println("java-peer: " + e.getMessage());
      code = 2;
    } catch (Kafka.ShortRead e) {
      System.err.println("java-peer: " + e.getMessage());
      code = 1;
    } catch (Registry.RegistryException e) {
      System.err.println("java-peer: " + e.getMessage());
      code = e.status == 409 ? 1 : 3;
    } catch (IOException e) {
      System.err.println("java-peer: " + e);
      code = 3;
    } catch (org.apache.kafka.common.KafkaException e) {
      System.err.println("java-peer: broker: " + e);
      code = 3;
    } catch (RuntimeException e) {
      System.err.println("java-peer: " + e);
      e.printStackTrace();
      code = 2;
    } catch (Exception e) {
      System.err.println("java-peer: " + e);
      code = 3;
    }
    out.flush();
    System.exit(code);
  }

  private static void need(String[] args, int n, String usage) throws Usage {
    if (args.length < n) {
      throw new Usage("usage: " + usage);
    }
  }

  private static List<String> stdinLines() throws IOException {
    List<String> lines = new ArrayList<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String l; (l = r.readLine()) != null; ) {
      if (!l.isBlank()) {
        lines.add(l);
      }
    }
    return lines;
  }

  static int run(String[] args, PrintStream out) throws Exception {
    if (args.length == 0) {
      throw new Usage("commands: consume, produce, compat, compat-batch, partition, pipeline-bench");
    }
    switch (args[0]) {
      case "consume" -> {
        need(args, 5, "consume BROKERS REGISTRY TOPIC N [--format avro|protobuf] [--reader-schema F] [--ref F]...");
        Opts o = Opts.parse(args, 5);
        Registry reg = new Registry(args[2]);
        int n = Integer.parseInt(args[4]);
        if (o.format.equals("avro")) {
          AvroPeer avro = new AvroPeer(reg);
          Schema reader = o.readerSchema == null ? null : AvroPeer.parseFiles(o.refs, o.readerSchema);
          consume(args[1], args[3], n, o.timeoutMs, out, v -> avro.frameToJson(v, reader));
        } else {
          ProtoPeer proto = new ProtoPeer(reg);
          consume(args[1], args[3], n, o.timeoutMs, out, proto::frameToJson);
        }
        return 0;
      }
      case "produce" -> {
        need(args, 4, "produce BROKERS REGISTRY TOPIC --format avro|protobuf --schema-file F [--message NAME] [--id N]");
        Opts o = Opts.parse(args, 4);
        Registry reg = new Registry(args[2]);
        String topic = args[3];
        String subject = topic + "-value";
        List<String> lines = stdinLines();
        List<byte[]> frames;
        if (o.format.equals("avro")) {
          if (o.schemaFile == null) {
            throw new Usage("produce --format avro needs --schema-file");
          }
          Schema schema = AvroPeer.parseFiles(o.refs, o.schemaFile);
          int id =
              o.id != null
                  ? o.id
                  : new AvroPeer(reg).register(subject, Files.readString(o.schemaFile), o.refs);
          frames = AvroPeer.jsonToFrames(lines, schema, id);
        } else {
          if (o.message == null) {
            throw new Usage("produce --format protobuf needs --message FULL.NAME");
          }
          ProtoPeer proto = new ProtoPeer(reg);
          int id;
          if (o.id != null) {
            id = o.id;
          } else {
            if (o.schemaFile == null || o.protoPath == null) {
              throw new Usage("produce --format protobuf needs --id, or --schema-file and --proto-path");
            }
            id = proto.register(subject, o.schemaFile, o.protoPath);
          }
          frames = proto.jsonToFrames(lines, id, o.message);
        }
        out.println(Kafka.produce(args[1], topic, frames));
        return 0;
      }
      case "partition" -> {
        // Where Java's producer puts each key: kafka-clients' own BuiltInPartitioner
        // (murmur2 of the key bytes, made positive, modulo the partition count).
        need(args, 3, "partition NUM_PARTITIONS KEY...");
        int partitions = Integer.parseInt(args[1]);
        for (int i = 2; i < args.length; i++) {
          byte[] key = args[i].getBytes(StandardCharsets.UTF_8);
          out.println(
              args[i]
                  + "\t"
                  + org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(
                      key, partitions));
        }
        return 0;
      }
      case "compat" -> {
        need(args, 3, "compat READER.avsc WRITER.avsc");
        var pair = Registry.JSON.createObjectNode();
        pair.put("name", args[1] + " reads " + args[2]);
        pair.put("reader", Files.readString(Path.of(args[1])));
        pair.put("writer", Files.readString(Path.of(args[2])));
        var res = Compat.check(pair);
        out.println(Registry.JSON.writeValueAsString(res));
        return "COMPATIBLE".equals(res.get("result").asText()) ? 0 : 1;
      }
      case "compat-batch" -> {
        String input =
            args.length < 2 || args[1].equals("-")
                ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(Path.of(args[1]));
        Compat.batch(input, out);
        return 0;
      }
      case "pipeline-bench" -> {
        return PipelineBench.run(args, out);
      }
      default -> throw new Usage("unknown command " + args[0]);
    }
  }

  interface FrameToJson {
    String apply(byte[] frame) throws IOException;
  }

  private static void consume(
      String brokers, String topic, int n, long timeoutMs, PrintStream out, FrameToJson f)
      throws Exception {
    IOException[] failed = new IOException[1];
    Kafka.consume(
        brokers,
        topic,
        n,
        timeoutMs,
        r -> {
          if (failed[0] != null) {
            return;
          }
          try {
            if (r.value() == null) {
              out.println("null");
            } else {
              out.println(f.apply(r.value()));
            }
            out.flush();
          } catch (IOException e) {
            failed[0] = e;
          }
        });
    if (failed[0] != null) {
      throw failed[0];
    }
  }
}
