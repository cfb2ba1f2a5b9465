//! Data contracts (issue 27, item 1) over real HTTP: a schema's `metadata` and `ruleSet` are
//! kept and served wherever Confluent serves them (`/subjects/{s}/versions/{v}`,
//! `/schemas/ids/{id}`, lookup, the register answer when the registry filled them in), they
//! make a version's (and an id's) identity as Confluent's MD5 of a schema does, a register
//! without them carries the latest version's forward, a config's default and override
//! metadata and rule sets merge into what is registered, `GET /subjects/{s}/metadata` finds
//! the latest version by metadata, `compatibilityGroup` limits compatibility to versions of
//! the same group, a malformed rule set is refused (42210) as Confluent refuses it (and, ours
//! only, one whose CEL or JSONata expression does not compile, unless told not to); all of it
//! kept through the file log (restart), the Kafka `_schemas` store (records byte for byte as
//! Confluent writes them, read back by a second instance and served by a follower), and read
//! back identical by Confluent's own Python `SchemaRegistryClient`.

use crate::common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::http::Http;

use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};

async fn start(config: ServerConfig) -> (EmbeddedRegistry, Http) {
    let server = EmbeddedRegistry::start(
        config.listen("127.0.0.1:0".parse().expect("addr")),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry");
    let http = Http::new(server.url());
    (server, http)
}

const V1: &str = r#"{"type":"record","name":"Person","fields":[{"name":"ssn","type":"string"}]}"#;
const V2: &str = r#"{"type":"record","name":"Person","fields":[{"name":"ssn","type":"string"},{"name":"age","type":"int","default":0}]}"#;
/// Not backward compatible with V1 (a new field without a default).
const V3_BREAKING: &str = r#"{"type":"record","name":"Person","fields":[{"name":"ssn","type":"string"},{"name":"email","type":"string"}]}"#;

fn metadata() -> Value {
    json!({"tags": {"Person.ssn": ["PII"]}, "properties": {"owner": "team-a", "application.major.version": "1"}, "sensitive": ["ssn"]})
}

fn rule_set() -> Value {
    json!({"domainRules": [{"name": "checkSsnLen", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "size(message.ssn) == 9", "params": {"b": "2", "a": "1"}, "onFailure": "DLQ", "tags": ["PII"], "disabled": false}],
           "migrationRules": [{"name": "upgrade", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA", "expr": "$"}]})
}

/// `rule_set()` as Confluent answers it: every rule with `kind`, `mode` and `disabled`, maps
/// sorted.
fn rule_set_answered() -> Value {
    json!({"domainRules": [{"name": "checkSsnLen", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "size(message.ssn) == 9", "params": {"a": "1", "b": "2"}, "onFailure": "DLQ", "tags": ["PII"], "disabled": false}],
           "migrationRules": [{"name": "upgrade", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA", "expr": "$", "disabled": false}]})
}

fn with_contract(schema: &str, metadata: Option<Value>, rule_set: Option<Value>) -> Value {
    let mut v = json!({"schema": schema});
    if let Some(m) = metadata {
        v["metadata"] = m;
    }
    if let Some(r) = rule_set {
        v["ruleSet"] = r;
    }
    v
}

/// Register `body` under `subject`: its id.
async fn register(http: &Http, subject: &str, body: Value) -> (u16, Value) {
    http.post(&format!("/subjects/{subject}/versions"), body)
        .await
}

#[tokio::test]
async fn metadata_and_rule_set_are_kept_and_served_wherever_confluent_serves_them() {
    let (server, http) = start(ServerConfig::default()).await;
    let body = with_contract(V1, Some(metadata()), Some(rule_set()));
    let (status, r) = register(&http, "p-value", body.clone()).await;
    assert_eq!(status, 200, "{r}");
    let id = r["id"].as_i64().expect("id");

    let (status, latest) = http.get("/subjects/p-value/versions/latest").await;
    assert_eq!(status, 200, "{latest}");
    assert_eq!(latest["metadata"], metadata());
    assert_eq!(latest["ruleSet"], rule_set_answered());
    assert_eq!(latest["version"], 1);
    let (_, by_number) = http.get("/subjects/p-value/versions/1").await;
    assert_eq!(by_number, latest);

    let (status, by_id) = http.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, 200, "{by_id}");
    assert_eq!(by_id["metadata"], metadata());
    assert_eq!(by_id["ruleSet"], rule_set_answered());
    let guid = by_id["guid"].as_str().expect("guid").to_string();
    let (_, by_guid) = http.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(by_guid["metadata"], metadata());

    // Lookup: the schema with its metadata and rules finds the version; without them it does
    // not (Confluent's MD5 of a schema covers them).
    let (status, found) = http.post("/subjects/p-value", body.clone()).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["version"], 1);
    assert_eq!(found["ruleSet"], rule_set_answered());
    let (status, missing) = http.post("/subjects/p-value", json!({"schema": V1})).await;
    assert_eq!(
        (status, &missing["error_code"]),
        (404, &json!(40403)),
        "{missing}"
    );

    // The same request again: the same version and id, answered with the id only (nothing
    // was filled in).
    let (status, again) = register(&http, "p-value", body).await;
    assert_eq!(status, 200);
    assert_eq!(again["id"].as_i64(), Some(id));
    assert_eq!(again.get("metadata"), None, "{again}");
    let (_, versions) = http.get("/subjects/p-value/versions").await;
    assert_eq!(versions, json!([1]));
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn version_identity_follows_metadata_and_rules_and_a_bare_register_carries_them_forward() {
    let (server, http) = start(ServerConfig::default()).await;
    let (_, first) = register(&http, "s", with_contract(V1, Some(metadata()), None)).await;
    let first_id = first["id"].clone();

    // The same text without metadata: Confluent carries the latest version's forward — the
    // existing version, answered whole (the registry filled the metadata in).
    let (status, bare) = register(&http, "s", json!({"schema": V1})).await;
    assert_eq!(status, 200, "{bare}");
    assert_eq!(bare["id"], first_id);
    assert_eq!(bare["version"], 1);
    assert_eq!(bare["metadata"], metadata());
    assert_eq!(bare["schema"], V1);

    // The same text with other metadata: a new version, and a new id.
    let other = json!({"properties": {"owner": "team-b"}});
    let (status, second) = register(&http, "s", with_contract(V1, Some(other.clone()), None)).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["id"], first_id);
    let (_, latest) = http.get("/subjects/s/versions/latest").await;
    assert_eq!(
        (latest["version"].clone(), latest["metadata"].clone()),
        (json!(2), other.clone())
    );

    // A rule set too makes a new version; the metadata carried forward with it.
    let (status, third) = register(&http, "s", with_contract(V1, None, Some(rule_set()))).await;
    assert_eq!(status, 200, "{third}");
    assert_eq!(third["version"], 3);
    assert_eq!(third["metadata"], other);
    assert_eq!(third["ruleSet"], rule_set_answered());

    // The first metadata again: version 1 is still there, its id and version come back.
    let (_, back) = register(&http, "s", with_contract(V1, Some(metadata()), None)).await;
    assert_eq!(back["id"], first_id);
    let (_, versions) = http.get("/subjects/s/versions").await;
    assert_eq!(versions, json!([1, 2, 3]));

    // Another subject, the same schema, metadata and rules: the same id.
    let (_, elsewhere) = register(&http, "t", with_contract(V1, Some(metadata()), None)).await;
    assert_eq!(elsewhere["id"], first_id);
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn config_defaults_and_overrides_merge_into_registered_schemas() {
    let (server, http) = start(ServerConfig::default()).await;
    let default_rules = json!({"domainRules": [{"name": "fromDefault", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}]});
    let override_rules = json!({"domainRules": [{"name": "checkSsnLen", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL", "expr": "true"}]});
    let (status, put) = http
        .put(
            "/config/c-value",
            json!({
                "compatibilityGroup": "application.major.version",
                "defaultMetadata": {"properties": {"owner": "default-owner", "tier": "gold"}},
                "overrideMetadata": {"properties": {"owner": "override-owner"}},
                "defaultRuleSet": default_rules,
                "overrideRuleSet": override_rules,
            }),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["compatibilityGroup"], "application.major.version");
    // The level stays what it was; a later PUT of the level keeps the contract settings.
    let (status, _) = http
        .put("/config/c-value", json!({"compatibility": "FULL"}))
        .await;
    assert_eq!(status, 200);
    let (status, cfg) = http.get("/config/c-value").await;
    assert_eq!(status, 200, "{cfg}");
    assert_eq!(cfg["compatibilityLevel"], "FULL");
    assert_eq!(cfg["compatibilityGroup"], "application.major.version");
    assert_eq!(
        cfg["defaultMetadata"],
        json!({"properties": {"owner": "default-owner", "tier": "gold"}})
    );
    assert_eq!(
        cfg["overrideMetadata"],
        json!({"properties": {"owner": "override-owner"}})
    );
    assert_eq!(
        cfg["defaultRuleSet"]["domainRules"][0]["name"],
        "fromDefault"
    );
    assert_eq!(
        cfg["overrideRuleSet"]["domainRules"][0]["mode"],
        "WRITEREAD"
    );

    let (status, r) = register(
        &http,
        "c-value",
        with_contract(V1, Some(metadata()), Some(rule_set())),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    // Default below the schema's own, override above: owner from the override, tier from the
    // default, the rest the schema's. Rules: the default's, then the schema's with the
    // override's replacing the rule of its name.
    assert_eq!(r["metadata"]["properties"]["owner"], "override-owner");
    assert_eq!(r["metadata"]["properties"]["tier"], "gold");
    assert_eq!(
        r["metadata"]["properties"]["application.major.version"],
        "1"
    );
    assert_eq!(r["metadata"]["sensitive"], json!(["ssn"]));
    let names: Vec<(&str, &str)> = r["ruleSet"]["domainRules"]
        .as_array()
        .expect("domain rules")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or(""),
                r["mode"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("fromDefault", "WRITE"), ("checkSsnLen", "WRITEREAD")]
    );
    let (_, latest) = http.get("/subjects/c-value/versions/latest").await;
    assert_eq!(latest["metadata"], r["metadata"]);
    assert_eq!(latest["ruleSet"], r["ruleSet"]);

    // The global config's settings apply to subjects without their own.
    let (status, _) = http
        .put(
            "/config",
            json!({"defaultMetadata": {"properties": {"env": "prod"}}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, g) = register(&http, "g-value", json!({"schema": V1})).await;
    assert_eq!(g["metadata"], json!({"properties": {"env": "prod"}}), "{g}");
    let (_, global) = http.get("/config").await;
    assert_eq!(
        global["defaultMetadata"],
        json!({"properties": {"env": "prod"}})
    );

    // A malformed default rule set is refused as Confluent refuses it.
    let (status, bad) = http
        .put(
            "/config/c-value",
            json!({"defaultRuleSet": {"domainRules": [{"name": "x", "kind": "CONDITION", "mode": "UPGRADE", "type": "CEL"}]}}),
        )
        .await;
    assert_eq!((status, &bad["error_code"]), (422, &json!(42210)), "{bad}");
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn latest_with_metadata_finds_the_newest_version_whose_properties_match() {
    let (server, http) = start(ServerConfig::default()).await;
    let md = |major: &str, owner: &str| json!({"properties": {"application.major.version": major, "owner": owner}});
    register(&http, "m", with_contract(V1, Some(md("1", "a")), None)).await;
    register(&http, "m", with_contract(V2, Some(md("1", "b")), None)).await;
    register(&http, "m", with_contract(V1, Some(md("2", "b")), None)).await;

    let (status, r) = http
        .get("/subjects/m/metadata?key=application.major.version&value=1")
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["version"], 2);
    assert_eq!(r["schema"], V2);
    assert_eq!(r["metadata"], md("1", "b"));
    let (_, r) = http
        .get("/subjects/m/metadata?key=application.major.version&value=1&key=owner&value=a")
        .await;
    assert_eq!(r["version"], 1);
    let (_, r) = http.get("/subjects/m/metadata?key=owner&value=b").await;
    assert_eq!(r["version"], 3);

    let (status, none) = http.get("/subjects/m/metadata?key=owner&value=c").await;
    assert_eq!(
        (status, &none["error_code"]),
        (404, &json!(40403)),
        "{none}"
    );
    let (status, none) = http
        .get("/subjects/nothing/metadata?key=owner&value=a")
        .await;
    assert_eq!(
        (status, &none["error_code"]),
        (404, &json!(40401)),
        "{none}"
    );

    // A soft-deleted version is found only with deleted=true.
    let (status, _) = http.delete("/subjects/m/versions/1").await;
    assert_eq!(status, 200);
    let (status, _) = http.get("/subjects/m/metadata?key=owner&value=a").await;
    assert_eq!(status, 404);
    let (status, r) = http
        .get("/subjects/m/metadata?key=owner&value=a&deleted=true")
        .await;
    assert_eq!((status, r["version"].clone()), (200, json!(1)));
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn compatibility_group_compares_only_versions_of_the_same_group() {
    let (server, http) = start(ServerConfig::default()).await;
    http.put(
        "/config/grp",
        json!({"compatibility": "BACKWARD", "compatibilityGroup": "application.major.version"}),
    )
    .await;
    let major = |v: &str| json!({"properties": {"application.major.version": v}});
    let (status, _) = register(&http, "grp", with_contract(V1, Some(major("1")), None)).await;
    assert_eq!(status, 200);
    // A breaking change in a new major version: no earlier version of its group, accepted.
    let (status, r) = register(
        &http,
        "grp",
        with_contract(V3_BREAKING, Some(major("2")), None),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    // The same breaking change in major 1 is checked against version 1: refused.
    let (status, r) = register(
        &http,
        "grp",
        with_contract(V3_BREAKING, Some(major("1")), None),
    )
    .await;
    assert_eq!((status, &r["error_code"]), (409, &json!(409)), "{r}");
    // The compatibility endpoint applies the group of the request's metadata.
    let check = |m: Value| with_contract(V3_BREAKING, Some(m), None);
    let (_, c) = http
        .post("/compatibility/subjects/grp/versions", check(major("1")))
        .await;
    assert_eq!(c["is_compatible"], false, "{c}");
    let (_, c) = http
        .post("/compatibility/subjects/grp/versions", check(major("3")))
        .await;
    assert_eq!(c["is_compatible"], true, "{c}");
    let (_, c) = http
        .post(
            "/compatibility/subjects/grp/versions/latest",
            check(major("2")),
        )
        .await;
    assert_eq!(c["is_compatible"], true, "{c}");

    // Without a group the same change is refused against the latest version.
    let (status, r) = register(&http, "nogrp", with_contract(V1, Some(major("1")), None)).await;
    assert_eq!(status, 200, "{r}");
    let (status, _) = register(
        &http,
        "nogrp",
        with_contract(V3_BREAKING, Some(major("2")), None),
    )
    .await;
    assert_eq!(status, 409);
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn rule_sets_whose_expressions_do_not_compile_are_refused_unless_told_not_to() {
    let rules = |kind_type: &str, expr: &str| {
        let (phase, mode) = match kind_type {
            "JSONATA" => ("migrationRules", "UPGRADE"),
            _ => ("domainRules", "WRITE"),
        };
        json!({phase: [{"name": "bad", "kind": "TRANSFORM", "mode": mode, "type": kind_type, "expr": expr}]})
    };
    let (server, http) = start(ServerConfig::default()).await;
    for (t, expr) in [
        ("CEL", "message.ssn =="),
        ("CEL_FIELD", "value +"),
        ("JSONATA", "$merge(["),
    ] {
        let (status, r) =
            register(&http, "expr", with_contract(V1, None, Some(rules(t, expr)))).await;
        assert_eq!((status, &r["error_code"]), (422, &json!(42210)), "{t}: {r}");
        let message = r["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("\"bad\"") && message.contains(expr),
            "{t}: {message}"
        );
        // A config's default rule set too.
        let (status, r) = http
            .put("/config/expr", json!({"defaultRuleSet": rules(t, expr)}))
            .await;
        assert_eq!((status, &r["error_code"]), (422, &json!(42210)), "{t}: {r}");
    }
    let (status, _) = http.get("/subjects/expr/versions").await;
    assert_eq!(status, 404, "nothing was registered");
    // Expressions that compile, and a rule type this registry has no executor for, pass.
    let mut fine = rules("CEL", "size(message.ssn) == 9");
    fine["encodingRules"] = json!([{"name": "enc", "kind": "TRANSFORM", "mode": "WRITE", "type": "ENCRYPT", "expr": "??"}]);
    let (status, r) = register(&http, "expr", with_contract(V1, None, Some(fine))).await;
    assert_eq!(status, 200, "{r}");
    server.stop().await.expect("stop");

    // Told not to (as Confluent's registry, which does not compile them): accepted.
    let (server, http) = start(ServerConfig::default().check_rule_expressions(false)).await;
    let (status, r) = register(
        &http,
        "expr",
        with_contract(V1, None, Some(rules("CEL", "message.ssn =="))),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn malformed_rule_sets_are_refused_as_confluent_refuses_them() {
    let (server, http) = start(ServerConfig::default()).await;
    let rule = |extra: Value| {
        let mut r = json!({"name": "r1", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"});
        for (k, v) in extra.as_object().expect("object") {
            if v.is_null() {
                r.as_object_mut().expect("rule").remove(k);
            } else {
                r[k] = v.clone();
            }
        }
        r
    };
    let cases = [
        (
            json!({"domainRules": [rule(json!({"mode": "UPGRADE"}))]}),
            "Domain rules can only be WRITE, READ, WRITEREAD",
        ),
        (
            json!({"migrationRules": [rule(json!({}))]}),
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
        ),
        (
            json!({"domainRules": [rule(json!({"type": null}))]}),
            "Missing rule type",
        ),
        (
            json!({"domainRules": [rule(json!({"name": null}))]}),
            "Missing rule name",
        ),
        (
            json!({"domainRules": [rule(json!({"name": "9lives"}))]}),
            "Illegal initial character in rule name: 9lives",
        ),
        (
            json!({"domainRules": [rule(json!({})), rule(json!({"mode": "READ"}))]}),
            "Found rule with duplicate name 'r1'",
        ),
        (
            json!({"domainRules": [rule(json!({"onFailure": "DLQ,NONE"}))]}),
            "Multiple actions only valid with WRITEREAD and UPDOWN",
        ),
    ];
    for (rules, message) in cases {
        let (status, r) =
            register(&http, "bad", with_contract(V1, None, Some(rules.clone()))).await;
        assert_eq!(
            (status, r["error_code"].clone(), r["message"].clone()),
            (422, json!(42210), json!(message)),
            "{rules}"
        );
    }
    // A kind or mode outside Confluent's enums does not map: HTTP 422 (Jackson's mapping error).
    for bad in [json!({"kind": "CHECK"}), json!({"mode": "SOMETIMES"})] {
        let rules = json!({"domainRules": [rule(bad.clone())]});
        let (status, r) = register(&http, "bad", with_contract(V1, None, Some(rules))).await;
        assert_eq!(
            (status, r["error_code"].clone()),
            (422, json!(422)),
            "{bad}: {r}"
        );
    }
    let (status, _) = http.get("/subjects/bad/versions").await;
    assert_eq!(status, 404, "nothing was registered");
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn contracts_survive_a_restart_on_the_file_log() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, http) = start(ServerConfig::default().data_dir(dir.path())).await;
    http.put(
        "/config/f",
        json!({"compatibilityGroup": "major", "overrideMetadata": {"properties": {"x": "y"}}}),
    )
    .await;
    let (status, r) = register(
        &http,
        "f",
        with_contract(V1, Some(metadata()), Some(rule_set())),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let (_, before) = http.get("/subjects/f/versions/latest").await;
    let (_, cfg_before) = http.get("/config/f").await;
    server.stop().await.expect("stop");

    let (server, http) = start(ServerConfig::default().data_dir(dir.path())).await;
    let (_, after) = http.get("/subjects/f/versions/latest").await;
    assert_eq!(after, before);
    assert_eq!(after["ruleSet"], rule_set_answered());
    assert_eq!(after["metadata"]["properties"]["x"], "y");
    let (_, cfg_after) = http.get("/config/f").await;
    assert_eq!(cfg_after, cfg_before);
    assert_eq!(cfg_after["compatibilityGroup"], "major");
    server.stop().await.expect("stop");
}

/// Every committed record of `topic` (key and value as text), in order.
fn topic_records(topic: &str) -> Vec<(String, Option<String>)> {
    use rdkafka::config::ClientConfig as KafkaConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::error::KafkaError;
    use rdkafka::message::Message;
    use rdkafka::{Offset, TopicPartitionList};

    let consumer: BaseConsumer = KafkaConfig::new()
        .set("bootstrap.servers", &common::broker::broker().bootstrap)
        .set("group.id", format!("records-{topic}"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the topic's end within 30 s"
        );
        match consumer.poll(Duration::from_millis(500)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(_))) => return out,
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            Some(Ok(m)) => out.push((
                String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                m.payload().map(|p| String::from_utf8_lossy(p).into_owned()),
            )),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contracts_round_trip_through_the_kafka_store_in_confluents_bytes() {
    let topic = common::broker::rand_topic("schemas-contracts");
    let start_on_topic = || {
        let mut store = KafkaStoreConfig::new(common::broker::broker().bootstrap.clone());
        store.topic = topic.clone();
        store.timeout = Duration::from_secs(20);
        store.leader.group_id = format!("sr-{topic}");
        start(ServerConfig::default().kafka_store(store))
    };
    let (a, http_a) = start_on_topic().await;
    let (status, _) = http_a
        .put("/config/k-value", json!({"compatibilityGroup": "major", "defaultMetadata": {"properties": {"tier": "gold"}}}))
        .await;
    assert_eq!(status, 200);
    let (status, r) = register(
        &http_a,
        "k-value",
        with_contract(
            V1,
            Some(json!({"properties": {"owner": "team-a"}, "sensitive": ["ssn"]})),
            Some(rule_set()),
        ),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let id = r["id"].as_i64().expect("id");

    // The records as Confluent's KafkaSchemaRegistry writes them (SchemaValue and ConfigValue
    // through Jackson: creator order, NON_EMPTY, sorted maps, `disabled` always written).
    let records = topic_records(&topic);
    let config = records
        .iter()
        .find(|(k, _)| k == r#"{"keytype":"CONFIG","subject":"k-value","magic":0}"#)
        .and_then(|(_, v)| v.clone());
    assert_eq!(
        config.as_deref(),
        Some(
            r#"{"subject":"k-value","compatibilityGroup":"major","defaultMetadata":{"properties":{"tier":"gold"}}}"#
        )
    );
    let schema = records
        .iter()
        .find(|(k, _)| k == r#"{"keytype":"SCHEMA","subject":"k-value","version":1,"magic":1}"#)
        .and_then(|(_, v)| v.clone());
    let want = format!(
        r#"{{"subject":"k-value","version":1,"id":{id},"metadata":{{"properties":{{"owner":"team-a","tier":"gold"}},"sensitive":["ssn"]}},"ruleSet":{{"migrationRules":[{{"name":"upgrade","kind":"TRANSFORM","mode":"UPGRADE","type":"JSONATA","expr":"$","disabled":false}}],"domainRules":[{{"name":"checkSsnLen","kind":"CONDITION","mode":"WRITE","type":"CEL","tags":["PII"],"params":{{"a":"1","b":"2"}},"expr":"size(message.ssn) == 9","onFailure":"DLQ","disabled":false}}]}},"schema":{},"deleted":false}}"#,
        serde_json::to_string(V1).expect("json string")
    );
    assert_eq!(schema.as_deref(), Some(want.as_str()));

    // A second instance on the topic (a follower of the first) serves the same, and a write
    // through it is forwarded and kept.
    let (b, http_b) = start_on_topic().await;
    let (_, on_a) = http_a.get("/subjects/k-value/versions/latest").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let on_b = loop {
        let (status, v) = http_b.get("/subjects/k-value/versions/latest").await;
        if status == 200 {
            break v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "b serves the subject: {v}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(on_b, on_a);
    assert_eq!(on_b["metadata"]["properties"]["tier"], "gold");
    let (_, cfg_b) = http_b.get("/config/k-value").await;
    assert_eq!(cfg_b["compatibilityGroup"], "major");
    let (_, by_id) = http_b.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(by_id["ruleSet"], rule_set_answered());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let second = loop {
        let (status, v) = register(
            &http_b,
            "k-value",
            with_contract(V2, Some(json!({"properties": {"owner": "team-b"}})), None),
        )
        .await;
        if status == 200 {
            break v;
        }
        // Until b knows the leader, a write may be answered 50004 (unknown leader).
        assert!(std::time::Instant::now() < deadline, "write through b: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(second["version"], 2, "{second}");
    let (_, latest_a) = http_a.get("/subjects/k-value/versions/latest").await;
    assert_eq!(
        latest_a["metadata"],
        json!({"properties": {"owner": "team-b", "tier": "gold"}})
    );
    // The rule set carried forward from version 1.
    assert_eq!(latest_a["ruleSet"], rule_set_answered());
    b.stop().await.expect("stop b");
    a.stop().await.expect("stop a");
}

#[tokio::test(flavor = "multi_thread")]
async fn confluents_python_client_reads_back_what_it_registered() {
    let (server, _http) = start(ServerConfig::default()).await;
    let py = common::python::python();
    let url = server.url().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/python/data_contracts.py"
            ))
            .env("REGISTRY_URL", url)
            .output()
            .expect("run the Python data-contract script")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "Python checks failed:\n{stdout}");
    assert!(stdout.contains("5 passed, 0 failed"), "{stdout}");
    server.stop().await.expect("stop");
}
