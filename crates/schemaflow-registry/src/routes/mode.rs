//! The routes of modes (`/mode`, `/mode/{subject}`): the global mode is the `Config`
//! resource, a subject's mode is the subject's.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{body, flag, ok, Answer, App, Route, Q};
use crate::authz::Permission::{Read, Write};
use crate::authz::Scope::{Config, Subject};
use crate::core::ApiError;
use schemaflow::registry::protocol::{ErrorCode, ModeResponse, ModeUpdateRequest};
use schemaflow::registry::types::Mode;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/mode", Read(Config), get_global_mode),
        Route::put("/mode", Write(Config), put_global_mode),
        Route::get("/mode/{subject}", Read(Subject), get_mode),
        Route::put("/mode/{subject}", Write(Subject), put_mode),
        Route::delete("/mode/{subject}", Write(Subject), delete_mode),
    ]
}

/// The mode asked for, in any case.
fn mode_from(bytes: &Bytes) -> Result<Mode, ApiError> {
    let b: ModeUpdateRequest = body(bytes)?;
    serde_json::from_value(serde_json::Value::String(b.mode.to_ascii_uppercase())).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidMode,
            "Invalid mode. Valid values are READWRITE, READONLY and IMPORT",
        )
    })
}

fn answer(mode: Mode) -> Answer {
    Ok(ok(&ModeResponse { mode }))
}

async fn get_global_mode(State(app): State<App>) -> Answer {
    answer(app.registry.mode(None))
}

async fn put_global_mode(State(app): State<App>, bytes: Bytes) -> Answer {
    answer(app.registry.set_mode(None, mode_from(&bytes)?)?)
}

/// Confluent's `ModeResource.getMode`: the subject's own mode, or 40409 when it has none —
/// unless `defaultToGlobal=true`, which answers the mode in force.
async fn get_mode(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    if flag(&q, "defaultToGlobal") {
        return answer(app.registry.mode(Some(&subject)));
    }
    match app.registry.subject_mode(&subject) {
        Some(mode) => answer(mode),
        None => Err(ApiError::new(
            ErrorCode::SubjectModeNotConfigured,
            format!("Subject '{subject}' does not have subject-level mode configured"),
        )),
    }
}

async fn delete_mode(State(app): State<App>, Path(subject): Path<String>) -> Answer {
    answer(app.registry.delete_mode(&subject)?)
}

async fn put_mode(State(app): State<App>, Path(subject): Path<String>, bytes: Bytes) -> Answer {
    answer(app.registry.set_mode(Some(&subject), mode_from(&bytes)?)?)
}
