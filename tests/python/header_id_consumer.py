"""Read N records with Confluent's own Python AvroDeserializer (schema id from the payload
prefix or, Confluent 8's form, the __value_schema_id header) and print each value as a JSON
line (logical types as strings). Usage: header_id_consumer.py BROKERS REGISTRY TOPIC N.
"""
import json
import sys
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main():
    brokers, registry, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry}))
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"py-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = 0
    while seen < n:
        msg = consumer.poll(30)
        if msg is None:
            raise SystemExit(f"only {seen} of {n} records within 30 s")
        if msg.error():
            raise SystemExit(str(msg.error()))
        ctx = SerializationContext(topic, MessageField.VALUE, msg.headers())
        value = deserializer(msg.value(), ctx)
        print(json.dumps(value, default=str), flush=True)
        seen += 1
    consumer.close()


if __name__ == "__main__":
    main()
