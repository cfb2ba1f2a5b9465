//! `SCHEMA_REGISTRY_URL=URL orders-service BROKERS [COUNT] [TOPIC_PREFIX]`: sends COUNT orders
//! (Avro), shipments (Protobuf) and invoices (JSON Schema) through the schema registry at URL,
//! then reads the orders back as v2 (`schemas/v2/order.avsc`, resolved from the v1 data) and
//! the shipments and invoices as they were sent, checks every value, and prints one line per
//! topic. Exit 1 on a mismatch.

use std::time::Duration;

use orders_service::schemas::avro::v2::order::Order as OrderV2;
use orders_service::schemas::json::invoice::Invoice;
use orders_service::schemas::proto::shop::v1::Shipment;
use orders_service::{invoice, order, publish, shipment};
use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, TypedProducer};
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let brokers = args
        .next()
        .ok_or("usage: orders-service BROKERS [COUNT] [TOPIC_PREFIX]")?;
    let count: u32 = args.next().as_deref().unwrap_or("100").parse()?;
    let prefix = args.next().unwrap_or_default();
    let (orders, shipments, invoices) = (
        format!("{prefix}orders"),
        format!("{prefix}shipments"),
        format!("{prefix}invoices"),
    );

    // A service is given its registry; its integration test starts an embedded one
    // (`schemaflow-registry`, a dev-dependency: nothing of the server is in this binary).
    let url = std::env::var("SCHEMA_REGISTRY_URL")
        .map_err(|_| "SCHEMA_REGISTRY_URL is not set (the schema registry's URL)")?;
    let registry = CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(&url))?,
        CacheConfig::default(),
    );
    for topic in [&orders, &shipments, &invoices] {
        schemaflow::admin::create_topic(&brokers, topic, 3).await?;
    }

    let producer = TypedProducer::new(ProducerConfig::new(&brokers), registry.clone())?;
    publish(&producer, &orders, &shipments, &invoices, count).await?;

    // Orders written with v1, read as v2: `coupon` takes its default.
    let group = format!("{prefix}orders-service");
    let shipments_group = format!("{prefix}shipments-reader");
    let mut seen_orders = 0u32;
    let mut bad = Vec::new();
    let consumer = TypedConsumer::<OrderV2>::new(
        consumer_config(&brokers, &group, &orders),
        registry.clone(),
    )?;
    consumer
        .run(
            |m: Message<OrderV2>| {
                let ok = m.value.as_ref().is_some_and(|v| {
                    let i = (v.placed_at - 1_700_000_000_000) as u32;
                    let sent = order(i);
                    v.order_id == sent.order_id
                        && v.customer.id == sent.customer.id
                        && v.customer.email == sent.customer.email
                        && v.total.to_string() == sent.total.to_string()
                        && v.lines.len() == 1
                        && v.coupon.is_none()
                });
                seen_orders += 1;
                if !ok {
                    bad.push(format!("order at {}@{}", m.partition, m.offset));
                }
                async { Ok::<(), HandlerError>(()) }
            },
            std::future::pending::<()>(),
        )
        .await?;

    let mut seen_shipments = 0u32;
    let consumer = TypedConsumer::<Shipment>::new(
        consumer_config(&brokers, &shipments_group, &shipments),
        registry.clone(),
    )?;
    consumer
        .run(
            |m: Message<Shipment>| {
                let ok = m.value.as_ref().is_some_and(|v| {
                    let i = v
                        .shipped_at
                        .as_ref()
                        .map_or(u32::MAX, |t| (t.seconds - 1_700_000_000) as u32);
                    *v == shipment(i)
                });
                seen_shipments += 1;
                if !ok {
                    bad.push(format!("shipment at {}@{}", m.partition, m.offset));
                }
                async { Ok::<(), HandlerError>(()) }
            },
            std::future::pending::<()>(),
        )
        .await?;

    // Invoices: validated against invoice.json (and party.json) on both sides.
    let mut seen_invoices = 0u32;
    let consumer = TypedConsumer::<Invoice>::new(
        consumer_config(&brokers, &format!("{prefix}invoices-reader"), &invoices),
        registry,
    )?;
    consumer
        .run(
            |m: Message<Invoice>| {
                let ok = m.value.as_ref().is_some_and(|v| {
                    let i = v
                        .invoice_id
                        .strip_prefix("inv-")
                        .and_then(|n| n.parse::<u32>().ok())
                        .unwrap_or(u32::MAX);
                    *v == invoice(i)
                });
                seen_invoices += 1;
                if !ok {
                    bad.push(format!("invoice at {}@{}", m.partition, m.offset));
                }
                async { Ok::<(), HandlerError>(()) }
            },
            std::future::pending::<()>(),
        )
        .await?;

    println!("{orders}: sent {count} orders (v1), read {seen_orders} as v2");
    println!("{shipments}: sent {count} shipments, read {seen_shipments}");
    println!("{invoices}: sent {count} invoices (JSON Schema), read {seen_invoices}");
    if !bad.is_empty() || seen_orders != count || seen_shipments != count || seen_invoices != count
    {
        eprintln!("mismatch: {bad:?}");
        std::process::exit(1);
    }
    Ok(())
}

/// From the beginning, stopping once nothing arrives for 10 s (the group join included).
fn consumer_config(brokers: &str, group: &str, topic: &str) -> ConsumerConfig {
    let mut config = ConsumerConfig::new(brokers, group, &[topic]);
    config.idle_timeout = Some(Duration::from_secs(10));
    config
}
