//! How a record reaches the handler of `run` or of `run_ref`: the one retry loop
//! ([`super::retry`]) decodes a record, then hands it over, through [`Deliver`].
//!
//! - [`Owned`] (`run`): a new [`Message`] each record, moved into the handler.
//! - [`InPlace`] (`run_ref`): the value decoded into one kept value (its string buffers,
//!   vectors and map entries reused from the record before), the handler given a
//!   [`MessageRef`] borrowing it and the record's topic, key and headers where librdkafka
//!   holds them. Nothing is copied per record that the handler does not ask for.

use std::future::Future;
use std::sync::Arc;

use rdkafka::message::BorrowedMessage;

use super::decode::{Decode, DecodeFailure, Message, NewMessage};
use super::message_ref::MessageRef;
use super::verdict::HandlerError;
use super::TypedConsumer;
use crate::codec::FromFrame;
use crate::registry::schemas::SchemaMemo;
use crate::wire::SchemaId;

/// A decode, then the handler's call with the decoded record.
pub(crate) trait Deliver<V>: Decode<V> {
    /// The handler's call with the decoded record.
    async fn call(
        &mut self,
        decoded: Self::Decoded,
        m: &BorrowedMessage<'_>,
        topic: &Arc<str>,
    ) -> Result<(), HandlerError>;
}

/// `run`'s handler: a new [`Message`] a record, owned by the handler.
pub(crate) struct Owned<'h, C>(pub(crate) &'h C);

impl<V: FromFrame, C> Decode<V> for Owned<'_, C> {
    type Decoded = Message<V>;

    async fn decode(
        &mut self,
        consumer: &TypedConsumer<V>,
        m: &BorrowedMessage<'_>,
        topic: &Arc<str>,
        memo: &mut SchemaMemo,
    ) -> Result<Message<V>, DecodeFailure> {
        NewMessage.decode(consumer, m, topic, memo).await
    }
}

impl<V, C, CF> Deliver<V> for Owned<'_, C>
where
    V: FromFrame,
    C: Fn(Message<V>) -> CF,
    CF: Future<Output = Result<(), HandlerError>>,
{
    async fn call(
        &mut self,
        decoded: Message<V>,
        _: &BorrowedMessage<'_>,
        _: &Arc<str>,
    ) -> Result<(), HandlerError> {
        (self.0)(decoded).await
    }
}

/// `run_ref`'s handler: the value decoded in place into `slot`, lent to the handler.
pub(crate) struct InPlace<'h, V, F> {
    pub(crate) handler: &'h F,
    /// The value of the last record decoded (`None` before the first), decoded into again.
    pub(crate) slot: Option<V>,
}

impl<V: FromFrame, F> Decode<V> for InPlace<'_, V, F> {
    /// The writer schema id; `None` for a tombstone.
    type Decoded = Option<SchemaId>;

    async fn decode(
        &mut self,
        consumer: &TypedConsumer<V>,
        m: &BorrowedMessage<'_>,
        topic: &Arc<str>,
        memo: &mut SchemaMemo,
    ) -> Result<Option<SchemaId>, DecodeFailure> {
        consumer.decode_into(m, topic, memo, &mut self.slot).await
    }
}

impl<V, F> Deliver<V> for InPlace<'_, V, F>
where
    V: FromFrame,
    F: AsyncFn(MessageRef<'_, V>) -> Result<(), HandlerError>,
{
    async fn call(
        &mut self,
        schema_id: Option<SchemaId>,
        m: &BorrowedMessage<'_>,
        topic: &Arc<str>,
    ) -> Result<(), HandlerError> {
        // A tombstone leaves the slot as the record before left it: not its value.
        let value = schema_id.and(self.slot.as_ref());
        (self.handler)(MessageRef::new(m, topic, value, schema_id)).await
    }
}
