#!/usr/bin/env python3
"""The Confluent Python rows of `cargo bench --bench pipeline` (benches/pipeline.rs).

    pipeline_peer.py produce BROKERS REGISTRY N ROUNDS TOPIC,TOPIC,...   (ROUNDS + 1 topics)
    pipeline_peer.py consume BROKERS REGISTRY N ROUNDS TOPIC

produce: confluent_kafka.Producer (the Rust rows' settings: idempotent, acks=all, linger 5 ms,
lz4) + AvroSerializer of the same 6-field records the Rust rows send (record i as in
benches/pipeline/modes.rs), one topic a round; records/s from the first send to the last
delivery report (flush). consume: confluent_kafka.Consumer in a fresh group each round
+ AvroDeserializer of every value; records/s from the first record to the N-th. The first round
is a warm-up. Prints one JSON line: {"mode", "rates": [warm-up, round 1, ...], "peak_rss_mib"}.
Run in the pinned venv of scripts/python-env.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMA = Path(__file__).resolve().parent.parent / "tests" / "avro_samples" / "bench_small.avsc"


def record(i: int) -> dict:
    """Record i, the same values as benches/pipeline/modes.rs `record`."""
    return {
        "id": i,
        "name": f"user-{i}",
        "score": i * 0.5,
        "active": i % 2 == 0,
        "tags": ["new", "mobile", "beta"],
        "counts": {"clicks": i % 100, "views": i},
    }


def peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def produce(brokers: str, registry: SchemaRegistryClient, n: int, topics: list[str]) -> list[float]:
    serializer = AvroSerializer(registry, SCHEMA.read_text())
    values = [record(i) for i in range(n)]
    producer = Producer(
        {
            "bootstrap.servers": brokers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "compression.type": "lz4",
        }
    )
    failed: list = []

    def on_delivery(err, _msg):
        if err is not None:
            failed.append(err)

    rates = []
    for topic in topics:
        ctx = SerializationContext(topic, MessageField.VALUE)
        serializer(values[0], ctx)  # the schema id resolved before the clock starts
        start = time.perf_counter()
        for v in values:
            frame = serializer(v, ctx)
            while True:
                try:
                    producer.produce(topic, value=frame, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.001)
            producer.poll(0)
        if producer.flush(120) != 0:
            raise SystemExit(f"pipeline_peer: records of {topic} undelivered after 120 s")
        rates.append(n / (time.perf_counter() - start))
        if failed:
            raise SystemExit(f"pipeline_peer: deliveries failed: {failed[0]}")
    return rates


def consume(brokers: str, registry: SchemaRegistryClient, n: int, rounds: int, topic: str) -> list[float]:
    deserializer = AvroDeserializer(registry)
    ctx = SerializationContext(topic, MessageField.VALUE)
    rates = []
    for _ in range(rounds):
        consumer = Consumer(
            {
                "bootstrap.servers": brokers,
                "group.id": f"bench-pipe-python-{uuid.uuid4().hex[:8]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                # As every librdkafka consumer of the run (schemaflow's default): librdkafka's
                # 1 s default pauses a partition's fetching after each full fetch queue.
                "fetch.queue.backoff.ms": 10,
            }
        )
        consumer.subscribe([topic])
        seen, first = 0, None
        while seen < n:
            # consume() hands over up to num_messages at once: Python's fastest read path.
            for m in consumer.consume(num_messages=1000, timeout=0.1):
                if m.error():
                    raise KafkaException(m.error())
                if first is None:
                    first = time.perf_counter()
                deserializer(m.value(), ctx)
                seen += 1
                if seen == n:
                    break
        rates.append(n / (time.perf_counter() - first))
        consumer.close()
    return rates


def main() -> None:
    if len(sys.argv) != 7 or sys.argv[1] not in ("produce", "consume"):
        raise SystemExit(__doc__)
    verb, brokers, url, n, rounds, topics = sys.argv[1:]
    n, rounds = int(n), int(rounds) + 1
    registry = SchemaRegistryClient({"url": url})
    if verb == "produce":
        rates = produce(brokers, registry, n, topics.split(","))
    else:
        rates = consume(brokers, registry, n, rounds, topics)
    print(json.dumps({"mode": f"{verb}-python", "rates": rates, "peak_rss_mib": peak_rss_mib()}))


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
