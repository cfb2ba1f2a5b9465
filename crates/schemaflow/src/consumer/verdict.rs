//! What a handler answers when it fails: a [`HandlerError`] carrying a [`Verdict`] (retry,
//! dead-letter, stop) and the error behind it. Its own file because the crate's [`Error`]
//! names the verdict a consumer stopped with, and the retry loop and the dead-letter path act
//! on it: none of them has to import the others for it.
//!
//! [`Error`]: crate::error::Error

use std::error::Error as StdError;

/// The error a handler may carry: any error that is `Send + Sync`.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What the consumer does with a record (or batch) whose handler failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Verdict {
    /// Call the handler again (up to [`ConsumerConfig::max_retries`] times, after
    /// [`ConsumerConfig::retry_backoff`], doubling), then reject the record by the dead-letter
    /// policy. What `?` on an ordinary error gives. Default.
    ///
    /// [`ConsumerConfig::max_retries`]: super::ConsumerConfig::max_retries
    /// [`ConsumerConfig::retry_backoff`]: super::ConsumerConfig::retry_backoff
    #[default]
    Retry,
    /// Reject the record by the dead-letter policy at once, without retrying: the record
    /// itself will never do.
    DeadLetter,
    /// Stop the consumer at this record at once, without retrying it or dead-lettering it,
    /// and without committing past it: for faults of the handler's own environment that
    /// retrying cannot fix (a closed output).
    Stop,
}

/// A handler's failure: a [`Verdict`] and the error behind it (its
/// [`source`](HandlerError::source), kept whole: it becomes the source of
/// [`Error::Handler`](crate::error::Error::Handler) if the consumer stops at it).
///
/// A handler returns `Result<(), HandlerError>`. `?` on any ordinary error (anything that
/// converts into `Box<dyn Error + Send + Sync>`: a `std::error::Error`, a `String`, a `&str`)
/// makes a [`HandlerError`] with the [`Verdict::Retry`] verdict, keeping the error as its
/// source; [`HandlerError::dead_letter`] and [`HandlerError::stop`] say otherwise:
///
/// ```text
/// Ok(())                      → finished: the offset may be committed
/// Err(retry)       (default)  → called again (max_retries, retry_backoff doubling),
///                               then rejected by the dead-letter policy
/// Err(dead_letter)            → rejected by the dead-letter policy at once, no retry
/// Err(stop)                   → the consumer stops at this record at once: not retried, not
///                               dead-lettered, nothing committed past it (Error::Handler)
/// ```
///
/// ```
/// use schemaflow::consumer::{HandlerError, Message};
///
/// async fn handle(m: Message<serde_json::Value>) -> Result<(), HandlerError> {
///     let Some(value) = m.value else { return Ok(()) }; // a tombstone
///     if value.get("id").is_none() {
///         // The record will never do: no point retrying it.
///         return Err(HandlerError::dead_letter("no id"));
///     }
///     let _n: u32 = "42".parse()?; // any error: retried, then dead-lettered
///     Ok(())
/// }
/// ```
///
/// It is deliberately not a `std::error::Error` itself, so that the conversion from every
/// error type can exist.
pub struct HandlerError {
    verdict: Verdict,
    source: BoxError,
}

impl HandlerError {
    /// Retry the record, then reject it by the dead-letter policy (what `?` gives).
    pub fn retry(error: impl Into<BoxError>) -> Self {
        Self::new(Verdict::Retry, error)
    }

    /// Reject the record by the dead-letter policy now, without retrying.
    pub fn dead_letter(error: impl Into<BoxError>) -> Self {
        Self::new(Verdict::DeadLetter, error)
    }

    /// Stop the consumer at this record now (nothing committed past it).
    pub fn stop(error: impl Into<BoxError>) -> Self {
        Self::new(Verdict::Stop, error)
    }

    /// A failure with this verdict.
    pub fn new(verdict: Verdict, error: impl Into<BoxError>) -> Self {
        HandlerError {
            verdict,
            source: error.into(),
        }
    }

    /// The same error with another verdict.
    pub fn with_verdict(mut self, verdict: Verdict) -> Self {
        self.verdict = verdict;
        self
    }

    /// What the consumer does about it.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// The error behind it.
    pub fn source(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.source
    }

    /// The error behind it, owned.
    pub fn into_source(self) -> BoxError {
        self.source
    }
}

/// Any error, with the verdict [`Verdict::Retry`]: what `?` in a handler gives.
impl<E: Into<BoxError>> From<E> for HandlerError {
    fn from(error: E) -> Self {
        HandlerError::retry(error)
    }
}

impl std::fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerError")
            .field("verdict", &self.verdict)
            .field("source", &self.source)
            .finish()
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.source, f)
    }
}
