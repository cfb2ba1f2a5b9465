//! What a handler answers, and the one retry loop that acts on it, for single records and
//! batches alike.
//!
//! A handler returns `Result<(), HandlerError>`; the [`HandlerError`]'s [`Verdict`] says what
//! a failure means (see there). A batch (`run_batch`) goes through the same loop: its
//! verdict is the whole batch's.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::engine::{Finished, JobStop};

use rdkafka::message::{BorrowedMessage, Message as _};

use super::decode::Message;
use super::decode::NewMessage;
use super::deliver::Deliver;
use super::events::Counters;
use super::TypedConsumer;
use crate::codec::FromFrame;
use crate::error::{Error, Result};
use crate::registry::schemas::SchemaMemo;

pub(crate) use super::backoff::Backoff;
pub use super::verdict::{BoxError, HandlerError, Verdict};

/// The handler's retry policy applied to one record or batch: what the next step is after a
/// failure.
#[derive(Debug)]
pub(crate) struct Retries {
    max_retries: u32,
    attempt: u32,
    backoff: Backoff,
}

/// What follows a failed handler call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    /// Call it again after this pause.
    Again(Duration),
    /// No more retries: reject the record(s) by the dead-letter policy.
    Reject,
    /// Stop the consumer here.
    Stop,
}

impl Retries {
    pub(crate) fn new(max_retries: u32, backoff: Duration) -> Self {
        Retries {
            max_retries,
            attempt: 0,
            backoff: Backoff::new(backoff, Duration::MAX),
        }
    }

    /// The handler failed with this verdict.
    pub(crate) fn after(&mut self, verdict: Verdict) -> AfterFailure {
        match verdict {
            Verdict::Stop => AfterFailure::Stop,
            Verdict::DeadLetter => AfterFailure::Reject,
            Verdict::Retry if self.attempt >= self.max_retries => AfterFailure::Reject,
            Verdict::Retry => {
                self.attempt += 1;
                AfterFailure::Again(self.backoff.next())
            }
        }
    }

    /// Retries so far.
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }
}

/// Set once the consumer stops (shutdown, or an error): cuts environment retries short.
#[derive(Debug, Default)]
pub(crate) struct StopSignal {
    stopped: AtomicBool,
    notify: tokio::sync::Notify,
}

impl StopSignal {
    pub(crate) fn fire(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Sleep for `pause`, or less if the signal fires meanwhile.
    pub(crate) async fn sleep(&self, pause: Duration) {
        // `notify_waiters` wakes only the waiters registered then: register first, then look
        // at the flag, so a fire is seen either way.
        let stop = self.notify.notified();
        tokio::pin!(stop);
        stop.as_mut().enable();
        if self.is_fired() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = &mut stop => {}
        }
    }
}

impl<V: FromFrame> TypedConsumer<V> {
    /// Handle records — one (`run`) or a batch of one partition's (`run_batch`) — through the
    /// one retry loop: decode each (a record's own fault rejects it alone, the environment's
    /// is retried holding the position), hand the rest to `call` together, act on the
    /// verdict of a failure: retry the whole call, reject each record by the dead-letter
    /// policy, or stop. `Err` stops the consumer.
    pub(crate) async fn process<C, CF>(
        &self,
        msgs: &[BorrowedMessage<'_>],
        topic: &Arc<str>,
        call: &C,
    ) -> Result<()>
    where
        C: Fn(Vec<Message<V>>) -> CF,
        CF: Future<Output = std::result::Result<(), HandlerError>>,
    {
        for m in msgs {
            Counters::add(
                &self.counters.bytes,
                m.payload().map_or(0, |p| p.len() as u64),
            );
        }
        // Indexes of the records rejected on decoding: out of the call from then on.
        let mut rejected: Vec<usize> = Vec::new();
        let mut decoded = self.decode_batch(msgs, topic, &mut rejected).await?;
        if decoded.is_empty() {
            return Ok(());
        }
        let mut retries = Retries::new(self.config.max_retries, self.config.retry_backoff);
        let failure = loop {
            let n = decoded.len();
            // The handler owns the values; a retry decodes the records again (the writer
            // schemas are cached) rather than every record paying for a clone in case of one.
            match call(decoded).await {
                Ok(()) => {
                    Counters::add(&self.counters.handled, n as u64);
                    return Ok(());
                }
                Err(e) => match retries.after(e.verdict()) {
                    AfterFailure::Stop => {
                        return match first_kept(msgs, &rejected) {
                            Some(first) => Err(handler_error(first, e)),
                            None => Ok(()),
                        };
                    }
                    AfterFailure::Reject => {
                        Counters::add(&self.counters.handler_errors, 1);
                        break e;
                    }
                    AfterFailure::Again(pause) => {
                        Counters::add(&self.counters.handler_errors, 1);
                        tracing::debug!(error = %e, attempt = retries.attempt() - 1, records = n, "handler failed; retrying");
                        tokio::time::sleep(pause).await;
                        decoded = self.decode_batch(msgs, topic, &mut rejected).await?;
                        if decoded.is_empty() {
                            return Ok(());
                        }
                    }
                },
            }
        };
        let verdict = failure.verdict();
        let source: Arc<dyn StdError + Send + Sync> = Arc::from(failure.into_source());
        for (i, m) in msgs.iter().enumerate() {
            if !rejected.contains(&i) {
                let id = self.schema_id_of(m).await;
                self.reject(
                    m,
                    super::dead_letter::Rejected::Handler(source.clone(), verdict, id),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// A run of `run` or `run_ref` (records of one lane, in order): each record as a job of
    /// its own would be — decoded and handed to the handler by `deliver`, retried, rejected
    /// or stopped at by the one retry loop — one after another, starting no further record once `stop` is set. Returns how many
    /// of them, from the first, finished (handled, dead-lettered or skipped), and `Err` if
    /// one stopped the consumer. The counters are added once for the run.
    pub(crate) async fn process_run<D: Deliver<V>>(
        &self,
        msgs: &[BorrowedMessage<'_>],
        topic: &Arc<str>,
        stop: &JobStop,
        shutdown_woken: &std::sync::atomic::AtomicBool,
        deliver: &mut D,
    ) -> Finished {
        let (mut bytes, mut handled, mut finished) = (0u64, 0u64, 0usize);
        let mut result = Ok(());
        // The environment-retry budget of each record counts from here (one clock read a run).
        let started = Instant::now();
        let mut memo = SchemaMemo::default();
        for m in msgs {
            if finished > 0 {
                if shutdown_woken.load(std::sync::atomic::Ordering::Relaxed) {
                    // The loop looks at the shutdown before this run goes on.
                    tokio::task::yield_now().await;
                }
                if stop.is_set() {
                    break;
                }
            }
            bytes += m.payload().map_or(0, |p| p.len() as u64);
            match self
                .process_one(m, topic, started, &mut memo, deliver)
                .await
            {
                Ok(true) => handled += 1,
                Ok(false) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            finished += 1;
        }
        Counters::add(&self.counters.bytes, bytes);
        Counters::add(&self.counters.handled, handled);
        Finished {
            records: finished,
            result,
        }
    }

    /// One record through the retry loop, as [`process`](Self::process) does a job of one.
    /// `Ok(true)`: handled; `Ok(false)`: rejected by the dead-letter policy; `Err`: stop.
    async fn process_one<D: Deliver<V>>(
        &self,
        m: &BorrowedMessage<'_>,
        topic: &Arc<str>,
        mut started: Instant,
        memo: &mut SchemaMemo,
        deliver: &mut D,
    ) -> Result<bool> {
        let mut retries: Option<Retries> = None;
        let failure = loop {
            let decoded = match self
                .decode_holding_position(m, topic, started, memo, deliver)
                .await?
            {
                Ok(d) => d,
                Err((e, id)) => {
                    self.reject(m, super::dead_letter::Rejected::Decode(e, id))
                        .await?;
                    return Ok(false);
                }
            };
            // A retry decodes the record again (the writer schema is cached) rather than
            // every record paying for a clone in case of one.
            let e = match deliver.call(decoded, m, topic).await {
                Ok(()) => return Ok(true),
                Err(e) => e,
            };
            let retries = retries.get_or_insert_with(|| {
                Retries::new(self.config.max_retries, self.config.retry_backoff)
            });
            match retries.after(e.verdict()) {
                AfterFailure::Stop => return Err(handler_error(m, e)),
                AfterFailure::Reject => {
                    Counters::add(&self.counters.handler_errors, 1);
                    break e;
                }
                AfterFailure::Again(pause) => {
                    Counters::add(&self.counters.handler_errors, 1);
                    tracing::debug!(error = %e, attempt = retries.attempt() - 1, records = 1, "handler failed; retrying");
                    tokio::time::sleep(pause).await;
                    // The decode before the next call has a budget of its own.
                    started = Instant::now();
                }
            }
        };
        let verdict = failure.verdict();
        let source: Arc<dyn StdError + Send + Sync> = Arc::from(failure.into_source());
        let id = self.schema_id_of(m).await;
        self.reject(
            m,
            super::dead_letter::Rejected::Handler(source, verdict, id),
        )
        .await?;
        Ok(false)
    }

    /// Decode the records not yet rejected, rejecting (by policy) those that are the record's
    /// own fault. `Err`: stop the consumer.
    async fn decode_batch(
        &self,
        msgs: &[BorrowedMessage<'_>],
        topic: &Arc<str>,
        rejected: &mut Vec<usize>,
    ) -> Result<Vec<Message<V>>> {
        let started = Instant::now();
        let mut memo = SchemaMemo::default();
        let mut decoded = Vec::with_capacity(msgs.len());
        for (i, m) in msgs.iter().enumerate() {
            if rejected.contains(&i) {
                continue;
            }
            match self
                .decode_holding_position(m, topic, started, &mut memo, &mut NewMessage)
                .await?
            {
                Ok(d) => decoded.push(d),
                Err((e, id)) => {
                    rejected.push(i);
                    self.reject(m, super::dead_letter::Rejected::Decode(e, id))
                        .await?;
                }
            }
        }
        Ok(decoded)
    }
}

/// The first record of `msgs` still in the call.
fn first_kept<'a, 'm>(
    msgs: &'a [BorrowedMessage<'m>],
    rejected: &[usize],
) -> Option<&'a BorrowedMessage<'m>> {
    msgs.iter()
        .enumerate()
        .find(|(i, _)| !rejected.contains(i))
        .map(|(_, m)| m)
}

/// The error a handler's failure stops the consumer with.
pub(crate) fn handler_error(at: &BorrowedMessage<'_>, e: HandlerError) -> Error {
    Error::Handler {
        topic: at.topic().to_string(),
        partition: at.partition(),
        offset: at.offset(),
        verdict: e.verdict(),
        source: Arc::from(e.into_source()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_mark_on_any_error_retries_and_keeps_the_source() {
        fn parse() -> std::result::Result<u32, HandlerError> {
            Ok("x".parse::<u32>()?)
        }
        let e = parse().unwrap_err();
        assert_eq!(e.verdict(), Verdict::Retry);
        assert!(e
            .source()
            .downcast_ref::<std::num::ParseIntError>()
            .is_some());
        let s: HandlerError = "text".into();
        assert_eq!(s.to_string(), "text");
        let owned: HandlerError = String::from("owned").into();
        assert_eq!(owned.verdict(), Verdict::Retry);
    }

    #[test]
    fn error_handler_keeps_the_handlers_error_and_its_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("writing the row")]
        struct Write(#[source] std::io::Error);
        let h = HandlerError::stop(Write(std::io::Error::other("disk full")));
        let e = Error::Handler {
            topic: "t".into(),
            partition: 0,
            offset: 7,
            verdict: h.verdict(),
            source: Arc::from(h.into_source()),
        };
        assert!(e.to_string().contains("stopped the consumer"), "{e}");
        let Error::Handler { source, .. } = &e else {
            unreachable!()
        };
        assert!(source.downcast_ref::<Write>().is_some());
        // The chain, message by message: the consumer's, the handler's, its cause.
        let mut chain = Vec::new();
        let mut next: Option<&(dyn StdError + 'static)> = Some(&e);
        while let Some(err) = next {
            chain.push(err.to_string());
            next = err.source();
        }
        assert_eq!(chain[1..], ["writing the row", "disk full"]);
    }

    #[test]
    fn retries_count_then_reject() {
        let mut r = Retries::new(2, Duration::from_millis(10));
        assert_eq!(
            r.after(Verdict::Retry),
            AfterFailure::Again(Duration::from_millis(10))
        );
        assert_eq!(
            r.after(Verdict::Retry),
            AfterFailure::Again(Duration::from_millis(20))
        );
        assert_eq!(r.after(Verdict::Retry), AfterFailure::Reject);
    }

    #[test]
    fn stop_and_dead_letter_skip_the_retries() {
        let mut r = Retries::new(5, Duration::from_millis(10));
        assert_eq!(r.after(Verdict::Stop), AfterFailure::Stop);
        assert_eq!(r.after(Verdict::DeadLetter), AfterFailure::Reject);
        assert_eq!(r.attempt(), 0);
        // Without retries, a retry verdict is rejected at once.
        assert_eq!(
            Retries::new(0, Duration::ZERO).after(Verdict::Retry),
            AfterFailure::Reject
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(5));
        let pauses: Vec<_> = (0..4).map(|_| b.next().as_secs()).collect();
        assert_eq!(pauses, [2, 4, 5, 5]);
    }

    #[tokio::test]
    async fn a_fired_stop_signal_cuts_the_sleep_short() {
        let s = StopSignal::default();
        s.fire();
        // Would hang for an hour if the flag were not looked at.
        s.sleep(Duration::from_secs(3600)).await;
        assert!(s.is_fired());
    }
}
