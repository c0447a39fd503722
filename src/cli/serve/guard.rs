//! What keeps untrusted requests in bounds: request errors as JSON, bodies read as
//! JSON with a 400 that says what is wrong, the concurrency limit, the request timeout,
//! and renders on the blocking pool so that a slow template never stalls the runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::App;

/// What kind of request error: the `kind` of every non-2xx answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ErrorKind {
    /// 400: the body is not JSON, or not the request the route takes.
    BadRequest,
    /// 404: no such route.
    NotFound,
    /// 405: the route does not take this method.
    MethodNotAllowed,
    /// 413: the body is larger than the service takes.
    PayloadTooLarge,
    /// 503: as many requests as the service takes are in progress; retry later.
    Busy,
    /// 504: the request took longer than the service allows.
    Timeout,
    /// 500: a bug; the message says no more than that.
    Internal,
}

impl ErrorKind {
    fn status(self) -> StatusCode {
        match self {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A request that the service does not answer with a result: `{"kind", "message"}`.
/// A message that fails to render is not one of these: it is a `failed` outcome, 200.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ApiError {
    /// What kind of error.
    pub kind: ErrorKind,
    /// What is wrong, in one line.
    #[schema(example = "missing field `record` (or `records`)")]
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::BadRequest, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.kind.status(), json_body(&self)).into_response();
        if self.kind == ErrorKind::Busy {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// A JSON response body from text the library made.
pub(crate) fn json_text(text: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text,
    )
        .into_response()
}

fn json_body<T: Serialize>(value: &T) -> Response {
    json_text(promo_liquid::requests::to_json(value))
}

/// A JSON response of a typed value, as the CLI prints it.
pub(crate) struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        json_body(&self.0)
    }
}

/// A request body read as JSON. Any problem is a JSON [`ApiError`]: 413 past the body
/// limit, else 400 naming what is wrong and where (`records[2]: invalid type: ...`).
/// The content type is not checked: `curl -d` sends a form type, and the body
/// decides.
pub(crate) struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorKind::PayloadTooLarge,
                    "the request body is larger than the service takes (--max-body-bytes)",
                )
            } else {
                ApiError::bad_request(format!("cannot read the request body: {e}"))
            }
        })?;
        parse(&bytes).map(Body)
    }
}

/// Parses a request body, naming the place of what is wrong.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => {
            return Err(ApiError::bad_request(
                "the request body is empty: expected a JSON object",
            ));
        }
        // Serde would read a struct from an array too, and then speak of `[0]`.
        Some(b'{') => {}
        Some(_) => {
            return Err(ApiError::bad_request(
                "the request body is not a JSON object",
            ));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            ApiError::bad_request(format!("the request body is not valid: {inner}"))
        } else {
            ApiError::bad_request(format!("{path}: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid: {e}")))?;
    Ok(value)
}

/// Runs `work` on the blocking pool under one of the service's permits: 503 at once
/// when every permit is taken. `work` gets a flag that turns true when the request is
/// given up (timed out, or the client went away), to stop between records.
pub(crate) async fn run_blocking<T: Send + 'static>(
    app: &App,
    work: impl FnOnce(&AtomicBool) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let permit = app.permits.clone().try_acquire_owned().map_err(|_| {
        ApiError::new(
            ErrorKind::Busy,
            format!(
                "the service is busy: {} requests are in progress (--max-concurrent); retry shortly",
                app.limits.max_concurrent
            ),
        )
    })?;
    let cancelled = Arc::new(AtomicBool::new(false));
    // Dropped with this future when the request times out or the client goes away.
    let _cancel_on_drop = CancelOnDrop(cancelled.clone());
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work(&cancelled)
    });
    task.await
        .map_err(|_| ApiError::new(ErrorKind::Internal, "the request failed unexpectedly"))
}

struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Answers 504 when a request takes longer than the configured timeout.
pub(crate) async fn timeout(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let limit = app.limits.timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorKind::Timeout,
            format!(
                "the request took longer than {} s (--timeout)",
                limit.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

/// 404 for routes that do not exist, as JSON.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(ErrorKind::NotFound, "no such route: see /v1/openapi.json")
}

/// 405 for methods a route does not take, as JSON.
pub(crate) async fn method_not_allowed(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allow = response.headers().get(header::ALLOW).cloned();
        let mut error = ApiError::new(
            ErrorKind::MethodNotAllowed,
            "this route does not take that method",
        )
        .into_response();
        if let Some(allow) = allow {
            error.headers_mut().insert(header::ALLOW, allow);
        }
        return error;
    }
    response
}
