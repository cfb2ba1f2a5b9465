//! How the registry writes every answer: JSON in the registry's [`CONTENT_TYPE`], and every
//! error as a Confluent error body with the status its code implies. The routes, the
//! forwarding and readiness layers and the rate limiter all answer through here, so none of
//! them imports another to write a response.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use schemaflow::registry::protocol::{ErrorBody, ErrorCode, CONTENT_TYPE};
use serde::Serialize;

use super::core::ApiError;

/// `body` as JSON text (our bodies always encode; should one not, the error says so in a
/// valid error body).
pub(crate) fn encode<T: Serialize>(body: &T) -> String {
    serde_json::to_string(body).unwrap_or_else(|e| {
        format!(
            r#"{{"error_code":500,"message":"cannot encode the answer: {}"}}"#,
            e.to_string().replace(['"', '\\'], "'")
        )
    })
}

/// A `status` answer with `body` in [`CONTENT_TYPE`].
pub(crate) fn answer<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let mut r = (status, encode(body)).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}

/// The error answer for `code`: its HTTP status, with a Confluent error body.
pub(crate) fn error(code: ErrorCode, message: &str) -> Response {
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    answer(status, &ErrorBody::new(code, message))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.code, &self.message)
    }
}
