//! The in-flight window: at most `max_in_flight` records between `enqueue` and their delivery
//! report.
//!
//! Each record takes a semaphore permit before it is handed to librdkafka and carries it, with
//! the sender of its delivery report, as the record's delivery opaque. librdkafka's delivery
//! callback ([`DeliveryReports::delivery`], on the producer's polling thread) drops the permit
//! the moment the broker answers (or the record fails), whether or not the caller has polled
//! its [`PendingDelivery`] yet: "enqueue everything, then await all" never waits on itself.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use rdkafka::error::KafkaError;
use rdkafka::message::Message as _;
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::ClientContext;
use tokio::sync::{oneshot, OwnedSemaphorePermit};

use super::Delivery;
use crate::error::{kafka_error, Result};
use crate::wire::SchemaId;

/// The librdkafka context of a [`super::TypedProducer`]: answers each record's
/// [`PendingDelivery`] and frees its place in the in-flight window.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeliveryReports;

impl ClientContext for DeliveryReports {}

impl ProducerContext for DeliveryReports {
    type DeliveryOpaque = Box<InFlight>;

    fn delivery(&self, result: &DeliveryResult<'_>, in_flight: Box<InFlight>) {
        let InFlight {
            reply,
            schema_id,
            permit,
        } = *in_flight;
        // Room for the next record now, not when (or if) someone awaits this one.
        drop(permit);
        let report = match result {
            Ok(m) => Ok(Delivery {
                partition: m.partition(),
                offset: m.offset(),
                schema_id,
            }),
            Err((e, m)) => Err(kafka_error(
                &format!("producing to {}", m.topic()),
                e.clone(),
            )),
        };
        // The caller may have dropped its PendingDelivery: nobody left to tell.
        let _ = reply.send(report);
    }
}

/// One record's place in the window, travelling through librdkafka as its delivery opaque.
#[derive(Debug)]
pub struct InFlight {
    reply: oneshot::Sender<Result<Delivery>>,
    schema_id: Option<SchemaId>,
    permit: OwnedSemaphorePermit,
}

impl InFlight {
    /// The opaque for a record holding `permit`, and the future of its delivery report.
    pub(super) fn new(
        permit: OwnedSemaphorePermit,
        schema_id: Option<SchemaId>,
    ) -> (Box<InFlight>, PendingDelivery) {
        let (reply, report) = oneshot::channel();
        (
            Box::new(InFlight {
                reply,
                schema_id,
                permit,
            }),
            PendingDelivery { report },
        )
    }
}

/// The delivery report of one enqueued record: where it landed, or why it failed. Dropping it
/// does not cancel the record.
#[derive(Debug)]
#[must_use = "a record's delivery can fail: await its report"]
pub struct PendingDelivery {
    report: oneshot::Receiver<Result<Delivery>>,
}

impl Future for PendingDelivery {
    type Output = Result<Delivery>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.report).poll(cx).map(|r| {
            // The sender went without a report: the producer was dropped first.
            r.unwrap_or_else(|_| Err(kafka_error("producing", KafkaError::Canceled)))
        })
    }
}
