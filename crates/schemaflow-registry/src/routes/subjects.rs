//! The routes of subjects and their versions (`/subjects/…`): reading a subject needs
//! `Read` on it, registering and deleting `Write`.

use axum::body::Bytes;
use axum::extract::{Path, State};

use axum::extract::Query;

use super::{
    contract_request, flag, ok, parse_version, raw, schema_request, schema_text, with_contract,
    Answer, App, Route, Who, Q,
};
use crate::authz::Permission::{Authenticated, Read, Write};
use crate::authz::Scope::Subject;
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
        Route::get(
            "/subjects/{subject}/versions/{version}/referencedby",
            Read(Subject),
            referenced_by,
        ),
        Route::get(
            "/subjects/{subject}/metadata",
            Read(Subject),
            latest_with_metadata,
        ),
    ]
}

/// The answer about `r`, its schema in the format asked for, with the metadata and rule set
/// of its id.
fn subject_version(app: &App, r: &RegisteredSchema, q: &Q) -> Answer {
    let stored = app.registry.schema_by_id(r.id.0)?;
    Ok(with_contract(
        &SubjectVersionResponse::new(r, schema_text(app, &stored, q)?),
        &stored,
    ))
}

async fn subjects(State(app): State<App>, who: Who, q: Q) -> Answer {
    let prefix = q.get("subjectPrefix").map(String::as_str).unwrap_or("");
    // deletedOnly wins over deleted, as Confluent's SubjectsResource.list picks its filter.
    let all = if flag(&q, "deletedOnly") {
        app.registry.deleted_subjects()
    } else {
        app.registry.subjects(flag(&q, "deleted"))
    };
    let list: Vec<String> = all
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
    let contract = contract_request(&bytes)?;
    let r =
        app.registry
            .register_contract(&subject, &schema, &contract, id, flag(&q, "normalize"))?;
    if !r.modified {
        return Ok(ok(&RegisterResponse {
            guid: r.schema.guid,
            id: r.schema.id.0,
        }));
    }
    // Confluent's RegisterSchemaResponse of a schema the registry filled in: the whole
    // version, so the client learns the metadata and rules it now has.
    let answer = SubjectVersionResponse::new(&r.schema, r.stored.schema.clone());
    let mut v = serde_json::to_value(&answer).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("subject");
    }
    Ok(with_contract(&v, &r.stored))
}

/// `GET /subjects/{subject}/metadata?key=K&value=V[&key=…&value=…][&deleted=true]`: the
/// latest version whose metadata holds the pairs (keys and values paired in order, as
/// Confluent's `SubjectsResource.getLatestWithMetadata`).
async fn latest_with_metadata(
    State(app): State<App>,
    Path(subject): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    q: Q,
) -> Answer {
    let keys = pairs
        .iter()
        .filter(|(k, _)| k == "key")
        .map(|(_, v)| v.clone());
    let values = pairs
        .iter()
        .filter(|(k, _)| k == "value")
        .map(|(_, v)| v.clone());
    let wanted: Vec<(String, String)> = keys.zip(values).collect();
    let r = app
        .registry
        .latest_with_metadata(&subject, &wanted, flag(&q, "deleted"))?;
    subject_version(&app, &r, &q)
}

async fn lookup(State(app): State<App>, Path(subject): Path<String>, q: Q, bytes: Bytes) -> Answer {
    let (schema, _) = schema_request(&bytes)?;
    let contract = contract_request(&bytes)?;
    let r = app.registry.lookup_contract(
        &subject,
        &schema,
        &contract,
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
    if flag(&q, "deletedOnly") {
        return Ok(ok(&app.registry.deleted_versions(&subject)?));
    }
    Ok(ok(&app.registry.versions(&subject, flag(&q, "deleted"))?))
}

async fn referenced_by(
    State(app): State<App>,
    Path((subject, v)): Path<(String, String)>,
) -> Answer {
    Ok(ok(&app
        .registry
        .referenced_by(&subject, parse_version(&v)?)?))
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
