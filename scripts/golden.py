#!/usr/bin/env python3
"""Golden Confluent wire-format frames, written by Confluent's own Python serializers.

What it is:
    Serializes a fixed set of Avro, Protobuf and JSON Schema values with confluent-kafka's
    AvroSerializer / ProtobufSerializer / JSONSerializer (default config: auto.register.schemas,
    TopicNameStrategy, value serializer) against the in-process mock Schema
    Registry (``mock://golden``), and writes the resulting frames to
    ``tests/fixtures/golden/<name>.bin`` plus ``tests/fixtures/golden/manifest.json``
    (schema ids, message indexes, hex, and exactly what the serializer registered).
    The Rust tests build the same values and compare byte-for-byte.
    Every frame is read back through AvroDeserializer / ProtobufDeserializer as a
    self-check. Output is deterministic: running it twice gives identical files.

How to run (from the repository root):
    "$(scripts/python-env)/bin/python" scripts/golden.py

Needs nothing but the pinned venv made by scripts/python-env from
scripts/requirements.txt: no Schema Registry, no Kafka broker, no system protoc
(.proto files are compiled with grpc_tools.protoc into a temporary directory).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
import json
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import grpc_tools
from grpc_tools import protoc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import (
    ProtobufDeserializer,
    ProtobufSerializer,
)
from confluent_kafka.serialization import MessageField, SerializationContext

REPO = Path(__file__).resolve().parent.parent
# GOLDEN_OUT overrides the output folder (the test script regenerates into a temp dir and
# compares, proving the committed fixtures are what Confluent writes today).
OUT = Path(os.environ["GOLDEN_OUT"]) if os.environ.get("GOLDEN_OUT") else REPO / "tests" / "fixtures" / "golden"
CK_VERSION = importlib.metadata.version("confluent-kafka")
WKT_INCLUDE = str(Path(grpc_tools.__file__).parent / "_proto")  # google/protobuf/*.proto

ADDRESS_SUBJECT = "com.example.events.Address"
UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def millis(ms: int) -> dt.datetime:
    """An aware UTC datetime for a timestamp-millis value (exact, no float)."""
    return EPOCH + dt.timedelta(milliseconds=ms)


# ---------------------------------------------------------------------------
# Frame decoding (independent of confluent_kafka, so the manifest states what
# is actually in the bytes)
# ---------------------------------------------------------------------------


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def decode_frame(frame: bytes, protobuf: bool) -> tuple[int, list[int] | None, int]:
    """Return (schema_id, message_indexes or None, payload offset)."""
    assert frame[0] == 0, f"magic byte {frame[0]}"
    schema_id = int.from_bytes(frame[1:5], "big")
    if not protobuf:
        return schema_id, None, 5
    count, pos = _read_varint(frame, 5)
    count = _zigzag(count)
    if count == 0:  # Confluent's shorthand for [0]
        return schema_id, [0], pos
    indexes = []
    for _ in range(count):
        v, pos = _read_varint(frame, pos)
        indexes.append(_zigzag(v))
    return schema_id, indexes, pos


# ---------------------------------------------------------------------------
# Protobuf compilation
# ---------------------------------------------------------------------------


def run_protoc(args: list[str]) -> None:
    rc = protoc.main(["grpc_tools.protoc", *args])
    if rc != 0:
        raise SystemExit(f"grpc_tools.protoc failed ({rc}): {args}")


def _strip_json_names(msgs) -> None:
    for m in msgs:
        for f in list(m.field) + list(m.extension):
            f.ClearField("json_name")
        _strip_json_names(m.nested_type)


def descriptor_set(tmp: Path, includes: list[Path], out_name: str) -> list[descriptor_pb2.FileDescriptorProto]:
    """events/v1/user_event.proto and its imports as FileDescriptorProtos, in
    dependency order, exactly as protoc's Python generator embeds them in _pb2
    modules (which is what ProtobufSerializer registers): no source info and
    no json_name."""
    out = tmp / out_name
    args = []
    for inc in includes:
        args += ["-I", str(inc)]
    run_protoc([*args, "-I", WKT_INCLUDE, "--include_imports", f"--descriptor_set_out={out}",
                "events/v1/user_event.proto"])
    files = list(descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file)
    for f in files:
        _strip_json_names(f.message_type)
        for ext in f.extension:
            ext.ClearField("json_name")
    return files


def compile_v1_pb2(tmp: Path):
    """proto/ -> _pb2 modules imported into the default descriptor pool."""
    run_protoc([
        "-I", str(REPO / "proto"), "-I", WKT_INCLUDE, f"--python_out={tmp}",
        "events/v1/common.proto", "events/v1/user_event.proto",
    ])
    sys.path.insert(0, str(tmp))
    pb = importlib.import_module("events.v1.user_event_pb2")
    # Check that descriptor_set() reproduces what _pb2 embeds, byte for byte.
    by_name = {f.name: f.SerializeToString() for f in descriptor_set(tmp, [REPO / "proto"], "v1.pb")}
    # (google/protobuf/timestamp.proto is skipped: the runtime's own copy is used,
    # and ProtobufSerializer never registers it, skip.known.types being true.)
    for fd in (pb.DESCRIPTOR, pb.DESCRIPTOR.dependencies[0]):
        assert by_name[fd.name] == fd.serialized_pb, fd.name
    return pb


def compile_v2_pool(tmp: Path):
    """proto/evolution (+ proto/ for common.proto) -> a private DescriptorPool.

    v2 has the same file name (events/v1/user_event.proto) and message names as
    v1, so it cannot share the default pool with the v1 _pb2 modules; it is
    compiled with the same protoc to a descriptor set, normalized the way the
    _pb2 generator does (checked against v1 in compile_v1_pb2), and loaded into
    its own pool.
    """
    pool = descriptor_pool.DescriptorPool()
    for fdp in descriptor_set(tmp, [REPO / "proto" / "evolution", REPO / "proto"], "v2.pb"):
        pool.Add(fdp)
    return pool


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

AVRO_FULL = {
    "event_id": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d",
    "user_id": "user-42",
    "action": "PURCHASE",
    "occurred_at": millis(1700000000123),
    "amount": Decimal("12.34"),
    "session_id": "sess-1",
    "device": {"platform": "ios", "app_version": "17.1"},
    "shipping_address": {"street": "1 Main St", "city": "Springfield", "country_code": "US"},
    "tags": ["new", "mobile"],
    "attributes": {"campaign": "fall"},
}
AVRO_MINIMAL = {
    "event_id": "00000000-0000-4000-8000-000000000001",
    "user_id": "u",
    "action": "LOGIN",
    "occurred_at": millis(0),
    "amount": Decimal("0.00"),
    "session_id": None,
    "device": {"platform": "web", "app_version": None},
    "shipping_address": None,
    "tags": [],
    "attributes": {},
}
AVRO_NEGATIVE = {
    **AVRO_MINIMAL,
    "user_id": "refund",
    "action": "PURCHASE",
    "amount": Decimal("-1.50"),
    "occurred_at": millis(1700000000000),
}
AVRO_V2 = {**AVRO_FULL, "channel": "ios"}


def fill_full_event(ev) -> None:
    """The full protobuf UserEvent (works for v1 and v2 classes)."""
    ev.event_id = "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d"
    ev.user_id = "user-42"
    ev.action = ev.DESCRIPTOR.enum_values_by_name["ACTION_PURCHASE"].number
    ev.occurred_at.seconds = 1700000000
    ev.occurred_at.nanos = 123000000
    ev.amount_cents = 1234
    ev.session_id = "sess-1"
    ev.device.platform = "ios"
    ev.device.app_version = "17.1"
    ev.shipping_address.street = "1 Main St"
    ev.shipping_address.city = "Springfield"
    ev.shipping_address.country_code = "US"
    ev.tags.extend(["new", "mobile"])
    ev.attributes["campaign"] = "fall"
    item = ev.items.add()
    item.sku = "sku-1"
    item.quantity = 2


# JSON Schema values (schemas/json/user_event.json, referencing address.json by name). Key
# order is the order of the Rust struct's fields: the frame's text keeps the dict's order.
JSON_FULL = {
    "event_id": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d",
    "user_id": "user-42",
    "action": "PURCHASE",
    "occurred_at": "2023-11-14T22:13:20.123Z",
    "amount": "12.34",
    "session_id": "sess-1",
    "device": {"platform": "ios", "app_version": "17.1"},
    "shipping_address": {"street": "1 Main St", "city": "Springfield", "country_code": "US"},
    "tags": ["new", "mobile"],
    "attributes": {"campaign": "fall"},
}
JSON_MINIMAL = {
    "event_id": "00000000-0000-4000-8000-000000000001",
    "user_id": "u",
    "action": "LOGIN",
    "occurred_at": "1970-01-01T00:00:00Z",
    "amount": "0.00",
    "session_id": None,
    "device": {"platform": "web", "app_version": None},
    "shipping_address": None,
    "tags": [],
    "attributes": {},
}
# What the text form has to get right beyond the sample: floats (Python's repr: 1e+16,
# 1.5e-07), integers past 2^53, non-ASCII (written as UTF-8) and control characters.
JSON_SCALARS_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Scalars",
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "big": {"type": "number"},
        "small": {"type": "number"},
        "plain": {"type": "number"},
        "count": {"type": "integer"},
        "flag": {"type": "boolean"},
        "nothing": {"type": "null"},
        "list": {"type": "array", "items": {"type": "number"}},
    },
    "required": ["text", "big", "small", "plain", "count", "flag", "nothing", "list"],
    "additionalProperties": False,
}, separators=(",", ":"))
JSON_SCALARS = {
    "text": "h\u00e9llo \u2713 \"q\" \\ \n\t\u0001\u007f \U0001f600",
    "big": 1e16,
    "small": 1.5e-07,
    "plain": 0.1,
    "count": 9007199254740993,
    "flag": True,
    "nothing": None,
    "list": [1.0, -0.0, 1e-05, 123456789012345680.0, 2.5],
}


def normalize_avro(value):
    """Make a deserialized Avro value comparable with the input dicts."""
    if isinstance(value, dict):
        return {k: normalize_avro(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_avro(v) for v in value]
    if type(value).__name__ == "UUID":
        return str(value)
    return value


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def registered_info(client, schema_id: int) -> dict:
    schema = client.get_schema(schema_id)
    refs = []
    for ref in schema.references or []:
        rv = client.get_version(ref.subject, ref.version)
        refs.append({
            "name": ref.name,
            "subject": ref.subject,
            "version": ref.version,
            "schema_id": rv.schema_id,
            "schema_str": rv.schema.schema_str,
        })
    return {"schema_type": schema.schema_type, "schema_str": schema.schema_str, "references": refs}


def main() -> None:
    client = SchemaRegistryClient.new_client({"url": "mock://golden"})
    entries: list[dict] = []

    def record(name, frame, *, schema_type, topic, message, registered_schema_obj, check):
        protobuf = schema_type == "PROTOBUF"
        subject = f"{topic}-value"
        schema_id, indexes, payload_at = decode_frame(frame, protobuf)
        # Cross-check the id in the frame against the registry.
        looked_up = client.lookup_schema(subject, registered_schema_obj)
        assert looked_up.schema_id == schema_id, (name, looked_up.schema_id, schema_id)
        reg = registered_info(client, schema_id)
        assert reg["schema_str"] == registered_schema_obj.schema_str
        check(frame)
        entry = {
            "name": name,
            "file": f"{name}.bin",
            "schema_type": schema_type,
            "topic": topic,
            "subject": subject,
            "subject_version": looked_up.version,
            "schema_id": schema_id,
            "message": message,
        }
        if protobuf:
            entry["message_indexes"] = indexes
        entry.update({
            "hex": frame.hex(),
            "payload_offset": payload_at,
            "confluent_kafka_version": CK_VERSION,
            "registered_schema": reg,
        })
        entries.append(entry)

    # ---------------- Avro ----------------
    address_str = (REPO / "schemas" / "address.avsc").read_text().strip()
    client.register_schema(ADDRESS_SUBJECT, Schema(address_str, "AVRO"))
    address_ref = SchemaReference(name="com.example.events.Address", subject=ADDRESS_SUBJECT, version=1)

    def avro_case(topic, avsc, values):
        schema = Schema((REPO / avsc).read_text().strip(), "AVRO", [address_ref])
        ser = AvroSerializer(client, schema)
        de = AvroDeserializer(client)
        ctx = SerializationContext(topic, MessageField.VALUE)
        for name, value in values:
            frame = ser(value, ctx)

            def check(frame, value=value):
                got = normalize_avro(de(frame, ctx))
                assert got == value, (got, value)

            record(name, frame, schema_type="AVRO", topic=topic, message="com.example.events.UserEvent",
                   registered_schema_obj=schema, check=check)

    avro_case("user-events", "schemas/user_event.avsc", [
        ("avro_user_event_full", AVRO_FULL),
        ("avro_user_event_minimal", AVRO_MINIMAL),
        ("avro_user_event_negative", AVRO_NEGATIVE),
    ])
    avro_case("user-events-v2", "schemas/evolution/user_event.avsc", [
        ("avro_user_event_v2", AVRO_V2),
    ])

    # ---------------- Protobuf ----------------
    with tempfile.TemporaryDirectory(prefix="golden-v1-") as t1, \
            tempfile.TemporaryDirectory(prefix="golden-v2-") as t2:
        pb = compile_v1_pb2(Path(t1))
        pool_v2 = compile_v2_pool(Path(t2))
        assert (pool_v2.FindFileByName("events/v1/common.proto").serialized_pb
                == pb.DESCRIPTOR.dependencies[0].serialized_pb)
        UserEventV2 = message_factory.GetMessageClass(pool_v2.FindMessageTypeByName("events.v1.UserEvent"))

        def proto_case(topic, msg_class, values):
            ser = ProtobufSerializer(msg_class, client)
            de = ProtobufDeserializer(msg_class, None, client)
            ctx = SerializationContext(topic, MessageField.VALUE)
            for name, msg in values:
                frame = ser(msg, ctx)
                refs = [SchemaReference(r.name, r.subject, r.version)
                        for r in client.get_schema(decode_frame(frame, True)[0]).references]
                registered = Schema(ser._schema.schema_str, "PROTOBUF", refs)

                def check(frame, msg=msg):
                    got = de(frame, ctx)
                    assert got == msg, (got, msg)

                record(name, frame, schema_type="PROTOBUF", topic=topic, message=msg.DESCRIPTOR.full_name,
                       registered_schema_obj=registered, check=check)

        full = pb.UserEvent()
        fill_full_event(full)
        proto_case("user-events-proto", pb.UserEvent, [
            ("proto_user_event_full", full),
            ("proto_user_event_minimal", pb.UserEvent(user_id="u")),
        ])
        batch = pb.UserEventBatch(producer="golden")
        batch.events.add().CopyFrom(full)
        proto_case("user-events-batch", pb.UserEventBatch, [("proto_user_event_batch", batch)])
        proto_case("user-events-items", pb.UserEvent.LineItem,
                   [("proto_line_item", pb.UserEvent.LineItem(sku="sku-9", quantity=7))])
        full_v2 = UserEventV2()
        fill_full_event(full_v2)
        full_v2.channel = "ios"
        proto_case("user-events-proto-v2", UserEventV2, [("proto_user_event_v2", full_v2)])

    # ---------------- JSON Schema ----------------
    address_json = (REPO / "schemas" / "json" / "address.json").read_text()
    client.register_schema("address.json", Schema(address_json, "JSON"))
    address_json_ref = SchemaReference(name="address.json", subject="address.json", version=1)

    def json_case(topic, schema, values):
        ser = JSONSerializer(schema, client)
        de = JSONDeserializer(schema, schema_registry_client=client)
        ctx = SerializationContext(topic, MessageField.VALUE)
        for name, value in values:
            frame = ser(value, ctx)

            def check(frame, value=value):
                got = de(frame, ctx)
                assert got == value, (got, value)

            record(name, frame, schema_type="JSON", topic=topic, message=json.loads(schema.schema_str)["title"],
                   registered_schema_obj=schema, check=check)

    user_event_json = Schema((REPO / "schemas" / "json" / "user_event.json").read_text(), "JSON",
                             [address_json_ref])
    json_case("user-events-json", user_event_json, [
        ("json_user_event_full", JSON_FULL),
        ("json_user_event_minimal", JSON_MINIMAL),
    ])
    json_case("json-scalars", Schema(JSON_SCALARS_SCHEMA, "JSON"), [("json_scalars", JSON_SCALARS)])

    # ---------------- Write ----------------
    OUT.mkdir(parents=True, exist_ok=True)
    names = {e["file"] for e in entries}
    for stale in OUT.glob("*.bin"):
        if stale.name not in names:
            stale.unlink()
    for e in entries:
        (OUT / e["file"]).write_bytes(bytes.fromhex(e["hex"]))
    (OUT / "manifest.json").write_text(json.dumps(entries, indent=2) + "\n")

    print(f"confluent-kafka {CK_VERSION}; wrote {len(entries)} frames to {OUT}")
    print(f"{'name':28} {'type':8} {'subject':26} {'id':>3} {'idx':8} {'bytes':>5}")
    for e in entries:
        idx = ",".join(map(str, e.get("message_indexes") or [])) or "-"
        print(f"{e['name']:28} {e['schema_type']:8} {e['subject']:26} {e['schema_id']:>3} {idx:8} "
              f"{len(e['hex']) // 2:>5}")


if __name__ == "__main__":
    main()
