#!/usr/bin/env python3
"""Times Confluent's Python serdes on the peer benchmarks' values, with warm caches.

What it is:
    The Python row of BENCHMARKS.md "Codec against its peers". For each frame that
    schemaflow wrote (Avro and Protobuf; records user_event, small, wide; read from
    FRAMES.json, written by the `peer-registry` binary of crates/schemaflow-bench, which
    also serves the embedded registry the frames' ids belong to), it:
      1. decodes the frame with AvroDeserializer / ProtobufDeserializer (this also fills
         the deserializer's schema cache),
      2. encodes the decoded value with AvroSerializer / ProtobufSerializer configured with
         use.latest.version (the schema schemaflow registered under <topic>-value; nothing
         is registered by Python), and records whether the bytes equal schemaflow's frame,
      3. times encode and decode of that same value/frame; for Avro user_event also
         "v1 data read as v2" (AvroDeserializer given the v2 schema as reader schema).
    One JSON object a line goes to OUT.jsonl (and stdout): peer, format, record, op,
    ns_per_op (median of the batches), min_ns_per_op, batches, iterations, same_bytes.

How to run (scripts/peer-bench does all of this):
    target/release/peer-registry target/peer-bench/frames.json &
    "$(scripts/python-env)/bin/python" scripts/peer_bench.py \
        target/peer-bench/frames.json target/peer-bench/python.jsonl

Pinned: the venv of scripts/python-env (scripts/requirements.txt: confluent-kafka 2.16.0,
fastavro, protobuf, grpcio-tools for compiling the .proto files without a system protoc).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "crates" / "schemaflow-bench"
WKT_INCLUDE = str(Path(grpc_tools.__file__).parent / "_proto")
CK_VERSION = importlib.metadata.version("confluent-kafka")
# Each batch runs about this long (PEER_BENCH_BATCH_SECONDS overrides it, e.g. 0.02 for a
# smoke test); the median of BATCHES batches is reported. Short, as the Rust side's criterion
# settings are (2 shared cores, one run of everything).
BATCH_SECONDS = float(os.environ.get("PEER_BENCH_BATCH_SECONDS", "0.25"))
BATCHES = 7


def time_op(fn) -> dict:
    """Median and minimum ns per call of fn() over BATCHES batches of a calibrated size."""
    fn()
    n = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter_ns() - start
        if elapsed >= BATCH_SECONDS * 1e9 / 4:
            break
        n *= 2
    n = max(1, int(n * (BATCH_SECONDS * 1e9) / max(elapsed, 1)))
    per_op = []
    for _ in range(BATCHES):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        per_op.append((time.perf_counter_ns() - start) / n)
    return {
        "ns_per_op": statistics.median(per_op),
        "min_ns_per_op": min(per_op),
        "batches": BATCHES,
        "iterations": n,
    }


def compile_protos(tmp: Path) -> dict:
    """The bench crate's .proto files as _pb2 message classes, by record name."""
    files = ["events/v1/common.proto", "events/v1/user_event.proto", "bench/v1/shapes.proto"]
    rc = protoc.main(["grpc_tools.protoc", "-I", str(BENCH / "proto"), "-I", WKT_INCLUDE,
                      f"--python_out={tmp}", *files])
    if rc != 0:
        raise SystemExit(f"grpc_tools.protoc failed ({rc})")
    sys.path.insert(0, str(tmp))
    events = importlib.import_module("events.v1.user_event_pb2")
    shapes = importlib.import_module("bench.v1.shapes_pb2")
    return {"user_event": events.UserEvent, "small": shapes.Small, "wide": shapes.Wide}


def json_schema_main(frames_path: str, out_path: str) -> None:
    """The Python row of BENCHMARKS.md "JSON Schema codec": Confluent's JSONSerializer and
    JSONDeserializer (validate on, as by default) on the values of schemaflow's frames
    (benches/json_schema.rs writes FRAMES.json: record, schema, hex), against the in-process
    mock registry with the schema registered as the frames' id, caches warm. Checks that
    JSONSerializer's frame equals schemaflow's byte for byte."""
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer

    records = json.loads(Path(frames_path).read_text())
    out = open(out_path, "w")
    client = SchemaRegistryClient.new_client({"url": "mock://json-schema-bench"})
    for rec in records:
        frame = bytes.fromhex(rec["hex"])
        topic = f"bench-json-{rec['record']}"
        ctx = SerializationContext(topic, MessageField.VALUE)
        schema = Schema(rec["schema"], "JSON")
        schema_id = client.register_schema(f"{topic}-value", schema)
        # schemaflow's frame carries id 1; the mock gives its own: compare the JSON text, and
        # the id separately.
        ser = JSONSerializer(schema, client)
        de = JSONDeserializer(schema, schema_registry_client=client)
        ours = frame[:1] + schema_id.to_bytes(4, "big") + frame[5:]
        value = de(ours, ctx)
        theirs = ser(value, ctx)
        for op, fn in (("encode", lambda: ser(value, ctx)), ("decode", lambda: de(ours, ctx))):
            row = {"peer": "confluent-kafka-python " + CK_VERSION, "format": "json_schema",
                   "record": rec["record"], "op": op, **time_op(fn), "same_bytes": theirs == ours}
            print(json.dumps(row), flush=True)
            out.write(json.dumps(row) + "\n")
    out.close()


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--json-schema":
        json_schema_main(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) != 3:
        raise SystemExit("usage: peer_bench.py FRAMES.json OUT.jsonl")
    spec = json.loads(Path(sys.argv[1]).read_text())
    client = SchemaRegistryClient({"url": spec["url"]})
    out = open(sys.argv[2], "w")

    def emit(fmt: str, record: str, op: str, timing: dict, **extra) -> None:
        row = {"peer": "confluent-kafka-python", "version": CK_VERSION,
               "python": platform.python_version(), "format": fmt, "record": record, "op": op,
               **timing, **extra}
        line = json.dumps(row)
        print(line, flush=True)
        out.write(line + "\n")

    with tempfile.TemporaryDirectory(prefix="peer-bench-") as tmp:
        messages = compile_protos(Path(tmp))
        for f in spec["frames"]:
            frame = bytes.fromhex(f["frame_hex"])
            ctx = SerializationContext(f["topic"], MessageField.VALUE)
            latest = {"auto.register.schemas": False, "use.latest.version": True}
            if f["format"] == "avro":
                de = AvroDeserializer(client)
                ser = AvroSerializer(client, None, conf=latest)
            else:
                cls = messages[f["record"]]
                de = ProtobufDeserializer(cls, None, client)
                ser = ProtobufSerializer(cls, client, latest)
            value = de(frame, ctx)
            same = ser(value, ctx) == frame
            emit(f["format"], f["record"], "encode", time_op(lambda: ser(value, ctx)), same_bytes=same)
            emit(f["format"], f["record"], "decode", time_op(lambda: de(frame, ctx)))
            if f["format"] == "avro" and f["record"] == "user_event":
                # The v2 reader schema, its Address reference at the version schemaflow
                # registered (subject = the reference's full name, Confluent's default).
                v2 = Schema((BENCH / "schemas" / "evolution" / "user_event.avsc").read_text(), "AVRO",
                            [SchemaReference("com.example.events.Address", "com.example.events.Address", 1)])
                resolver = AvroDeserializer(client, v2)
                resolved = resolver(frame, ctx)
                assert resolved["channel"] == "web", resolved
                emit("avro", "user_event", "resolve_v1_as_v2", time_op(lambda: resolver(frame, ctx)))
    out.close()


if __name__ == "__main__":
    main()
