//! The web page (`GET /ui/`): hand-written HTML, CSS and JavaScript modules embedded in the
//! binary (no CDN, no front-end toolchain: the page works offline and what runs is what is in
//! `assets/`). The page holds no data of its own: it calls the registry's REST API from the
//! browser with the user's credentials, so the API's authentication and authorization apply
//! to it unchanged. The assets themselves carry no data and are served without credentials
//! (the page asks for them when an API call answers 401).
//!
//! One concern per asset: `api.js` (calls, credentials, errors), `app.js` (views by URL
//! fragment), `subjects.js`, `subject.js`, `diff.js`, `check.js`, `config.js`, `show.js`
//! (pretty-printing and highlighting), `style.css`.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// The embedded files: name, content type, bytes.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("assets/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("assets/style.css"),
    ),
    ("app.js", JS, include_str!("assets/app.js")),
    ("api.js", JS, include_str!("assets/api.js")),
    ("show.js", JS, include_str!("assets/show.js")),
    ("subjects.js", JS, include_str!("assets/subjects.js")),
    ("subject.js", JS, include_str!("assets/subject.js")),
    ("diff.js", JS, include_str!("assets/diff.js")),
    ("check.js", JS, include_str!("assets/check.js")),
    ("config.js", JS, include_str!("assets/config.js")),
];

const JS: &str = "text/javascript; charset=utf-8";

/// What the page may load: its own files and the registry's API, nothing inline (schema
/// texts are user content; the scripts insert them as text, and this is the second guard).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The routes of the page: `/ui` (redirects), `/ui/` and `/ui/{asset}`.
pub(crate) fn router() -> Router {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(|| async { asset("index.html") }))
        .route(
            "/ui/{asset}",
            get(|Path(name): Path<String>| async move { asset(&name) }),
        )
}

fn asset(name: &str) -> Response {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "HTTP 404 Not Found").into_response();
    };
    let mut r = (StatusCode::OK, *body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Small files, and a new binary may serve new ones: the browser asks again each time.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_served() {
        for (name, _, text) in ASSETS {
            for line in text
                .lines()
                .filter(|l| l.trim_start().starts_with("import "))
            {
                let target = line
                    .rsplit_once("from ")
                    .map(|(_, t)| t.trim().trim_end_matches(';').trim_matches(['"', '\'']))
                    .and_then(|t| t.strip_prefix("./"))
                    .unwrap_or_else(|| panic!("{name}: import not relative: {line}"));
                assert!(
                    ASSETS.iter().any(|(n, _, _)| *n == target),
                    "{name} imports {target}, which is not embedded"
                );
            }
        }
        assert_eq!(asset("nope.js").status(), StatusCode::NOT_FOUND);
        assert_eq!(asset("app.js").status(), StatusCode::OK);
    }
}
