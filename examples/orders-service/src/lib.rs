//! A service crate using schemaflow on its own schemas: the README's "Use it in your crate",
//! built and run by the test command. `build.rs` generates the types; this file includes them.
#![deny(warnings, missing_docs)]

use schemaflow::producer::{Record, TypedProducer};

/// The types generated from `schemas/`, `proto/` and `json/` by `schemaflow-build` in `build.rs`.
pub mod schemas {
    schemaflow::include_schemas!();
}

use schemas::avro::customer::Customer;
use schemas::avro::order::{Line, Order, Status};
use schemas::json::invoice::{Invoice, InvoiceCurrency, Line as InvoiceLine};
use schemas::json::party::Party;
use schemas::proto::shop::v1::{Destination, Shipment};

/// The `i`-th sample order: a cross-file reference (`Customer`), a decimal, an enum, an array
/// of nested records.
pub fn order(i: u32) -> Order {
    Order {
        order_id: schemaflow::Uuid::from_u128(u128::from(i) + 1),
        customer: Customer {
            id: format!("c-{i}"),
            email: i.is_multiple_of(2).then(|| format!("c{i}@example.com")),
        },
        total: schemaflow::Decimal::from_unscaled(i64::from(i) * 100 + 99),
        placed_at: 1_700_000_000_000 + i64::from(i),
        status: Status::Paid,
        lines: vec![Line {
            sku: format!("sku-{i}"),
            quantity: 1 + i as i32 % 3,
        }],
    }
}

/// The shipment of [`order`]`(i)`: an imported message and `google.protobuf.Timestamp`.
pub fn shipment(i: u32) -> Shipment {
    Shipment {
        order_id: order(i).order_id.to_string(),
        destination: Some(Destination {
            country: "DE".into(),
            postal_code: format!("{:05}", 10_000 + i),
        }),
        shipped_at: Some(schemaflow::prost_types::Timestamp {
            seconds: 1_700_000_000 + i64::from(i),
            nanos: 0,
        }),
        parcels: vec![format!("p-{i}")],
    }
}

/// The invoice of [`order`]`(i)` (JSON Schema): a cross-file `$ref` (`Party`, from
/// `party.json`), an in-document one (`Line`), an enum, a nullable and an optional property.
pub fn invoice(i: u32) -> Invoice {
    let o = order(i);
    Invoice {
        invoice_id: format!("inv-{i}"),
        order_id: o.order_id.to_string(),
        bill_to: Party {
            name: format!("Customer {i}"),
            vat_id: i.is_multiple_of(3).then(|| format!("DE{:09}", i)),
            country: "DE".into(),
        },
        total_cents: i64::from(i) * 100 + 99,
        currency: InvoiceCurrency::Eur,
        lines: vec![InvoiceLine {
            sku: format!("sku-{i}"),
            cents: i64::from(i) * 100 + 99,
        }],
        note: i.is_multiple_of(2).then(|| "paid by card".to_string()),
    }
}

/// Send `count` orders (Avro, subject `<orders>-value`), their shipments (Protobuf,
/// `<shipments>-value`) and their invoices (JSON Schema, `<invoices>-value`), keyed by order
/// id; the schemas are registered on first use (`invoice.json` with its reference to
/// `party.json`).
pub async fn publish(
    producer: &TypedProducer,
    orders: &str,
    shipments: &str,
    invoices: &str,
    count: u32,
) -> schemaflow::Result<()> {
    for i in 0..count {
        let o = order(i);
        let key = o.order_id.to_string();
        producer
            .send(Record::to(orders).key(key.as_bytes()).value(&o))
            .await?;
        let s = shipment(i);
        producer
            .send(Record::to(shipments).key(key.as_bytes()).value(&s))
            .await?;
        let inv = invoice(i);
        producer
            .send(Record::to(invoices).key(key.as_bytes()).value(&inv))
            .await?;
    }
    Ok(())
}
