//! The routes of compatibility levels (`/config`, `/config/{subject}`): the global level is
//! the `Config` resource, a subject's level is the subject's.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{body, flag, ok, Answer, App, Route, Q};
use crate::authz::Permission::{Read, Write};
use crate::authz::Scope::{Config, Subject};
use crate::core::ApiError;
use schemaflow::registry::protocol::{
    ConfigResponse, ConfigUpdateRequest, ConfigUpdateResponse, ErrorCode,
};
use schemaflow::registry::types::CompatibilityLevel;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/config", Read(Config), get_global_config),
        Route::put("/config", Write(Config), put_global_config),
        Route::delete("/config", Write(Config), delete_global_config),
        Route::get("/config/{subject}", Read(Subject), get_config),
        Route::put("/config/{subject}", Write(Subject), put_config),
        Route::delete("/config/{subject}", Write(Subject), delete_config),
    ]
}

fn level_from(bytes: &Bytes) -> Result<CompatibilityLevel, ApiError> {
    let b: ConfigUpdateRequest = body(bytes)?;
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidCompatibilityLevel,
            "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive",
        )
    };
    b.level()
        .ok_or_else(invalid)?
        .parse()
        .map_err(|_| invalid())
}

fn level(compatibility_level: CompatibilityLevel) -> Answer {
    Ok(ok(&ConfigResponse {
        compatibility_level,
    }))
}

fn updated(compatibility: CompatibilityLevel) -> Answer {
    Ok(ok(&ConfigUpdateResponse { compatibility }))
}

async fn get_global_config(State(app): State<App>) -> Answer {
    level(app.registry.config(None, true)?)
}

async fn put_global_config(State(app): State<App>, bytes: Bytes) -> Answer {
    updated(app.registry.set_config(None, level_from(&bytes)?)?)
}

async fn delete_global_config(State(app): State<App>) -> Answer {
    level(app.registry.delete_config(None)?)
}

async fn get_config(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    level(
        app.registry
            .config(Some(&subject), flag(&q, "defaultToGlobal"))?,
    )
}

async fn put_config(State(app): State<App>, Path(subject): Path<String>, bytes: Bytes) -> Answer {
    updated(
        app.registry
            .set_config(Some(&subject), level_from(&bytes)?)?,
    )
}

async fn delete_config(State(app): State<App>, Path(subject): Path<String>) -> Answer {
    level(app.registry.delete_config(Some(&subject))?)
}
