#!/usr/bin/env python3
"""Confluent's own Python client and serializers against schemaflow's embedded registry.

Run by tests/interop/python_registry.rs (which starts the registry and writes frames with the
Rust codecs); needs the pinned venv from scripts/python-env. Environment:
  REGISTRY_URL      the registry under test
  RUST_AVRO_FRAME   hex of a UserEvent frame written by schemaflow (Avro), id from this registry
  RUST_PROTO_FRAME  hex of a UserEvent frame written by schemaflow (Protobuf)
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import golden  # noqa: E402  (sample values and the .proto compiler of the golden-frame script)

from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.error import SchemaRegistryError  # noqa: E402
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402

URL = os.environ["REGISTRY_URL"]
results: list[tuple[str, bool]] = []


def check(name):
    def run(fn):
        try:
            fn()
            results.append((name, True))
            print(f"ok     {name}")
        except Exception:  # noqa: BLE001 - report every failure, keep going
            results.append((name, False))
            print(f"FAILED {name}")
            traceback.print_exc(file=sys.stdout)
        return fn
    return run


def expect_error(code, fn):
    try:
        fn()
    except SchemaRegistryError as e:
        assert e.error_code == code, (e.error_code, e.error_message)
        return e
    raise AssertionError(f"expected SchemaRegistryError {code}")


client = SchemaRegistryClient({"url": URL})
REC_V1 = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
REC_V2 = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}'


@check("register, lookup, get by id, versions, latest")
def _():
    sid = client.register_schema("py-value", Schema(REC_V1, "AVRO"))
    assert client.register_schema("py-value", Schema(REC_V1, "AVRO")) == sid
    rs = client.lookup_schema("py-value", Schema(REC_V1, "AVRO"))
    assert (rs.schema_id, rs.version, rs.subject) == (sid, 1, "py-value"), rs
    assert json.loads(client.get_schema(sid).schema_str) == json.loads(REC_V1)
    sid2 = client.register_schema("py-value", Schema(REC_V2, "AVRO"))
    assert sid2 > sid
    assert client.get_versions("py-value") == [1, 2]
    latest = client.get_latest_version("py-value")
    assert (latest.version, latest.schema_id) == (2, sid2)
    assert client.get_version("py-value", 1).schema_id == sid
    assert "py-value" in client.get_subjects()


@check("error codes: 40401, 40403, 42201")
def _():
    expect_error(40401, lambda: SchemaRegistryClient({"url": URL}).get_versions("no-such-subject"))
    expect_error(40403, lambda: SchemaRegistryClient({"url": URL}).get_schema(987654))
    expect_error(42201, lambda: client.register_schema("py-bad", Schema('{"type":"nosuch"}', "AVRO")))


@check("compatibility config and test_compatibility")
def _():
    assert client.get_compatibility() == "BACKWARD"
    assert client.set_compatibility("py-value", "FULL") == {"compatibility": "FULL"}
    assert client.get_compatibility("py-value") == "FULL"
    assert client.test_compatibility("py-value", Schema(REC_V2, "AVRO")) is True
    client.set_compatibility("py-value", "BACKWARD")


@check("soft and permanent deletes")
def _():
    client.register_schema("py-del", Schema(REC_V1, "AVRO"))
    assert client.delete_version("py-del", 1) == 1
    assert client.delete_subject("py-del", permanent=True) == [1]
    expect_error(40401, lambda: SchemaRegistryClient({"url": URL}).get_versions("py-del"))


@check("AvroSerializer/Deserializer through this registry: payload equals the golden frame")
def _():
    address = (REPO / "schemas" / "address.avsc").read_text().strip()
    client.register_schema(golden.ADDRESS_SUBJECT, Schema(address, "AVRO"))
    ref = SchemaReference(name="com.example.events.Address", subject=golden.ADDRESS_SUBJECT, version=1)
    schema = Schema((REPO / "schemas" / "user_event.avsc").read_text().strip(), "AVRO", [ref])
    ctx = SerializationContext("py-avro", MessageField.VALUE)
    frame = AvroSerializer(client, schema)(golden.AVRO_FULL, ctx)
    sid = int.from_bytes(frame[1:5], "big")
    assert client.lookup_schema("py-avro-value", schema).schema_id == sid
    gold = bytes.fromhex(json.loads((REPO / "tests/fixtures/golden/manifest.json").read_text())[0]["hex"])
    assert frame[5:] == gold[5:], "Avro payload differs from the golden frame"
    assert golden.normalize_avro(AvroDeserializer(client)(frame, ctx)) == golden.AVRO_FULL


with tempfile.TemporaryDirectory() as tmp:
    pb = golden.compile_v1_pb2(Path(tmp))

    def full_event():
        ev = pb.UserEvent()
        golden.fill_full_event(ev)
        return ev

    @check("ProtobufSerializer/Deserializer through this registry (serialized schemas, references)")
    def _():
        ctx = SerializationContext("py-proto", MessageField.VALUE)
        ser = ProtobufSerializer(pb.UserEvent, client, {"use.deprecated.format": False})
        frame = ser(full_event(), ctx)
        assert frame[5] == 0, "message indexes [0] as a single 0 byte"
        gold = json.loads((REPO / "tests/fixtures/golden/manifest.json").read_text())
        gold = bytes.fromhex(next(e for e in gold if e["name"] == "proto_user_event_full")["hex"])
        assert frame[6:] == gold[6:], "Protobuf payload differs from the golden frame"
        latest = client.get_latest_version("py-proto-value")
        assert [r.name for r in latest.schema.references] == ["events/v1/common.proto"], latest.schema.references
        de = ProtobufDeserializer(pb.UserEvent, {"use.deprecated.format": False})
        assert de(frame, ctx) == full_event()

    @check("frames written by schemaflow decode with Confluent's deserializers")
    def _():
        ctx = SerializationContext("rust", MessageField.VALUE)
        avro = AvroDeserializer(SchemaRegistryClient({"url": URL}))(bytes.fromhex(os.environ["RUST_AVRO_FRAME"]), ctx)
        assert golden.normalize_avro(avro) == golden.AVRO_FULL, avro
        de = ProtobufDeserializer(pb.UserEvent, {"use.deprecated.format": False})
        assert de(bytes.fromhex(os.environ["RUST_PROTO_FRAME"]), ctx) == full_event()

passed = sum(1 for _, ok in results if ok)
failed = len(results) - passed
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
