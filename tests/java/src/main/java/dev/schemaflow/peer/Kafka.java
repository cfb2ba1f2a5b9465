package dev.schemaflow.peer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** kafka-clients, bytes in and out: the peer does its own framing. */
final class Kafka {
  private Kafka() {}

  /** A read that ended before N records came. */
  static final class ShortRead extends Exception {
    ShortRead(String m) {
      super(m);
    }
  }

  /**
   * Read {@code n} records from the beginning of every partition of {@code topic} (assigned, no
   * group), handing each value to {@code each}, in partition then offset order per poll.
   */
  static void consume(
      String brokers, String topic, int n, long timeoutMs, Consumer<ConsumerRecord<byte[], byte[]>> each)
      throws ShortRead {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "schemaflow-java-peer");
    long deadline = System.currentTimeMillis() + timeoutMs;
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> parts = List.of();
      while (System.currentTimeMillis() < deadline) {
        parts = c.partitionsFor(topic, Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis())));
        if (parts != null && !parts.isEmpty()) {
          break;
        }
        sleep(200);
      }
      if (parts == null || parts.isEmpty()) {
        throw new ShortRead("topic " + topic + " has no partitions (does it exist?)");
      }
      List<TopicPartition> tps = new ArrayList<>();
      for (PartitionInfo pi : parts) {
        tps.add(new TopicPartition(topic, pi.partition()));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      int seen = 0;
      while (seen < n) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          throw new ShortRead("read " + seen + " of " + n + " records from " + topic + " in " + timeoutMs + " ms");
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(Math.min(left, 500)))) {
          if (seen < n) {
            each.accept(r);
            seen++;
          }
        }
      }
    }
  }

  /** Write every value to {@code topic} with acks=all and wait for each delivery. */
  static int produce(String brokers, String topic, List<byte[]> values) throws IOException {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "schemaflow-java-peer");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    try (KafkaProducer<byte[], byte[]> prod =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<java.util.concurrent.Future<RecordMetadata>> pending = new ArrayList<>();
      for (byte[] v : values) {
        pending.add(prod.send(new ProducerRecord<>(topic, null, v)));
      }
      prod.flush();
      for (java.util.concurrent.Future<RecordMetadata> f : pending) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IOException("delivery to " + topic + " failed: " + e.getCause(), e.getCause());
        }
      }
    }
    return values.size();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
