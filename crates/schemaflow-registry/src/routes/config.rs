//! The routes of compatibility levels (`/config`, `/config/{subject}`): the global level is
//! the `Config` resource, a subject's level is the subject's. Beside the level, a config holds
//! Confluent's `compatibilityPolicy` (`STRICT`, the default, or `LENIENT`): which JSON Schema
//! changes count as compatible, per subject and global like the level.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{body, flag, ok, Answer, App, Route, Q};
use crate::authz::Permission::{Read, Write};
use crate::authz::Scope::{Config, Subject};
use crate::core::ApiError;
use schemaflow::compat::json::JsonCompatPolicy;
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

/// The level and policy a `PUT` asks for: `compatibility` (or `compatibilityLevel`) and
/// Confluent's `compatibilityPolicy` (`STRICT` or `LENIENT`, for JSON Schema); at least one.
fn config_from(
    bytes: &Bytes,
) -> Result<(Option<CompatibilityLevel>, Option<JsonCompatPolicy>), ApiError> {
    let b: ConfigUpdateRequest = body(bytes)?;
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidCompatibilityLevel,
            "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive",
        )
    };
    let level = match b.level() {
        Some(l) => Some(l.parse().map_err(|_| invalid())?),
        None => None,
    };
    // The policy is read from the body itself: the shared request type predates it.
    let raw: serde_json::Value = body(bytes)?;
    let policy = match raw.get("compatibilityPolicy") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(p)) => Some(p.parse().map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidCompatibilityLevel,
                format!("Invalid compatibility policy {p:?}. Valid values are STRICT and LENIENT"),
            )
        })?),
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::InvalidCompatibilityLevel,
                "Invalid compatibility policy: not a string. Valid values are STRICT and LENIENT",
            ))
        }
    };
    if level.is_none() && policy.is_none() {
        return Err(invalid());
    }
    Ok((level, policy))
}

/// `{"compatibilityLevel": …}`, with `compatibilityPolicy` when one is set.
fn level(compatibility_level: CompatibilityLevel, policy: Option<JsonCompatPolicy>) -> Answer {
    let mut v = serde_json::to_value(ConfigResponse {
        compatibility_level,
    })
    .unwrap_or_default();
    if let (Some(p), Some(o)) = (policy, v.as_object_mut()) {
        o.insert("compatibilityPolicy".into(), p.as_str().into());
    }
    Ok(ok(&v))
}

/// `{"compatibility": …}` as Confluent answers a `PUT`, with `compatibilityPolicy` when set.
fn updated(
    (compatibility, policy): (Option<CompatibilityLevel>, Option<JsonCompatPolicy>),
) -> Answer {
    let mut v = serde_json::to_value(ConfigUpdateResponse {
        compatibility: compatibility.unwrap_or_default(),
    })
    .unwrap_or_default();
    if let (Some(p), Some(o)) = (policy, v.as_object_mut()) {
        o.insert("compatibilityPolicy".into(), p.as_str().into());
    }
    Ok(ok(&v))
}

async fn get_global_config(State(app): State<App>) -> Answer {
    level(
        app.registry.config(None, true)?,
        app.registry.policy(None, true),
    )
}

async fn put_global_config(State(app): State<App>, bytes: Bytes) -> Answer {
    let (l, p) = config_from(&bytes)?;
    updated(app.registry.set_config(None, l, p)?)
}

async fn delete_global_config(State(app): State<App>) -> Answer {
    let policy = app.registry.policy(None, true);
    level(app.registry.delete_config(None)?, policy)
}

async fn get_config(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    let to_global = flag(&q, "defaultToGlobal");
    level(
        app.registry.config(Some(&subject), to_global)?,
        app.registry.policy(Some(&subject), to_global),
    )
}

async fn put_config(State(app): State<App>, Path(subject): Path<String>, bytes: Bytes) -> Answer {
    let (l, p) = config_from(&bytes)?;
    updated(app.registry.set_config(Some(&subject), l, p)?)
}

async fn delete_config(State(app): State<App>, Path(subject): Path<String>) -> Answer {
    let policy = app.registry.policy(Some(&subject), false);
    level(app.registry.delete_config(Some(&subject))?, policy)
}
