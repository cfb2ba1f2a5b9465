#!/usr/bin/env python3
"""Data-contract rules with Confluent's own Python serializer (confluent-kafka 2.16.0 and its
CEL executor, pinned in scripts/requirements.txt), the peer of tests/interop/python_rules.rs.

  rules_peer.py register URL SUBJECT SCHEMA_FILE
      register the schema with a CEL WRITE condition (`us_only`: message.country_code == 'US')
      as Confluent's SchemaRegistryClient sends it; prints the id
  rules_peer.py serialize URL TOPIC SCHEMA_FILE
      Confluent's AvroSerializer with use.latest.version (the subject's rules run) serializes
      a US address (must pass) and a FR one (must be refused by the rule); prints one line per
      check and a closing "N passed, N failed" line; exits 1 on any failure.
  rules_peer.py field-register URL SUBJECT SCHEMA_FILE
      register the schema with `street` and `city` tagged PII (`confluent:tags`) and a
      CEL_FIELD WRITE transform masking PII strings; prints the id
  rules_peer.py field-serialize URL TOPIC SCHEMA_FILE
      Confluent's AvroSerializer (use.latest.version, its CEL_FIELD executor) serializes the US
      address; prints the frame as hex
  rules_peer.py field-deserialize URL TOPIC SCHEMA_FILE HEX
      Confluent's AvroDeserializer reads the frame HEX; prints the record as JSON
"""

from __future__ import annotations

import json
import sys

from confluent_kafka.schema_registry import (
    Rule,
    RuleKind,
    RuleMode,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError


def address(country: str) -> dict:
    return {"street": "1 Main St", "city": "Springfield", "country_code": country}


def register(url: str, subject: str, text: str) -> None:
    rules = RuleSet(
        migration_rules=[],
        domain_rules=[
            Rule(
                name="us_only",
                doc=None,
                kind=RuleKind.CONDITION,
                mode=RuleMode.WRITE,
                type="CEL",
                tags=None,
                params=None,
                expr="message.country_code == 'US'",
                on_success=None,
                on_failure=None,
                disabled=False,
            )
        ],
    )
    client = SchemaRegistryClient({"url": url})
    print(client.register_schema(subject, Schema(text, "AVRO", rule_set=rules)))


def serialize(url: str, topic: str, text: str) -> int:
    CelExecutor.register()
    client = SchemaRegistryClient({"url": url})
    ser = AvroSerializer(
        client, text, conf={"auto.register.schemas": False, "use.latest.version": True}
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    results = []
    try:
        frame = ser(address("US"), ctx)
        results.append(("a US address is serialized", frame is not None and frame[0] == 0))
    except Exception as e:  # noqa: BLE001 - report, keep going
        print(f"US refused: {e!r}")
        results.append(("a US address is serialized", False))
    try:
        ser(address("FR"), ctx)
        results.append(("a FR address is refused by us_only", False))
    except SerializationError as e:
        # The rule's own failure, not any other error: ErrorAction raises from the
        # RuleConditionError, whose text names the expression.
        cause = str(e.__cause__)
        print(f"FR refused: {e!r} (cause {cause!r})")
        results.append(
            (
                "a FR address is refused by us_only",
                cause == "Rule expr failed: message.country_code == 'US'",
            )
        )
    for name, ok in results:
        print(f"{'ok    ' if ok else 'FAILED'} {name}")
    failed = sum(1 for _, ok in results if not ok)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


# The masking rule of the CEL_FIELD interop test (tests/interop/python_rules.rs has the same).
MASK = "typeName == 'STRING' ; size(value) > 4 ? 'XXXX-' + name : value"


def field_register(url: str, subject: str, text: str) -> None:
    schema = json.loads(text)
    # Tags in the schema itself. Not in `metadata.tags`: this client cannot hold a schema
    # whose metadata has tags (MetadataTags.__hash__ hashes its list values: TypeError when
    # it caches the schema), so path tags are tested on our side only.
    for field in schema["fields"]:
        if field["name"] in ("street", "city"):
            field["confluent:tags"] = ["PII"]
    rules = RuleSet(
        migration_rules=[],
        domain_rules=[
            Rule(
                name="mask_pii",
                doc=None,
                kind=RuleKind.TRANSFORM,
                mode=RuleMode.WRITE,
                type="CEL_FIELD",
                tags=["PII"],
                params=None,
                expr=MASK,
                on_success=None,
                on_failure=None,
                disabled=False,
            )
        ],
    )
    client = SchemaRegistryClient({"url": url})
    print(
        client.register_schema(
            subject, Schema(json.dumps(schema), "AVRO", rule_set=rules)
        )
    )


def field_serialize(url: str, topic: str, text: str) -> None:
    CelFieldExecutor.register()
    client = SchemaRegistryClient({"url": url})
    ser = AvroSerializer(
        client, text, conf={"auto.register.schemas": False, "use.latest.version": True}
    )
    frame = ser(address("US"), SerializationContext(topic, MessageField.VALUE))
    print(frame.hex())


def field_deserialize(url: str, topic: str, frame_hex: str) -> None:
    CelFieldExecutor.register()
    client = SchemaRegistryClient({"url": url})
    de = AvroDeserializer(client)
    value = de(bytes.fromhex(frame_hex), SerializationContext(topic, MessageField.VALUE))
    print(json.dumps(value, sort_keys=True))


def main() -> int:
    command, url, name, schema_file = sys.argv[1:5]
    with open(schema_file, encoding="utf-8") as f:
        text = f.read()
    if command == "register":
        register(url, name, text)
        return 0
    if command == "field-register":
        field_register(url, name, text)
        return 0
    if command == "field-serialize":
        field_serialize(url, name, text)
        return 0
    if command == "field-deserialize":
        field_deserialize(url, name, sys.argv[5])
        return 0
    return serialize(url, name, text)


if __name__ == "__main__":
    sys.exit(main())
