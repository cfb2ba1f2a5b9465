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
  rules_peer.py json-field-register URL SUBJECT SCHEMA_FILE
      the JSON Schema SCHEMA_FILE with `street` and `city` tagged PII (the `confluent:tags`
      keyword) and the same CEL_FIELD WRITE transform; prints the id
  rules_peer.py json-field-serialize URL TOPIC SCHEMA_FILE
      Confluent's JSONSerializer (use.latest.version, its CEL_FIELD executor) serializes the
      US address; prints the frame as hex
  rules_peer.py json-field-deserialize URL TOPIC SCHEMA_FILE HEX
      Confluent's JSONDeserializer reads the frame HEX; prints the record as JSON
  rules_peer.py migrate-register URL SUBJECT V1_FILE V2_FILE
      register v1 (metadata major_version=1) and v2 (major_version=2, with Confluent's
      JSONata UPGRADE/DOWNGRADE rules renaming ssn <-> socialSecurityNumber); prints both ids
  rules_peer.py migrate-serialize URL TOPIC V1_FILE
      Confluent's AvroSerializer on v1 (use.latest.with.metadata major_version=1) serializes
      {"name": "Ann", "ssn": "111"}; prints the frame as hex
  rules_peer.py migrate-deserialize URL TOPIC V1_FILE HEX
      Confluent's AvroDeserializer on v1 (use.latest.with.metadata major_version=1, its
      JSONata executor) reads the frame HEX; prints the record as JSON
"""

from __future__ import annotations

import json
import sys

from confluent_kafka.schema_registry import (
    Metadata,
    MetadataProperties,
    Rule,
    RuleKind,
    RuleMode,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.schema_registry.rules.jsonata.jsonata_executor import JsonataExecutor
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


def mask_rule() -> RuleSet:
    return RuleSet(
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


def json_field_register(url: str, subject: str, text: str) -> None:
    schema = json.loads(text)
    for name in ("street", "city"):
        schema["properties"][name]["confluent:tags"] = ["PII"]
    client = SchemaRegistryClient({"url": url})
    print(client.register_schema(subject, Schema(json.dumps(schema), "JSON", rule_set=mask_rule())))


def json_field_serialize(url: str, topic: str, text: str) -> None:
    CelFieldExecutor.register()
    client = SchemaRegistryClient({"url": url})
    ser = JSONSerializer(
        text, client, conf={"auto.register.schemas": False, "use.latest.version": True}
    )
    frame = ser(address("US"), SerializationContext(topic, MessageField.VALUE))
    print(frame.hex())


def json_field_deserialize(url: str, topic: str, frame_hex: str) -> None:
    CelFieldExecutor.register()
    client = SchemaRegistryClient({"url": url})
    de = JSONDeserializer(None, schema_registry_client=client)
    value = de(bytes.fromhex(frame_hex), SerializationContext(topic, MessageField.VALUE))
    print(json.dumps(value, sort_keys=True))


# Confluent's data-contracts walk-through: the field renamed, both ways.
UPGRADE = "$merge([$sift($, function($v, $k) {$k != 'ssn'}), {'socialSecurityNumber': $.'ssn'}])"
DOWNGRADE = (
    "$merge([$sift($, function($v, $k) {$k != 'socialSecurityNumber'}), "
    "{'ssn': $.'socialSecurityNumber'}])"
)
ON_V1 = {"major_version": "1"}


def major(version: str) -> Metadata:
    return Metadata(
        tags=None, properties=MetadataProperties({"major_version": version}), sensitive=None
    )


def migration(name: str, mode: RuleMode, expr: str) -> Rule:
    return Rule(
        name=name,
        doc=None,
        kind=RuleKind.TRANSFORM,
        mode=mode,
        type="JSONATA",
        tags=None,
        params=None,
        expr=expr,
        on_success=None,
        on_failure=None,
        disabled=False,
    )


def migrate_register(url: str, subject: str, v1: str, v2: str) -> None:
    client = SchemaRegistryClient({"url": url})
    id1 = client.register_schema(subject, Schema(v1, "AVRO", metadata=major("1")))
    rules = RuleSet(
        migration_rules=[
            migration("to_v2", RuleMode.UPGRADE, UPGRADE),
            migration("to_v1", RuleMode.DOWNGRADE, DOWNGRADE),
        ],
        domain_rules=[],
    )
    id2 = client.register_schema(subject, Schema(v2, "AVRO", metadata=major("2"), rule_set=rules))
    print(id1, id2)


def migrate_serialize(url: str, topic: str, v1: str) -> None:
    client = SchemaRegistryClient({"url": url})
    ser = AvroSerializer(
        client, v1, conf={"auto.register.schemas": False, "use.latest.with.metadata": ON_V1}
    )
    frame = ser({"name": "Ann", "ssn": "111"}, SerializationContext(topic, MessageField.VALUE))
    print(frame.hex())


def migrate_deserialize(url: str, topic: str, v1: str, frame_hex: str) -> None:
    JsonataExecutor.register()
    client = SchemaRegistryClient({"url": url})
    de = AvroDeserializer(client, v1, conf={"use.latest.with.metadata": ON_V1})
    value = de(bytes.fromhex(frame_hex), SerializationContext(topic, MessageField.VALUE))
    print(json.dumps(value, sort_keys=True))


def main() -> int:
    command, url, name, schema_file = sys.argv[1:5]
    with open(schema_file, encoding="utf-8") as f:
        text = f.read()
    if command == "register":
        register(url, name, text)
        return 0
    if command == "migrate-register":
        with open(sys.argv[5], encoding="utf-8") as f:
            migrate_register(url, name, text, f.read())
        return 0
    if command == "migrate-serialize":
        migrate_serialize(url, name, text)
        return 0
    if command == "migrate-deserialize":
        migrate_deserialize(url, name, text, sys.argv[5])
        return 0
    if command == "json-field-register":
        json_field_register(url, name, text)
        return 0
    if command == "json-field-serialize":
        json_field_serialize(url, name, text)
        return 0
    if command == "json-field-deserialize":
        json_field_deserialize(url, name, sys.argv[5])
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
