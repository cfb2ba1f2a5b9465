#!/usr/bin/env python3
"""Times Confluent's Python serdes running data-contract rules: the Python rows of
BENCHMARKS.md "Data-contract rules", beside benches/rules.rs's own.

What it is:
    benches/rules.rs writes SPEC.json: the benchmarks' UserEvent schema (Avro) with its
    references, and the frame of the value it times (schema id 1). Against the in-process
    mock registry (warm caches, no HTTP), this registers the same contract per case, under a
    subject of its own:
      none      no rule set
      cel       one CEL condition, WRITEREAD: message.user_id.startsWith('user-')
      field     one CEL_FIELD WRITE transform masking the PII-tagged address street
                ('typeName == 'STRING' ; 'XXX-' + name'); the tag is in the Address schema
                (`confluent:tags`): this client cannot hold metadata tags (MetadataTags is
                unhashable)
      migrate   v1, then v2 (the same fields, another doc) with one JSONata UPGRADE rule (the
                rename expression of the Rust bench); decoded with use.latest.version. Without
                the schema's logical types (uuid, timestamp-millis, decimal as a string): this
                client's JSONata executor refuses their Python values (UUID, datetime, Decimal)
    and times AvroSerializer (use.latest.version) / AvroDeserializer on the value of the
    frame: encode none/cel/field, decode none/cel/migrate. One JSON object a line to
    OUT.jsonl (and stdout): case, op, ns_per_op (median of the batches), min_ns_per_op,
    cpu_us_per_record (this process's CPU time per call over the timed batches), and for
    encode/none whether the bytes equal the Rust frame (same_bytes, the id aside).

How to run (benches/rules.rs does it after its own timings):
    RULES_BENCH_PYTHON="$(scripts/python-env | tail -1)/bin/python" cargo bench --bench rules
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import statistics
import sys
import time
from pathlib import Path

from confluent_kafka.schema_registry import (
    Rule,
    RuleKind,
    RuleMode,
    RuleSet,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.schema_registry.rules.jsonata.jsonata_executor import JsonataExecutor
from confluent_kafka.serialization import MessageField, SerializationContext

CK_VERSION = importlib.metadata.version("confluent-kafka")
BATCH_SECONDS = float(os.environ.get("RULES_BENCH_BATCH_SECONDS", "0.25"))
BATCHES = 7

CEL = "message.user_id.startsWith('user-')"
MASK = "typeName == 'STRING' ; 'XXX-' + name"
# The migration case's field types without logical types (see `register`).
PLAIN = {"event_id": "string", "occurred_at": "long", "amount": "string"}
RENAME = "$merge([$sift($, function($v, $k) {$k != 'user_id'}), {'user_id': $.'user_id'}])"


def time_op(fn) -> dict:
    """Median and minimum ns per call of fn() over BATCHES calibrated batches, and the CPU
    time per call over all of them."""
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
    cpu_start = time.process_time_ns()
    for _ in range(BATCHES):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        per_op.append((time.perf_counter_ns() - start) / n)
    cpu = (time.process_time_ns() - cpu_start) / (n * BATCHES)
    return {
        "ns_per_op": statistics.median(per_op),
        "min_ns_per_op": min(per_op),
        "cpu_us_per_record": cpu / 1000,
        "iterations": n,
    }


def rule(name, kind, mode, typ, expr, tags=None) -> Rule:
    return Rule(name=name, doc=None, kind=kind, mode=mode, type=typ, tags=tags, params=None,
                expr=expr, on_success=None, on_failure=None, disabled=False)


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    out = open(sys.argv[2], "w")
    for executor in (CelExecutor, CelFieldExecutor, JsonataExecutor):
        executor.register()
    client = SchemaRegistryClient.new_client({"url": "mock://rules-bench"})
    frame = bytes.fromhex(spec["frame"])

    def register(case: str, tag_street: bool, rules: RuleSet | None, doc: str | None = None,
                 plain: bool = False):
        """The contract of `case` under `rules-<case>-value`; its id. `plain`: without the
        logical types, whose Python values (UUID, datetime, Decimal, bytes) this client's
        JSONata executor refuses ("Only JSON types … are allowed as input")."""
        refs = []
        for r in spec["references"]:
            text = r["schema"]
            if tag_street:
                parsed = json.loads(text)
                for f in parsed.get("fields", []):
                    if f["name"] == "street":
                        f["confluent:tags"] = ["PII"]
                text = json.dumps(parsed)
            subject = f"rules-{case}-{r['name']}"
            client.register_schema(subject, Schema(text, "AVRO"))
            refs.append(SchemaReference(r["name"], subject, 1))
        text = spec["schema"]
        if doc is not None or plain:
            parsed = json.loads(text)
            if doc is not None:
                parsed["doc"] = doc
            if plain:
                for f in parsed["fields"]:
                    if f["name"] in PLAIN:
                        f["type"] = PLAIN[f["name"]]
            text = json.dumps(parsed)
        return client.register_schema(
            f"rules-{case}-value", Schema(text, "AVRO", references=refs, rule_set=rules)
        )

    ids = {
        "none": register("none", False, None),
        "cel": register("cel", False, RuleSet(migration_rules=[], domain_rules=[
            rule("known_user", RuleKind.CONDITION, RuleMode.WRITEREAD, "CEL", CEL)])),
        "field": register("field", True, RuleSet(migration_rules=[], domain_rules=[
            rule("mask", RuleKind.TRANSFORM, RuleMode.WRITE, "CEL_FIELD", MASK, ["PII"])])),
        "migrate": register("migrate", False, None, plain=True),
    }
    register("migrate", False, RuleSet(domain_rules=[], migration_rules=[
        rule("rename", RuleKind.TRANSFORM, RuleMode.UPGRADE, "JSONATA", RENAME)]), doc="v2",
        plain=True)

    def ctx(case):
        return SerializationContext(f"rules-{case}", MessageField.VALUE)

    def with_id(case):
        return frame[:1] + ids[case].to_bytes(4, "big") + frame[5:]

    plain = AvroDeserializer(client)
    value = plain(with_id("none"), ctx("none"))

    def emit(case: str, op: str, fn, **extra) -> None:
        row = {"peer": "confluent-kafka-python " + CK_VERSION, "case": case, "op": op,
               **time_op(fn), **extra}
        print(json.dumps(row), flush=True)
        out.write(json.dumps(row) + "\n")

    for case in ("none", "cel", "field"):
        ser = AvroSerializer(client, conf={"auto.register.schemas": False,
                                           "use.latest.version": True})
        written = ser(value, ctx(case))
        extra = {}
        if case == "none":
            extra["same_bytes"] = written[5:] == frame[5:]
        emit(case, "encode", lambda s=ser, c=case: s(value, ctx(c)), **extra)
    for case in ("none", "cel"):
        de = AvroDeserializer(client)
        f = with_id(case)
        emit(case, "decode", lambda d=de, f=f, c=case: d(f, ctx(c)))
    # The same value in the plain types, written as v1 of the migration case.
    as_plain = dict(value, event_id=str(value["event_id"]), amount=str(value["amount"]),
                    occurred_at=int(value["occurred_at"].timestamp() * 1000))
    v1 = AvroSerializer(client, conf={"auto.register.schemas": False, "use.schema.id": ids["migrate"]})
    f = v1(as_plain, ctx("migrate"))
    migrate = AvroDeserializer(client, conf={"use.latest.version": True})
    migrated = migrate(f, ctx("migrate"))
    emit("migrate", "decode", lambda: migrate(f, ctx("migrate")),
         same_value=migrated["user_id"] == value["user_id"])
    out.close()


if __name__ == "__main__":
    main()
