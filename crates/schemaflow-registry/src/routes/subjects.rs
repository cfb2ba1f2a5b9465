//! The routes of subjects and their versions (`/subjects/…`): reading a subject needs
//! `Read` on it, registering and deleting `Write`.

use axum::body::Bytes;
use axum::extract::{Path, State};

use super::{
    flag, ok, parse_version, raw, schema_request, schema_text, Answer, App, Route, Who, Q,
};
use crate::authz::Permission::{Authenticated, Read, Write};
use crate::authz::Scope::Subject;
use crate::event::StoredSchema;
use schemaflow::registry::protocol::{RegisterResponse, SubjectVersionResponse};
use schemaflow::registry::types::RegisteredSchema;

pub(super) fn routes() -> Vec<Route> {
    vec![
        // Lists only the subjects the caller may read.
        Route::get("/subjects", Authenticated, subjects),
        Route::post("/subjects/{subject}", Read(Subject), lookup),
        Route::delete("/subjects/{subject}", Write(Subject), delete_subject),
        Route::get("/subjects/{subject}/versions", Read(Subject), versions),
        Route::post("/subjects/{subject}/versions", Write(Subject), register),
        Route::get(
            "/subjects/{subject}/versions/{version}",
            Read(Subject),
            version,
        ),
        Route::delete(
            "/subjects/{subject}/versions/{version}",
            Write(Subject),
            delete_version,
        ),
        Route::get(
            "/subjects/{subject}/versions/{version}/schema",
            Read(Subject),
            raw_version,
        ),
    ]
}

/// The answer about `r`, its schema in the format asked for.
fn subject_version(app: &App, r: &RegisteredSchema, q: &Q) -> Answer {
    let stored = StoredSchema {
        id: r.id.0,
        schema_type: r.schema.schema_type,
        schema: r.schema.schema.clone(),
        references: r.schema.references.clone(),
        guid: r.guid.clone().unwrap_or_default(),
    };
    Ok(ok(&SubjectVersionResponse::new(
        r,
        schema_text(app, &stored, q)?,
    )))
}

async fn subjects(State(app): State<App>, who: Who, q: Q) -> Answer {
    let prefix = q.get("subjectPrefix").map(String::as_str).unwrap_or("");
    let list: Vec<String> = app
        .registry
        .subjects(flag(&q, "deleted"))
        .into_iter()
        .filter(|s| s.starts_with(prefix) && who.may_read(s))
        .collect();
    Ok(ok(&list))
}

async fn register(
    State(app): State<App>,
    Path(subject): Path<String>,
    q: Q,
    bytes: Bytes,
) -> Answer {
    let (schema, id) = schema_request(&bytes)?;
    let r = app
        .registry
        .register_with(&subject, &schema, id, flag(&q, "normalize"))?;
    Ok(ok(&RegisterResponse {
        guid: r.guid,
        id: r.id.0,
    }))
}

async fn lookup(State(app): State<App>, Path(subject): Path<String>, q: Q, bytes: Bytes) -> Answer {
    let (schema, _) = schema_request(&bytes)?;
    let r = app.registry.lookup_with(
        &subject,
        &schema,
        flag(&q, "deleted"),
        flag(&q, "normalize"),
    )?;
    subject_version(&app, &r, &q)
}

async fn delete_subject(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    Ok(ok(&app
        .registry
        .delete_subject(&subject, flag(&q, "permanent"))?))
}

async fn versions(State(app): State<App>, Path(subject): Path<String>, q: Q) -> Answer {
    Ok(ok(&app.registry.versions(&subject, flag(&q, "deleted"))?))
}

async fn version(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
    q: Q,
) -> Answer {
    let r = app
        .registry
        .version(&subject, parse_version(&v)?, flag(&q, "deleted"))?;
    subject_version(&app, &r, &q)
}

async fn raw_version(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
    q: Q,
) -> Answer {
    let r = app
        .registry
        .version(&subject, parse_version(&v)?, flag(&q, "deleted"))?;
    let s = app.registry.schema_by_id(r.id.0)?;
    raw(schema_text(&app, &s, &q)?)
}

async fn delete_version(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
    q: Q,
) -> Answer {
    Ok(ok(&app.registry.delete_version(
        &subject,
        parse_version(&v)?,
        flag(&q, "permanent"),
    )?))
}
