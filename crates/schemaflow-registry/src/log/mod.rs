//! Where the registry's [`Event`]s are kept: the shape of Confluent's
//! `storage/Store.java` (`init` reads the log to its end, `put` appends, `flush`) and
//! Karapace's `KarapaceDatabase`, with three backends — a local file ([`file`]), a Kafka
//! topic in Confluent's `_schemas` format ([`kafka`]) and memory ([`memory`]).
//!
//! Every backend **replays** its log into the [`State`] when it is opened (its constructor
//! returns once the state holds everything written before), **appends** a commit's events
//! durably and returns once they are applied to the state, and can **sync** (catch up with
//! what other writers appended). All of them change the state only through
//! [`State::apply`].

pub mod error;
pub mod file;
pub mod kafka;
pub mod memory;

use std::fmt::Debug;
use std::path::Path;
use std::sync::{Arc, RwLock};

use crate::event::Event;
use crate::schemas_topic::leader::Leadership;
use crate::state::State;

/// A registry log. The store serializes [`Log::append`] calls (one writer at a time).
pub trait Log: Send + Sync + Debug {
    /// Make `events` durable, then return once `state` reflects them. On an error nothing
    /// was acknowledged (the state may still change later, when the write did land).
    fn append(&self, state: &RwLock<State>, events: &[Event]) -> std::io::Result<()>;

    /// Return once `state` holds everything appended to the log before this call, also by
    /// other writers (read-your-writes after a write another instance made). Nothing to do
    /// when this is the only writer.
    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }

    /// Stop writing and release what the log holds (a data folder), after an append in
    /// progress ends. Later appends fail.
    fn close(&self) {}

    /// The log file, for a durable local log.
    fn path(&self) -> Option<&Path> {
        None
    }

    /// Who leads, when the log is shared by several instances.
    fn leadership(&self) -> Option<Arc<Leadership>> {
        None
    }

    /// How far behind the shared log's end this instance's reader is (records).
    fn reader_lag(&self) -> Option<i64> {
        None
    }

    /// The Kafka cluster's id and the registry group's, for a Kafka log.
    fn cluster_ids(&self) -> Option<(Option<String>, String)> {
        None
    }
}

/// Apply `events` to `state` in order: what a log whose writes are this instance's alone does
/// once they are durable.
fn apply_all(state: &RwLock<State>, events: &[Event]) {
    let mut state = state.write().unwrap_or_else(|e| e.into_inner());
    for e in events {
        state.apply(e);
    }
}
