//! The routes of compatibility levels (`/config`, `/config/{subject}`): the global level is
//! the `Config` resource, a subject's level is the subject's. Beside the level, a config holds
//! Confluent's `compatibilityPolicy` (`STRICT`, the default, or `LENIENT`): which JSON Schema
//! changes count as compatible, per subject and global like the level. And Confluent's data
//! contract settings: `compatibilityGroup` (the metadata property that groups versions for
//! compatibility), `defaultMetadata`/`overrideMetadata` and `defaultRuleSet`/`overrideRuleSet`
//! (merged into every schema registered under the config), each kept until replaced.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{body, flag, ok, Answer, App, Route, Q};
use crate::authz::Permission::{Read, Write};
use crate::authz::Scope::{Config, Subject};
use crate::contract::ConfigContract;
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

/// What a `PUT` asks for.
type ConfigUpdate = (
    Option<CompatibilityLevel>,
    Option<JsonCompatPolicy>,
    ConfigContract,
);

/// The level, policy and data-contract settings a `PUT` asks for: `compatibility` (or
/// `compatibilityLevel`), Confluent's `compatibilityPolicy` (`STRICT` or `LENIENT`, for JSON
/// Schema), `compatibilityGroup`, default and override metadata and rule sets; at least one.
fn config_from(bytes: &Bytes) -> Result<ConfigUpdate, ApiError> {
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
    let contract: ConfigContract = serde_json::from_value(raw)
        .map_err(|e| ApiError::new(ErrorCode::Other(422), format!("Unprocessable entity: {e}")))?;
    if level.is_none() && policy.is_none() && contract.is_empty() {
        return Err(invalid());
    }
    Ok((level, policy, contract))
}

/// `v` (a JSON object) with the data-contract settings that are set.
fn add_contract(v: &mut serde_json::Value, contract: &ConfigContract) {
    if let (Ok(serde_json::Value::Object(c)), Some(o)) =
        (serde_json::to_value(contract), v.as_object_mut())
    {
        o.extend(c);
    }
}

/// `{"compatibilityLevel": …}`, with `compatibilityPolicy` and the data-contract settings when
/// set (a subject's config may hold only those: then no level, as Confluent's `Config` leaves
/// a `null` out).
fn level(
    compatibility_level: Option<CompatibilityLevel>,
    policy: Option<JsonCompatPolicy>,
    contract: &ConfigContract,
) -> Answer {
    let mut v = match compatibility_level {
        Some(compatibility_level) => serde_json::to_value(ConfigResponse {
            compatibility_level,
        })
        .unwrap_or_default(),
        None => serde_json::Value::Object(Default::default()),
    };
    if let (Some(p), Some(o)) = (policy, v.as_object_mut()) {
        o.insert("compatibilityPolicy".into(), p.as_str().into());
    }
    add_contract(&mut v, contract);
    Ok(ok(&v))
}

/// `{"compatibility": …}` as Confluent answers a `PUT`, with `compatibilityPolicy` and the
/// data-contract settings when set.
fn updated((compatibility, policy, contract): ConfigUpdate) -> Answer {
    let mut v = serde_json::to_value(ConfigUpdateResponse {
        compatibility: compatibility.unwrap_or_default(),
    })
    .unwrap_or_default();
    if let (Some(p), Some(o)) = (policy, v.as_object_mut()) {
        o.insert("compatibilityPolicy".into(), p.as_str().into());
    }
    add_contract(&mut v, &contract);
    Ok(ok(&v))
}

async fn get_global_config(State(app): State<App>) -> Answer {
    level(
        Some(app.registry.config(None, true)?),
        app.registry.policy(None, true),
        &app.registry.config_contract(None, true),
    )
}

async fn put_global_config(State(app): State<App>, bytes: Bytes) -> Answer {
    let (l, p, c) = config_from(&bytes)?;
    updated(app.registry.set_config_contract(None, l, p, &c)?)
}

async fn delete_global_config(State(app): State<App>) -> Answer {
    let policy = app.registry.policy(None, true);
    let contract = app.registry.config_contract(None, true);
    level(Some(app.registry.delete_config(None)?), policy, &contract)
}

async fn get_config(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    let to_global = flag(&q, "defaultToGlobal");
    let policy = app.registry.policy(Some(&subject), to_global);
    let contract = app.registry.config_contract(Some(&subject), to_global);
    match app.registry.config(Some(&subject), to_global) {
        Ok(l) => level(Some(l), policy, &contract),
        // The subject's config holds other settings only.
        Err(e)
            if e.code == ErrorCode::SubjectCompatibilityNotConfigured
                && (policy.is_some() || !contract.is_empty()) =>
        {
            level(None, policy, &contract)
        }
        Err(e) => Err(e),
    }
}

async fn put_config(State(app): State<App>, Path(subject): Path<String>, bytes: Bytes) -> Answer {
    let (l, p, c) = config_from(&bytes)?;
    updated(app.registry.set_config_contract(Some(&subject), l, p, &c)?)
}

async fn delete_config(State(app): State<App>, Path(subject): Path<String>) -> Answer {
    let policy = app.registry.policy(Some(&subject), false);
    let contract = app.registry.config_contract(Some(&subject), false);
    level(
        Some(app.registry.delete_config(Some(&subject))?),
        policy,
        &contract,
    )
}
