"""Produce Avro records with Confluent's own Python serializer, schema id in a header.

confluent-kafka 2.16's `header_schema_id_serializer` (Confluent 8's form) puts magic 1 and the
schema's 16-byte GUID in the `__value_schema_id` header and leaves the payload without a
prefix. Usage: header_id_producer.py BROKERS REGISTRY TOPIC N. Prints each value sent as one
JSON line (what `schemaflow consume` must print for it).
"""
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, header_schema_id_serializer
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMA = json.dumps({
    "type": "record",
    "name": "Reading",
    "namespace": "interop.python",
    "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "seq", "type": "long"},
        {"name": "value", "type": "double"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
})


def main():
    brokers, registry, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    client = SchemaRegistryClient({"url": registry})
    serializer = AvroSerializer(client, SCHEMA, conf={"schema.id.serializer": header_schema_id_serializer})
    producer = Producer({"bootstrap.servers": brokers, "acks": "all"})
    for i in range(n):
        value = {"sensor": f"s-{i % 3}", "seq": i, "value": i / 4, "note": None if i % 2 else f"n{i}"}
        headers = []
        payload = serializer(value, SerializationContext(topic, MessageField.VALUE, headers))
        if payload[:1] == b"\x00":
            raise SystemExit("expected no payload prefix with the header serializer")
        producer.produce(topic, value=payload, headers=headers)
        print(json.dumps(value), flush=True)
    if producer.flush(30) != 0:
        raise SystemExit("not every record was delivered")


if __name__ == "__main__":
    main()
