//! One record's delivery report: a single reference-counted [`DeliverySlot`], which travels
//! through librdkafka as the record's delivery opaque and which the caller's
//! [`PendingDelivery`] reads.
//!
//! One allocation per record, made on the enqueuing thread: before, a record took a `oneshot`
//! channel and a boxed opaque holding its sender, and librdkafka's polling thread freed the box
//! (a free into another thread's arena, for every record). Here the delivery callback writes the
//! report into the slot and drops its reference; the slot is freed by whichever side lets go
//! last, usually the caller's future after it read the report. The slot is kept small (under
//! glibc's fast-bin limit: 128 bytes with the reference counts), so that allocating and freeing
//! it by the hundred thousand stays on the allocator's fast path: a failure is boxed.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use super::Delivery;
use crate::error::{Error, Result};
use crate::wire::SchemaId;

/// The report of one record in flight: written once by the delivery callback, read by the
/// record's [`PendingDelivery`]. The delivery opaque of a [`super::TypedProducer`]'s records.
#[derive(Debug)]
pub struct DeliverySlot {
    /// The value's schema id (`None` for a tombstone), for the report.
    schema_id: Option<SchemaId>,
    report: OnceLock<Report>,
    /// The task awaiting the report, if it polled before the report came.
    waker: AtomicWaker,
}

impl DeliverySlot {
    /// A slot for a record of `schema_id`, and the future of its report.
    pub(crate) fn new(schema_id: Option<SchemaId>) -> (Arc<DeliverySlot>, PendingDelivery) {
        let slot = Arc::new(DeliverySlot {
            schema_id,
            report: OnceLock::new(),
            waker: AtomicWaker::new(),
        });
        (slot.clone(), PendingDelivery { slot })
    }

    /// The schema id the record was written with.
    pub(crate) fn schema_id(&self) -> Option<SchemaId> {
        self.schema_id
    }

    /// The record's report (librdkafka gives exactly one; a second is ignored), and a wake-up
    /// for the task awaiting it, if any.
    pub(crate) fn report(&self, report: Result<Delivery>) {
        let report = match report {
            Ok(d) => Report::Delivered {
                partition: d.partition,
                offset: d.offset,
            },
            Err(e) => Report::Failed(Box::new(e)),
        };
        if self.report.set(report).is_ok() {
            self.waker.wake();
        }
    }

    /// The report, once it came.
    fn ready(&self) -> Option<Result<Delivery>> {
        Some(match self.report.get()? {
            Report::Delivered { partition, offset } => Ok(Delivery {
                partition: *partition,
                offset: *offset,
                schema_id: self.schema_id,
            }),
            Report::Failed(e) => Err((**e).clone()),
        })
    }
}

/// A delivery report as the slot keeps it (the schema id is the slot's).
#[derive(Debug)]
enum Report {
    Delivered { partition: i32, offset: i64 },
    Failed(Box<Error>),
}

/// The delivery report of one enqueued record: where it landed, or why it failed. Dropping it
/// does not cancel the record. If the producer is dropped first, librdkafka purges the record
/// and this resolves to that error.
#[derive(Debug)]
#[must_use = "a record's delivery can fail: await its report"]
pub struct PendingDelivery {
    slot: Arc<DeliverySlot>,
}

impl Future for PendingDelivery {
    type Output = Result<Delivery>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(report) = self.slot.ready() {
            return Poll::Ready(report);
        }
        self.slot.waker.register(cx.waker());
        // Looked at again after registering: a report written in between woke no one.
        match self.slot.ready() {
            Some(report) => Poll::Ready(report),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use rdkafka::error::KafkaError;

    use crate::error::kafka_error;

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn delivered(schema_id: Option<SchemaId>) -> Result<Delivery> {
        Ok(Delivery {
            partition: 2,
            offset: 41,
            schema_id,
        })
    }

    fn poll(pending: &mut PendingDelivery, waker: &Waker) -> Poll<Result<Delivery>> {
        Pin::new(pending).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn a_report_before_the_first_poll_is_ready_at_once() {
        let id = Some(SchemaId(7));
        let (opaque, mut pending) = DeliverySlot::new(id);
        assert_eq!(opaque.schema_id(), id);
        opaque.report(delivered(id));
        drop(opaque); // as the delivery callback does
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        match poll(&mut pending, &waker) {
            Poll::Ready(Ok(d)) => assert_eq!(d, delivered(id).unwrap()),
            other => panic!("{other:?}"),
        }
        assert_eq!(count.0.load(Ordering::SeqCst), 0, "no wake-up needed");
    }

    #[test]
    fn a_report_after_a_poll_wakes_the_task_from_another_thread() {
        let (opaque, mut pending) = DeliverySlot::new(None);
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        assert!(poll(&mut pending, &waker).is_pending());
        assert!(poll(&mut pending, &waker).is_pending(), "still nothing");
        std::thread::spawn(move || opaque.report(delivered(None)))
            .join()
            .unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken once");
        assert!(matches!(poll(&mut pending, &waker), Poll::Ready(Ok(d)) if d.offset == 41));
    }

    #[test]
    fn a_failure_reaches_the_future_and_only_the_first_report_counts() {
        let (opaque, pending) = DeliverySlot::new(None);
        opaque.report(Err(kafka_error("producing to t", KafkaError::Canceled)));
        opaque.report(delivered(None));
        let got = futures_executor_lite(pending);
        assert!(
            matches!(&got, Err(e) if e.to_string().contains("producing to t")),
            "{got:?}"
        );
    }

    #[test]
    fn a_future_dropped_before_its_report_frees_the_slot_with_the_report() {
        let (opaque, pending) = DeliverySlot::new(None);
        let weak = Arc::downgrade(&opaque);
        drop(pending); // the caller does not care: the record still goes
        opaque.report(delivered(None));
        drop(opaque);
        assert!(weak.upgrade().is_none(), "nothing keeps the slot");
    }

    #[test]
    fn a_slot_stays_in_glibcs_fast_bins() {
        // The allocation is the slot and two reference counts; glibc serves chunks up to 128
        // bytes (its default `M_MXFAST` on 64-bit, header included) from its fast bins.
        let allocation = std::mem::size_of::<DeliverySlot>() + 2 * std::mem::size_of::<usize>();
        assert!(allocation + 8 <= 128, "{allocation} bytes");
    }

    /// Poll a future that is ready (or panics): these tests need no runtime.
    fn futures_executor_lite<F: Future + Unpin>(mut f: F) -> F::Output {
        match Pin::new(&mut f).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("not ready"),
        }
    }
}
