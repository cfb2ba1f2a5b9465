package dev.schemaflow.peer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java rows of {@code cargo bench --bench pipeline} (benches/pipeline.rs): kafka-clients with
 * Apache Avro's generic writer and reader, framed as Confluent's serdes frame (magic 0, schema id
 * big-endian, Avro body), the way {@code KafkaAvroSerializer}/{@code KafkaAvroDeserializer} do it
 * (a new output stream and record per value, writer schemas by id from the registry, cached).
 *
 * <pre>
 * pipeline-bench produce BROKERS REGISTRY N ROUNDS TOPIC,TOPIC,...   (ROUNDS + 1 topics)
 * pipeline-bench consume BROKERS REGISTRY N ROUNDS TOPIC
 * </pre>
 *
 * The first round is the JIT warm-up. Prints one JSON line: {@code {"mode", "rates": [warm-up,
 * round 1, ...], "peak_rss_mib"}}.
 */
final class PipelineBench {
  private PipelineBench() {}

  /** What the decoded records add up to: read, so the decoding cannot be optimised away. */
  static volatile long sink;

  static int run(String[] args, java.io.PrintStream out) throws Exception {
    if (args.length != 7 || !(args[1].equals("produce") || args[1].equals("consume"))) {
      throw new Main.Usage("usage: pipeline-bench produce|consume BROKERS REGISTRY N ROUNDS TOPICS");
    }
    String brokers = args[2];
    Registry registry = new Registry(args[3]);
    int n = Integer.parseInt(args[4]);
    int rounds = Integer.parseInt(args[5]) + 1;
    List<Double> rates =
        args[1].equals("produce")
            ? produce(brokers, registry, n, List.of(args[6].split(",")))
            : consume(brokers, new AvroPeer(registry), n, rounds, args[6]);
    var res = Registry.JSON.createObjectNode();
    res.put("mode", args[1] + "-java");
    var arr = res.putArray("rates");
    rates.forEach(arr::add);
    res.put("peak_rss_mib", peakRssMib());
    out.println(Registry.JSON.writeValueAsString(res));
    return 0;
  }

  /** Record i, the same values as benches/pipeline/modes.rs {@code record}. */
  static GenericRecord record(Schema schema, int i) {
    GenericRecord r = new GenericData.Record(schema);
    r.put("id", (long) i);
    r.put("name", "user-" + i);
    r.put("score", i * 0.5);
    r.put("active", i % 2 == 0);
    r.put("tags", List.of("new", "mobile", "beta"));
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("clicks", (long) (i % 100));
    counts.put("views", (long) i);
    r.put("counts", counts);
    return r;
  }

  static List<Double> produce(String brokers, Registry registry, int n, List<String> topics)
      throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    // The Rust rows' settings (schemaflow's ProducerConfig defaults).
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "schemaflow-java-bench");
    List<Double> rates = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> prod =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (String topic : topics) {
        // The subject's schema and id, looked up before the clock starts (the parent
        // registered it), as a serializer's cache holds them after the first record.
        var answer = registry.subjectVersion(topic + "-value", 1, false);
        int id = answer.get("id").asInt();
        Schema schema = new Schema.Parser().parse(answer.get("schema").asText());
        GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(schema);
        EncoderFactory encoders = EncoderFactory.get();
        List<GenericRecord> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          values.add(record(schema, i));
        }
        AtomicLong acked = new AtomicLong();
        AtomicReference<Exception> failed = new AtomicReference<>();
        long start = System.nanoTime();
        for (GenericRecord v : values) {
          ByteArrayOutputStream buf = new ByteArrayOutputStream();
          buf.write(0);
          buf.write(ByteBuffer.allocate(4).putInt(id).array());
          BinaryEncoder enc = encoders.directBinaryEncoder(buf, null);
          writer.write(v, enc);
          enc.flush();
          prod.send(
              new ProducerRecord<>(topic, null, buf.toByteArray()),
              (md, e) -> {
                if (e != null) {
                  failed.compareAndSet(null, e);
                }
                acked.incrementAndGet();
              });
        }
        prod.flush();
        double secs = (System.nanoTime() - start) / 1e9;
        if (failed.get() != null) {
          throw new IOException("delivery to " + topic + " failed: " + failed.get(), failed.get());
        }
        if (acked.get() != n) {
          throw new IOException(acked.get() + " of " + n + " records acknowledged");
        }
        rates.add(n / secs);
      }
    }
    return rates;
  }

  static List<Double> consume(String brokers, AvroPeer avro, int n, int rounds, String topic)
      throws Exception {
    DecoderFactory decoders = DecoderFactory.get();
    Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    List<Double> rates = new ArrayList<>();
    long checksum = 0;
    for (int round = 0; round < rounds; round++) {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
      p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-pipe-java-" + UUID.randomUUID());
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      p.put(ConsumerConfig.CLIENT_ID_CONFIG, "schemaflow-java-bench");
      try (KafkaConsumer<byte[], byte[]> c =
          new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of(topic));
        int seen = 0;
        long first = 0;
        while (seen < n) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
            if (seen == 0) {
              first = System.nanoTime();
            }
            byte[] v = r.value();
            ByteBuffer b = ByteBuffer.wrap(v);
            if (v.length < 5 || b.get() != 0) {
              throw new IOException("not a Confluent frame at offset " + r.offset());
            }
            int id = b.getInt();
            GenericDatumReader<GenericRecord> reader = readers.get(id);
            if (reader == null) {
              reader = new GenericDatumReader<>(avro.writerSchema(id));
              readers.put(id, reader);
            }
            GenericRecord rec = reader.read(null, decoders.binaryDecoder(v, 5, v.length - 5, null));
            checksum += (Long) rec.get("id");
            if (++seen == n) {
              break;
            }
          }
        }
        rates.add(n / ((System.nanoTime() - first) / 1e9));
      }
    }
    sink = checksum;
    return rates;
  }

  /** VmHWM of /proc/self/status in MiB. */
  static double peakRssMib() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmHWM:")) {
        return Long.parseLong(l.split("\\s+")[1]) / 1024.0;
      }
    }
    return Double.NaN;
  }
}
