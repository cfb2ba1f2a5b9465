//! librdkafka's blocking transactional calls (`init_transactions`,
//! `send_offsets_to_transaction`, `commit_transaction`, `abort_transaction`), each run on a
//! thread of its own and awaited with a deadline of our own.
//!
//! Why not `spawn_blocking` and librdkafka's own timeout: librdkafka does not always keep the
//! timeout it is given. `send_offsets_to_transaction` waits for ever once the consumer
//! group's coordinator went away mid-transaction — the coordinator request's timeout is never
//! checked (confluentinc/librdkafka#5456), and a coordinator that left the cluster's metadata
//! (a node killed, or paused until the controller fenced it) is never asked for again
//! (#5511). `tests/pipeline/cluster_faults.rs` met it on three Apache Kafka nodes: the
//! processor sat in the call for good, and a `spawn_blocking` task that never ends also keeps
//! the tokio runtime from shutting down. A call past our deadline is therefore *wedged*: its
//! thread is left behind (it ends whenever librdkafka returns), and the processor replaces
//! its producer — a new one with the same `transactional.id` fences the wedged one, and the
//! coordinator settles the open transaction (see `ExactlyOnceProcessor::replace_producer`).

use std::time::Duration;

use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};

use crate::error::{kafka_error, Error, Result};

/// How long past its own `timeout` a call may take before it counts as wedged: half of it,
/// at least a second (librdkafka's timeouts are checked on its timer ticks, and a slow machine
/// needs a margin) — 15 s at the default 30 s.
fn wedge_grace(timeout: Duration) -> Duration {
    (timeout / 2).max(Duration::from_secs(1))
}

/// How many times a transactional call that failed as retriable is called again before its
/// error is returned (20 × the call timeout: 10 minutes at the default 30 s, well past any
/// broker fail-over).
pub(super) const TXN_RESUMES: u32 = 20;

/// Why a call did not succeed.
#[derive(Debug)]
pub(super) enum CallFailure {
    /// librdkafka's answer.
    Kafka(KafkaError),
    /// No answer within the call's timeout and the grace: librdkafka holds the call.
    Wedged,
}

/// Run `call` (given `timeout`) on a thread of its own; its result, or [`CallFailure::Wedged`]
/// when it has not returned within [`wedge_grace`] after `timeout`.
pub(super) async fn call_with_deadline<F>(
    operation: &'static str,
    timeout: Duration,
    call: F,
) -> std::result::Result<(), CallFailure>
where
    F: FnOnce(Duration) -> KafkaResult<()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("schemaflow-txn-{operation}"))
        .spawn(move || {
            // The receiver is gone when the call was given up as wedged: nothing to tell.
            let _ = tx.send(call(timeout));
        })
        .map_err(|_| CallFailure::Kafka(KafkaError::Canceled))?;
    match tokio::time::timeout(timeout + wedge_grace(timeout), rx).await {
        Ok(Ok(result)) => result.map_err(CallFailure::Kafka),
        // The thread ended without an answer: it panicked inside the call.
        Ok(Err(_)) => Err(CallFailure::Kafka(KafkaError::Canceled)),
        Err(_) => Err(CallFailure::Wedged),
    }
}

/// The error a wedged call reports.
pub(super) fn wedged_error(operation: &str, timeout: Duration) -> Error {
    tracing::error!(
        operation,
        ?timeout,
        "librdkafka did not return within the call's timeout (confluentinc/librdkafka#5456, \
         #5511); the processor replaces its producer"
    );
    kafka_error(
        operation,
        KafkaError::Global(RDKafkaErrorCode::OperationTimedOut),
    )
}

/// [`call_with_deadline`], calling again while librdkafka answers *retriable* (typically its
/// timeout passed while a coordinator was unreachable), up to [`TXN_RESUMES`] times.
///
/// That is librdkafka's contract (`rd_kafka_commit_transaction` & co.: "retriable: the
/// application may call this function again to resume the operation"), and the only safe
/// move: the operation goes on in the background, so aborting instead fails with "Conflicting
/// commit_transaction API call is already in progress" — and so does every
/// `begin_transaction` after it, for ever. The chaos test (`tests/pipeline/chaos.rs`) wedged
/// a processor exactly so before this. Errors that require an abort, or are fatal, are
/// returned at once for the caller's abort-or-stop decision. A wedged call returns `Err` and
/// sets `wedged`: the caller replaces the producer rather than abort (an abort would conflict
/// with the call librdkafka still holds).
pub(super) async fn resume_retriable<F>(
    operation: &'static str,
    timeout: Duration,
    wedged: &std::sync::atomic::AtomicBool,
    call: F,
) -> Result<()>
where
    F: Fn(Duration) -> KafkaResult<()> + Clone + Send + 'static,
{
    let mut resumes = 0;
    loop {
        match call_with_deadline(operation, timeout, call.clone()).await {
            Ok(()) => return Ok(()),
            Err(CallFailure::Wedged) => {
                wedged.store(true, std::sync::atomic::Ordering::SeqCst);
                return Err(wedged_error(operation, timeout));
            }
            Err(CallFailure::Kafka(KafkaError::Transaction(e)))
                if e.is_retriable() && !e.is_fatal() && !e.txn_requires_abort() =>
            {
                if resumes == TXN_RESUMES {
                    return Err(kafka_error(operation, KafkaError::Transaction(e)));
                }
                resumes += 1;
                tracing::warn!(error = %e, operation, resumes, "retriable; calling it again to resume");
            }
            Err(CallFailure::Kafka(e)) => return Err(kafka_error(operation, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_call_that_never_returns_is_wedged_and_left_behind() {
        let wedged = AtomicBool::new(false);
        // A call that blocks far past its timeout, as librdkafka#5456's does.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = std::sync::Arc::new(std::sync::Mutex::new(hold));
        let r = resume_retriable("sending offsets", Duration::from_secs(2), &wedged, {
            let hold = hold.clone();
            move |_| {
                let _ = hold.lock().map(|h| h.recv_timeout(Duration::from_secs(60)));
                Ok(())
            }
        })
        .await;
        assert!(r.is_err(), "{r:?}");
        assert!(wedged.load(Ordering::SeqCst));
        let _ = release.send(());
    }

    #[tokio::test]
    async fn an_answer_within_the_deadline_is_returned() {
        let wedged = AtomicBool::new(false);
        let r = resume_retriable("committing", Duration::from_secs(2), &wedged, |t| {
            assert_eq!(t, Duration::from_secs(2));
            Ok(())
        })
        .await;
        assert!(r.is_ok());
        let r = resume_retriable("committing", Duration::from_secs(2), &wedged, |_| {
            Err(KafkaError::Global(RDKafkaErrorCode::Fatal))
        })
        .await;
        assert!(r.is_err());
        assert!(!wedged.load(Ordering::SeqCst), "an answer is not a wedge");
    }
}
