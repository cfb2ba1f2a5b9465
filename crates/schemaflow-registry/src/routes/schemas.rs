//! The routes of schemas by id and GUID (`/schemas/…`) and the list of every version
//! (`/schemas`). They need only credentials: ids are shared between subjects, so the handlers
//! answer only what the caller may read.

use axum::extract::{Path, State};

use super::{flag, ok, raw, schema_text, with_contract, Answer, App, Route, Who, Q};
use crate::authz::Permission::Authenticated;
use crate::authz::Principal;
use crate::core::ApiError;
use schemaflow::registry::protocol::{
    ErrorCode, SchemaResponse, SubjectVersion, SubjectVersionResponse,
};

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::get("/schemas", Authenticated, list),
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

/// `GET /schemas?subjectPrefix=&deleted=&latestOnly=&offset=&limit=`: Confluent's list of
/// schemas — one entry per (subject, version) the caller may read, shaped like
/// `GET /subjects/{subject}/versions/{version}`, in subject then version order; a
/// soft-deleted version (listed with `deleted=true`) carries `"deleted": true`, as
/// Confluent's `Schema` entity does. `offset` and `limit` page the list (`limit` below 1:
/// all). The web page builds its subject list from this one call.
async fn list(State(app): State<App>, who: Who, q: Q) -> Answer {
    let prefix = q.get("subjectPrefix").map(String::as_str).unwrap_or("");
    let number = |name: &str| -> Result<i64, ApiError> {
        match q.get(name) {
            None => Ok(0),
            Some(v) => v.parse().map_err(|_| {
                ApiError::new(
                    ErrorCode::Other(400),
                    format!("Query parameter {name} must be an integer, not '{v}'"),
                )
            }),
        }
    };
    let offset = usize::try_from(number("offset")?.max(0)).unwrap_or(usize::MAX);
    let limit = match number("limit")? {
        l if l < 1 => usize::MAX,
        l => usize::try_from(l).unwrap_or(usize::MAX),
    };
    let mut out = Vec::new();
    for (r, deleted, stored) in app
        .registry
        .list_versions(prefix, flag(&q, "deleted"), flag(&q, "latestOnly"))
        .into_iter()
        .filter(|(r, _, _)| who.may_read(&r.subject))
        .skip(offset)
        .take(limit)
    {
        let mut v = serde_json::to_value(SubjectVersionResponse::new(
            &r,
            schema_text(&app, &stored, &q)?,
        ))
        .unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            if let Some(m) = &stored.metadata {
                o.insert(
                    "metadata".into(),
                    serde_json::to_value(m).unwrap_or_default(),
                );
            }
            if let Some(rs) = &stored.rule_set {
                o.insert(
                    "ruleSet".into(),
                    serde_json::to_value(rs).unwrap_or_default(),
                );
            }
            if deleted {
                o.insert("deleted".into(), true.into());
            }
        }
        out.push(v);
    }
    Ok(ok(&out))
}
