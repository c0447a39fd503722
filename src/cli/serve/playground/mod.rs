//! The playground: a page at `/` where authors write a message and see it render as
//! they type. Three small static files, embedded in the binary; no framework.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::guard::{ApiError, ErrorKind};

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("style.css");

/// `GET /`: the page.
pub(crate) async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX)
}

/// `GET /playground/{file}`: its script and style.
pub(crate) async fn file(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "app.js" => asset("text/javascript; charset=utf-8", SCRIPT),
        "style.css" => asset("text/css; charset=utf-8", STYLE),
        _ => ApiError::new(ErrorKind::NotFound, format!("no playground file {file:?}"))
            .into_response(),
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
