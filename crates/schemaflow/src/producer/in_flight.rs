//! The in-flight window: at most `max_in_flight` records between `enqueue` and their delivery
//! report.
//!
//! Each record takes a place in the producer's window (an atomic count) before it is handed to
//! librdkafka, and carries a [`DeliverySlot`] as its delivery opaque. librdkafka's delivery
//! callback ([`DeliveryReports::delivery`], on the producer's polling thread) gives the place
//! back the moment the broker answers (or the record fails) and writes the report into the slot,
//! whether or not the caller has polled its [`PendingDelivery`] yet: "enqueue everything, then
//! await all" never waits on itself.

use std::sync::Arc;

use rdkafka::message::Message as _;
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::ClientContext;

use super::window::Window;
use super::Delivery;
use crate::error::kafka_error;

pub use super::delivery::{DeliverySlot, PendingDelivery};

/// The librdkafka context of a [`super::TypedProducer`]: holds its in-flight window, answers
/// each record's [`PendingDelivery`] and frees its place in the window.
#[derive(Debug)]
pub struct DeliveryReports {
    window: Window,
}

impl DeliveryReports {
    /// The context of a producer with `max_in_flight` places (at least 1).
    pub(crate) fn new(max_in_flight: usize) -> Self {
        DeliveryReports {
            window: Window::new(max_in_flight),
        }
    }

    /// The in-flight window.
    pub(crate) fn window(&self) -> &Window {
        &self.window
    }
}

impl ClientContext for DeliveryReports {}

impl ProducerContext for DeliveryReports {
    type DeliveryOpaque = Arc<DeliverySlot>;

    fn delivery(&self, result: &DeliveryResult<'_>, slot: Arc<DeliverySlot>) {
        // Room for the next record now, not when (or if) someone awaits this one. Every
        // record with this opaque took a place (only `TypedProducer` can make a slot).
        self.window.release();
        let report = match result {
            Ok(m) => Ok(Delivery {
                partition: m.partition(),
                offset: m.offset(),
                schema_id: slot.schema_id(),
            }),
            Err((e, m)) => Err(kafka_error(
                &format!("producing to {}", m.topic()),
                e.clone(),
            )),
        };
        // The caller may have dropped its PendingDelivery: then the slot goes with `slot`.
        slot.report(report);
    }
}
