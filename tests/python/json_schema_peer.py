"""Confluent's Python JSON Schema serdes and registry client as a peer of the Rust interop
tests (tests/interop/python_json_schema.rs). One command per run; results on stdout as JSON
lines.

  produce BROKERS REGISTRY TOPIC SCHEMA_FILE [REF_NAME=REF_FILE ...] < values.jsonl
      Register REF_FILEs under subjects named as the references (version 1 each), then write
      each value with JSONSerializer (schema with those references). Prints per record
      {"hex": frame}.
  produce-raw BROKERS TOPIC HEX
      Write the bytes as they are (a frame no serializer would write).
  consume BROKERS REGISTRY TOPIC N [READER_SCHEMA_FILE]
      Read N records from partition 0 with JSONDeserializer (the writer schema by id, or the
      given reader schema); prints {"value": ..., "hex": frame}.
  register REGISTRY SUBJECT SCHEMA_FILE [REF_NAME=SUBJECT:VERSION ...]
      Register with SchemaRegistryClient; prints {"id": id}.
  get REGISTRY ID
      Fetch the schema of ID; prints {"schema_type", "schema_str", "references"}.
"""
import json
import sys
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def produce(brokers, registry, topic, schema_file, refs):
    client = SchemaRegistryClient({"url": registry})
    references = []
    for r in refs:
        name, path = r.split("=", 1)
        client.register_schema(name, Schema(read(path), "JSON"))
        version = client.lookup_schema(name, Schema(read(path), "JSON")).version
        references.append(SchemaReference(name=name, subject=name, version=version))
    serializer = JSONSerializer(Schema(read(schema_file), "JSON", references), client)
    producer = Producer({"bootstrap.servers": brokers})
    ctx = SerializationContext(topic, MessageField.VALUE)
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(str(err))

    for line in sys.stdin:
        if not line.strip():
            continue
        frame = serializer(json.loads(line), ctx)
        producer.produce(topic, value=frame, partition=0, on_delivery=on_delivery)
        print(json.dumps({"hex": frame.hex()}), flush=True)
    producer.flush(30)
    if errors:
        raise SystemExit(f"delivery failed: {errors}")


def produce_raw(brokers, topic, hex_bytes):
    producer = Producer({"bootstrap.servers": brokers})
    producer.produce(topic, value=bytes.fromhex(hex_bytes), partition=0)
    if producer.flush(30) != 0:
        raise SystemExit("not delivered within 30 s")


def consume(brokers, registry, topic, n, reader_file=None):
    client = SchemaRegistryClient({"url": registry})
    reader = Schema(read(reader_file), "JSON") if reader_file else None
    deserializer = JSONDeserializer(reader, schema_registry_client=client)
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
        print(json.dumps({"value": value, "hex": msg.value().hex()}, ensure_ascii=False), flush=True)
        seen += 1
    consumer.close()


def register(registry, subject, schema_file, refs):
    client = SchemaRegistryClient({"url": registry})
    references = []
    for r in refs:
        name, rest = r.split("=", 1)
        ref_subject, version = rest.rsplit(":", 1)
        references.append(SchemaReference(name=name, subject=ref_subject, version=int(version)))
    schema_id = client.register_schema(subject, Schema(read(schema_file), "JSON", references))
    print(json.dumps({"id": schema_id}))


def get(registry, schema_id):
    client = SchemaRegistryClient({"url": registry})
    s = client.get_schema(schema_id)
    refs = [{"name": r.name, "subject": r.subject, "version": r.version} for r in (s.references or [])]
    print(json.dumps({"schema_type": s.schema_type, "schema_str": s.schema_str, "references": refs}))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "produce":
        produce(args[0], args[1], args[2], args[3], args[4:])
    elif cmd == "produce-raw":
        produce_raw(args[0], args[1], args[2])
    elif cmd == "consume":
        consume(args[0], args[1], args[2], int(args[3]), args[4] if len(args) > 4 else None)
    elif cmd == "register":
        register(args[0], args[1], args[2], args[3:])
    elif cmd == "get":
        get(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
