//! The typed producer's JSON Schema validation checks a value against the schema it is written
//! with, as Python's `JSONSerializer` does: with `use.latest.version`
//! ([`SchemaIdSource::UseLatest`]) that is the subject's latest registered schema, not the
//! generated type's own.
use crate::common;

use common::broker::{broker, create_topic, rand_topic};
use common::samples::json::address::Address;
use common::samples::json::user_event::{Device, UserEvent, UserEventAction};
use schemaflow::producer::{ProducerConfig, Record, SchemaIdSource, TypedProducer};
use schemaflow::registry::{Schema, SchemaReference};
use schemaflow::{Error, SchemaError, SchemaType};

fn event(user_id: &str, amount: &str) -> UserEvent {
    UserEvent {
        event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".into(),
        user_id: user_id.into(),
        action: UserEventAction::Purchase,
        occurred_at: "2023-11-14T22:13:20.123Z".into(),
        amount: amount.into(),
        session_id: None,
        device: Device {
            platform: "ios".into(),
            app_version: None,
        },
        shipping_address: Some(Address {
            street: "1 Main St".into(),
            city: "Springfield".into(),
            country_code: "US".into(),
        }),
        tags: Vec::new(),
        attributes: Default::default(),
    }
}

/// The violation's (pointer, keyword), or a panic naming what came instead.
fn violation<T: std::fmt::Debug>(r: Result<T, Error>) -> (String, String) {
    match r {
        Err(Error::Schema(SchemaError::InvalidJsonValue { source, .. })) => {
            (source.pointer, source.keyword)
        }
        other => panic!("expected InvalidJsonValue, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn use_latest_validates_against_the_latest_registered_schema() {
    let (_server, registry) = common::services::registry().await;
    let topic = rand_topic("t-json-latest");
    create_topic(&broker().bootstrap, &topic, 1).await;

    // The latest version differs from the type's own schema both ways: `user_id` at most 3
    // characters (stricter), `amount` without its two-decimals pattern (looser).
    let own = include_str!("../../schemas/json/user_event.json");
    let mut latest: serde_json::Value = serde_json::from_str(own).expect("sample schema");
    latest["properties"]["user_id"]["maxLength"] = 3.into();
    latest["properties"]["amount"]
        .as_object_mut()
        .expect("amount")
        .remove("pattern");
    let client = registry.client();
    let address = Schema {
        schema: include_str!("../../schemas/json/address.json").into(),
        schema_type: SchemaType::Json,
        references: Vec::new(),
    };
    client
        .register("address.json", &address, false)
        .await
        .expect("register address.json");
    let latest = Schema {
        schema: latest.to_string(),
        schema_type: SchemaType::Json,
        references: vec![SchemaReference {
            name: "address.json".into(),
            subject: "address.json".into(),
            version: 1,
        }],
    };
    let (latest_id, _) = client
        .register(&format!("{topic}-value"), &latest, false)
        .await
        .expect("register the latest version");

    let producer = TypedProducer::new(
        ProducerConfig::new(&broker().bootstrap).schema_ids(SchemaIdSource::UseLatest),
        registry.clone(),
    )
    .expect("producer");
    // Valid under the type's own schema, refused by the latest one.
    let r = producer
        .enqueue(Record::to(&topic).value(&event("user-42", "12.34")))
        .await;
    assert_eq!(
        violation(r),
        ("/user_id".to_string(), "maxLength".to_string())
    );
    // Refused by the type's own schema, valid under the latest one: written under its id.
    let delivery = producer
        .send(Record::to(&topic).value(&event("u42", "12.3")))
        .await
        .expect("valid under the latest schema");
    assert_eq!(delivery.schema_id, Some(latest_id));

    // Auto-registering, the type's own schema is the one written with, and checked.
    let own_producer =
        TypedProducer::new(ProducerConfig::new(&broker().bootstrap), registry.clone())
            .expect("producer");
    let own_topic = rand_topic("t-json-own");
    create_topic(&broker().bootstrap, &own_topic, 1).await;
    let r = own_producer
        .enqueue(Record::to(&own_topic).value(&event("u42", "12.3")))
        .await;
    assert_eq!(violation(r), ("/amount".to_string(), "pattern".to_string()));
}
