#!/usr/bin/env python3
"""Data contracts through Confluent's own Python SchemaRegistryClient (confluent-kafka, pinned
in scripts/requirements.txt): a schema registered with metadata and a rule set reads back
identical by version, by id, by lookup and by metadata.

Run by tests/registry/data_contracts.rs against a registry it started. Environment:
  REGISTRY_URL   the registry under test
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
"""

from __future__ import annotations

import os
import sys
import traceback

from confluent_kafka.schema_registry import (
    Metadata,
    MetadataProperties,
    Rule,
    RuleKind,
    RuleMode,
    RuleParams,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.error import SchemaRegistryError

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


client = SchemaRegistryClient({"url": URL})
TEXT = '{"type":"record","name":"Person","fields":[{"name":"ssn","type":"string"}]}'
# As the registry answers them: sets and maps sorted, every rule with kind, mode and disabled.
# No tags: this client's Metadata cannot be hashed with them (its MetadataTags hashes lists),
# and register_schema hashes the schema for its cache.
METADATA = Metadata(
    tags=None,
    properties=MetadataProperties({"application.major.version": "1", "owner": "team-a"}),
    sensitive=["ssn"],
)
RULES = RuleSet(
    migration_rules=[],
    domain_rules=[
        Rule(
            name="checkSsnLen",
            doc=None,
            kind=RuleKind.CONDITION,
            mode=RuleMode.WRITE,
            type="CEL",
            tags=["PII"],
            params=RuleParams({"a": "1"}),
            expr="size(message.ssn) == 9",
            on_success=None,
            on_failure="DLQ",
            disabled=False,
        )
    ],
)
SCHEMA = Schema(TEXT, "AVRO", metadata=METADATA, rule_set=RULES)
ids: dict[str, int] = {}


def same(got: Schema) -> None:
    assert got.metadata.to_dict() == METADATA.to_dict(), (got.metadata.to_dict(), METADATA.to_dict())
    rules = [r.to_dict() for r in got.rule_set.domain_rules]
    assert rules == [r.to_dict() for r in RULES.domain_rules], rules
    assert not got.rule_set.migration_rules and not got.rule_set.encoding_rules
    assert got.schema_str == TEXT


@check("register_schema with metadata and a rule set; get_latest_version reads them back")
def _register():
    ids["v1"] = client.register_schema("dc-value", SCHEMA)
    latest = client.get_latest_version("dc-value")
    assert latest.schema_id == ids["v1"] and latest.version == 1
    same(latest.schema)


@check("get_schema by id (a fresh client, no cache) has them too")
def _by_id():
    fresh = SchemaRegistryClient({"url": URL})
    same(fresh.get_schema(ids["v1"]))


@check("lookup_schema and register again: the same version and id")
def _lookup():
    found = client.lookup_schema("dc-value", SCHEMA)
    assert found.version == 1 and found.schema_id == ids["v1"]
    same(found.schema)
    fresh = SchemaRegistryClient({"url": URL})
    assert fresh.register_schema("dc-value", SCHEMA) == ids["v1"]


@check("get_latest_with_metadata finds the version by a property")
def _latest_with_metadata():
    other = Schema(TEXT, "AVRO", metadata=Metadata(None, MetadataProperties({"application.major.version": "2"}), None))
    client.register_schema("dc-value", other)
    got = client.get_latest_with_metadata("dc-value", {"application.major.version": "1"})
    assert got.version == 1, got.version
    same(got.schema)
    got = client.get_latest_with_metadata("dc-value", {"application.major.version": "2"})
    assert got.version == 2, got.version


@check("a malformed rule set: SchemaRegistryError 42210")
def _malformed():
    bad = RuleSet(migration_rules=[Rule("r", None, RuleKind.TRANSFORM, RuleMode.WRITE, "CEL", None, None, "true", None, None, False)], domain_rules=[])
    try:
        client.register_schema("dc-bad", Schema(TEXT, "AVRO", rule_set=bad))
    except SchemaRegistryError as e:
        assert e.error_code == 42210, (e.error_code, e.error_message)
        return
    raise AssertionError("expected 42210")


passed = sum(1 for _, ok in results if ok)
failed = len(results) - passed
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
