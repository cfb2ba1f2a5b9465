//! The routes of schemas by id and GUID (`/schemas/…`). They need only credentials: ids are
//! shared between subjects, so the handlers answer only what the caller may read.

use axum::extract::{Path, State};

use super::{ok, raw, schema_text, with_contract, Answer, App, Route, Who, Q};
use crate::authz::Permission::Authenticated;
use crate::authz::Principal;
use crate::core::ApiError;
use schemaflow::registry::protocol::{ErrorCode, SchemaResponse, SubjectVersion};

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/schemas/types", Authenticated, || async {
            ok(&["JSON", "PROTOBUF", "AVRO"])
        }),
        Route::get("/schemas/ids/{id}", Authenticated, schema_by_id),
        Route::get("/schemas/ids/{id}/schema", Authenticated, raw_schema_by_id),
        Route::get("/schemas/ids/{id}/subjects", Authenticated, id_subjects),
        Route::get("/schemas/ids/{id}/versions", Authenticated, id_versions),
        Route::get("/schemas/guids/{guid}", Authenticated, schema_by_guid),
    ]
}

fn parse_id(id: &str) -> Result<u32, ApiError> {
    id.parse()
        .map_err(|_| ApiError::new(ErrorCode::SchemaNotFound, format!("Schema {id} not found")))
}

/// Ids are served only to callers who may read a subject using them (else 40403, as if the
/// id did not exist, so ids cannot be probed). Answers the readable (subject, version)s.
fn readable_id(
    app: &App,
    who: &Principal,
    id: u32,
    deleted: bool,
) -> Result<Vec<(String, i32)>, ApiError> {
    let all = app.registry.id_versions(id, true)?;
    if !who.unrestricted() && !all.iter().any(|(s, _)| who.may_read(s)) {
        return Err(ApiError::new(
            ErrorCode::SchemaNotFound,
            format!("Schema {id} not found"),
        ));
    }
    Ok(app
        .registry
        .id_versions(id, deleted)?
        .into_iter()
        .filter(|(s, _)| who.may_read(s))
        .collect())
}

async fn schema_by_id(State(app): State<App>, who: Who, Path(id): Path<String>, q: Q) -> Answer {
    let id = parse_id(&id)?;
    readable_id(&app, &who, id, true)?;
    let s = app.registry.schema_by_id(id)?;
    let mut answer = SchemaResponse::new(
        schema_text(&app, &s, &q)?,
        s.schema_type,
        s.references.clone(),
    );
    answer.guid = Some(s.guid.clone());
    Ok(with_contract(&answer, &s))
}

async fn raw_schema_by_id(
    State(app): State<App>,
    who: Who,
    Path(id): Path<String>,
    q: Q,
) -> Answer {
    let id = parse_id(&id)?;
    readable_id(&app, &who, id, true)?;
    let s = app.registry.schema_by_id(id)?;
    raw(schema_text(&app, &s, &q)?)
}

async fn schema_by_guid(
    State(app): State<App>,
    who: Who,
    Path(guid): Path<String>,
    q: Q,
) -> Answer {
    let s = app.registry.schema_by_guid(&guid)?;
    readable_id(&app, &who, s.id, true).map_err(|_| {
        ApiError::new(
            ErrorCode::SchemaNotFound,
            format!("Schema {guid} not found"),
        )
    })?;
    let mut answer = SchemaResponse::new(
        schema_text(&app, &s, &q)?,
        s.schema_type,
        s.references.clone(),
    );
    answer.id = Some(s.id);
    Ok(with_contract(&answer, &s))
}

async fn id_subjects(State(app): State<App>, who: Who, Path(id): Path<String>, q: Q) -> Answer {
    let mut subjects: Vec<String> =
        readable_id(&app, &who, parse_id(&id)?, super::flag(&q, "deleted"))?
            .into_iter()
            .map(|(s, _)| s)
            .collect();
    subjects.dedup();
    Ok(ok(&subjects))
}

async fn id_versions(State(app): State<App>, who: Who, Path(id): Path<String>, q: Q) -> Answer {
    let vs: Vec<SubjectVersion> =
        readable_id(&app, &who, parse_id(&id)?, super::flag(&q, "deleted"))?
            .into_iter()
            .map(|(subject, version)| SubjectVersion { subject, version })
            .collect();
    Ok(ok(&vs))
}
