//! The compatibility checks (`/compatibility/subjects/{subject}/versions[/{version}]`): they
//! change nothing, so they need `Read` on the subject.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{contract_request, flag, ok, parse_version, schema_request, Answer, App, Route, Q};
use crate::authz::Permission::Read;
use crate::authz::Scope::Subject;
use schemaflow::registry::protocol::CompatibilityCheckResponse;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::post(
            "/compatibility/subjects/{subject}/versions/{version}",
            Read(Subject),
            compat_version,
        ),
        Route::post(
            "/compatibility/subjects/{subject}/versions",
            Read(Subject),
            compat_all,
        ),
    ]
}

async fn compat_version(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
    q: Q,
    bytes: Bytes,
) -> Answer {
    let (schema, _) = schema_request(&bytes)?;
    let contract = contract_request(&bytes)?;
    let r = app.registry.check_compatibility_contract(
        &subject,
        Some(parse_version(&v)?),
        &schema,
        &contract,
    )?;
    Ok(ok(&CompatibilityCheckResponse::new(r, flag(&q, "verbose"))))
}

async fn compat_all(
    State(app): State<App>,
    Path(subject): Path<String>,
    q: Q,
    bytes: Bytes,
) -> Answer {
    let (schema, _) = schema_request(&bytes)?;
    let contract = contract_request(&bytes)?;
    let r = app
        .registry
        .check_compatibility_contract(&subject, None, &schema, &contract)?;
    Ok(ok(&CompatibilityCheckResponse::new(r, flag(&q, "verbose"))))
}
