//! The `/v1` routes, their request and response types, and the OpenAPI document that
//! utoipa generates from them (`/v1/openapi.json`).
//!
//! Every answer is what [`promo_liquid::requests`] returns, as [`requests::to_json`]
//! prints it: a render is the outcome object of `render --format json`, a lint the
//! report of `lint --format json`, a preview that of `preview --format json`. A
//! message that fails (does not compile, a bad record, a limit) is a `failed` outcome
//! with status 200; only a request the service cannot take is an [`ApiError`].
//!
//! Two bounds the CLI does not have, for requests from strangers: an outcome lists at
//! most [`MAX_WARNINGS`] warnings (`warnings_omitted` counts the rest), and the
//! outcomes of one request may take at most `--max-response-bytes` of JSON (an
//! outcome past that is a `limit_exceeded` failure instead). Neither touches an
//! ordinary answer, which stays the CLI's byte for byte.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset};
use promo_liquid::lint::preview::Preview;
use promo_liquid::liquid::Environment;
use promo_liquid::message::{Channel, FailureKind, Outcome, Rules};
use promo_liquid::promo::Settings;
use promo_liquid::promo::schema::EventKind;
use promo_liquid::requests::{self, FilterReport, LintReport, RenderOptions, SchemaReport, Source};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use utoipa::{OpenApi, ToSchema};

use super::guard::{self, ApiError, Body, Json, json_text, run_blocking};
use super::{App, metrics, playground};

/// A record: one JSON object, as an input line holds it.
type RawRecord = Box<RawValue>;

/// `POST /v1/render`: a message (or a bare template) and a record (or several).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenderRequest {
    /// The TOML text of a message file. Give this or `template`.
    #[schema(
        example = "event = \"CT Points Credited\"\nchannel = \"sms\"\n\n[fields]\nbody = \"+{{ Event.Points }} points\"\n"
    )]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    message: Option<String>,
    /// A bare Liquid template, rendered as one field, `text`, for any event.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    template: Option<String>,
    /// The file name errors show (default `message.toml`, or `template.liquid`).
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    name: Option<String>,
    /// The record to render for: one JSON object in CleverTap's upload shape plus the
    /// profile. Give this or `records`.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, value_type = Option<Object>, example = json!({"evtName": "CT Points Credited", "evtData": {"points": 20}}))]
    record: Option<RawRecord>,
    /// The record's name (a file name), when it has one: a record that cannot be read
    /// fails with `record NAME: ...`, as `render --record NAME` says it.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, example = "templates/records/points-credited.json")]
    record_name: Option<String>,
    /// Several records, each rendered on its own, outcomes in the same order (at most
    /// `--max-records`, default 100).
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, value_type = Option<Vec<Object>>, max_items = 100)]
    records: Option<Vec<RawRecord>>,
    /// Fail when an undefined value is output without a `default`.
    #[serde(default)]
    strict: bool,
    /// Accept a record that lacks properties its event requires (a partial feed).
    #[serde(default)]
    allow_missing: bool,
    /// The most segments an SMS may take; a longer one fails with
    /// `too_many_segments` (default 10).
    #[serde(default, deserialize_with = "present_count")]
    #[schema(nullable = false, minimum = 1, maximum = 65535)]
    max_segments: Option<u16>,
    /// The account's time zone, an IANA name (default `UTC`).
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, example = "Asia/Kolkata")]
    tz: Option<String>,
    /// Render as if it were this moment (RFC 3339): what `now`, `date` and
    /// `days_until` see.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, format = DateTime, example = "2026-10-30T09:00:00+05:30")]
    now: Option<String>,
}

/// The answer to a render: the outcome, or for `records` every outcome in order.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum RenderResponse {
    /// For `record`: the outcome object, exactly as `render --format json` prints it.
    #[expect(
        dead_code,
        reason = "the handler writes the outcome as the CLI does; this variant documents it"
    )]
    One(Box<Answer>),
    /// For `records`.
    Many(Outcomes),
}

/// The outcomes of a `records` request, in order.
#[derive(Serialize, ToSchema)]
pub(crate) struct Outcomes {
    /// One per record.
    outcomes: Vec<Answer>,
}

/// The most warnings an outcome lists in an answer. An editor shows a few; a template
/// that outputs 200,000 undefined paths would otherwise answer 40 MB of them.
pub(crate) const MAX_WARNINGS: usize = 100;

/// An outcome as the service answers it: the outcome object of `render --format
/// json`, listing its first 100 warnings at most.
#[derive(Serialize, ToSchema)]
pub(crate) struct Answer {
    #[serde(flatten)]
    outcome: Outcome,
    /// The warnings past the first 100, counted but not listed; absent when there are
    /// none (and then the object is the CLI's byte for byte).
    #[serde(skip_serializing_if = "is_zero")]
    #[schema(minimum = 1)]
    warnings_omitted: usize,
}

impl Answer {
    fn new(mut outcome: Outcome) -> Answer {
        let warnings_omitted = cap_warnings(&mut outcome);
        Answer {
            outcome,
            warnings_omitted,
        }
    }
}

/// Cuts an outcome's warnings to [`MAX_WARNINGS`]; how many it cut.
fn cap_warnings(outcome: &mut Outcome) -> usize {
    match outcome {
        Outcome::Rendered { warnings, .. } => {
            let omitted = warnings.len().saturating_sub(MAX_WARNINGS);
            warnings.truncate(MAX_WARNINGS);
            omitted
        }
        Outcome::Aborted { .. } | Outcome::Failed(_) => 0,
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The answer to a preview: `preview --format json`, each preview's warnings cut as a
/// render's are.
#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewAnswer {
    /// The message's name.
    message: String,
    /// Its channel; `null` for a bare template.
    channel: Option<Channel>,
    /// One preview per sample, or the one for the record given.
    previews: Vec<PreviewItem>,
}

/// A preview as `preview --format json` prints it, listing its first 100 warnings at
/// most.
#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewItem {
    #[serde(flatten)]
    preview: Preview,
    /// The warnings past the first 100, counted but not listed; absent when there are
    /// none.
    #[serde(skip_serializing_if = "is_zero")]
    #[schema(minimum = 1)]
    warnings_omitted: usize,
}

/// What the outcomes of one request may still take: `--max-response-bytes` of JSON,
/// each outcome counted as `render --format json` prints it alone.
struct ResponseBudget {
    max: usize,
    left: usize,
}

impl ResponseBudget {
    fn new(max: usize) -> ResponseBudget {
        ResponseBudget { max, left: max }
    }

    /// Takes `value`'s size from what is left, or says why it does not fit.
    fn take<T: Serialize>(&mut self, value: &T) -> Result<(), TooLarge> {
        self.take_bytes(json_size(value))
    }

    fn take_bytes(&mut self, size: usize) -> Result<(), TooLarge> {
        if size <= self.left {
            self.left -= size;
            return Ok(());
        }
        Err(TooLarge {
            size,
            left: self.left,
            max: self.max,
        })
    }
}

/// An outcome that does not fit in what is left of the answer.
struct TooLarge {
    size: usize,
    left: usize,
    max: usize,
}

impl TooLarge {
    /// The `limit_exceeded` failure that stands in its place.
    fn outcome(&self) -> Outcome {
        Outcome::failed(
            FailureKind::LimitExceeded,
            format!(
                "not answered: this outcome is {} bytes of JSON and the answer may hold {} more of its {} (--max-response-bytes); send fewer records a request, or render it with the CLI",
                self.size, self.left, self.max
            ),
        )
    }
}

/// The size of `value` as [`requests::to_json`] prints it, without printing it.
fn json_size<T: Serialize>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let mut ser =
        serde_json::Serializer::with_formatter(&mut count, serde_json::ser::PrettyFormatter::new());
    // As in `to_json`, our types always serialize.
    let _ = value.serialize(&mut ser);
    count.0 + 1
}

/// `POST /v1/lint`: a message or a bare template, checked against the schema.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LintRequest {
    /// The TOML text of a message file. Give this or `template`.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    message: Option<String>,
    /// A bare Liquid template.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    template: Option<String>,
    /// The file name the report shows (default `message.toml`, or `template.liquid`).
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    name: Option<String>,
    /// For a template: the events it is for (default any).
    #[serde(default)]
    #[schema(example = json!(["CT Coupon Rewarded"]))]
    events: Vec<String>,
}

/// `POST /v1/preview`: a message rendered for the schema's sample records of its
/// events (or for one record), with the channel checks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewRequest {
    /// The TOML text of a message file. Give this or `template`.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    message: Option<String>,
    /// A bare Liquid template.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    template: Option<String>,
    /// The file name errors show.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    name: Option<String>,
    /// Preview for this record instead of the samples.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, value_type = Option<Object>)]
    record: Option<RawRecord>,
    /// For a template: the event to make samples of (default all six).
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, example = "CT Coupon Rewarded")]
    event: Option<String>,
    /// The account's time zone, an IANA name (default `UTC`).
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    tz: Option<String>,
    /// Preview as if it were this moment (RFC 3339; default the clock). Sample dates
    /// are a week later.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, format = DateTime)]
    now: Option<String>,
}

/// An optional field that, when given, is not `null`: the document says so, and a
/// `null` is a 400 naming the field rather than a silent default.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    de: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(de).map(Some)
}

/// A count that, when given, is a whole number in range: JSON Schema calls `3.0` an
/// integer, so it is one here too.
fn present_count<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<u16>, D::Error> {
    use serde::de::Error;
    let number = serde_json::Number::deserialize(de)?;
    let whole = number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u16::MAX))
            .map(|f| f as u64)
    });
    whole
        .and_then(|n| u16::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| {
            D::Error::custom(format!(
                "expected a whole number from 1 to 65535, found {number}"
            ))
        })
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok` while the service answers.
    #[schema(example = "ok")]
    status: &'static str,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "promo-liquid preview service",
        description = "Render, lint and preview Liquid campaign messages for promo events. Answers are what the promo-liquid CLI prints with --format json."
    ),
    paths(
        render,
        lint,
        preview,
        schema,
        filters,
        healthz,
        metrics_text,
        openapi_json
    ),
    components(schemas(ApiError))
)]
struct ApiDoc;

/// The service's routes.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/render", post(render))
        .route("/v1/lint", post(lint))
        .route("/v1/preview", post(preview))
        .route("/v1/schema", get(schema))
        .route("/v1/filters", get(filters))
        .route("/v1/openapi.json", get(openapi_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/", get(playground::index))
        .route("/playground/{file}", get(playground::file))
        .fallback(guard::not_found)
        .layer(middleware::from_fn_with_state(app.clone(), guard::timeout))
        .layer(middleware::from_fn(guard::method_not_allowed))
        .layer(middleware::from_fn_with_state(app.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(app.limits.max_body_bytes))
        .with_state(app)
}

/// Which source a request names, with its default name.
fn source<'a>(
    message: &'a Option<String>,
    template: &'a Option<String>,
    name: &'a Option<String>,
) -> Result<Source<'a>, ApiError> {
    match (message, template) {
        (Some(text), None) => Ok(Source::Message {
            name: name.as_deref().unwrap_or("message.toml"),
            text,
        }),
        (None, Some(text)) => Ok(Source::Template {
            name: name.as_deref().unwrap_or("template.liquid"),
            text,
        }),
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "give `message` or `template`, not both",
        )),
        (None, None) => Err(ApiError::bad_request(
            "missing field `message` (the TOML text of a message) or `template` (Liquid)",
        )),
    }
}

fn zone(tz: Option<&str>) -> Result<chrono_tz::Tz, ApiError> {
    tz.map_or(Ok(chrono_tz::UTC), |name| {
        super::super::parse_zone(name).map_err(|e| ApiError::bad_request(format!("tz: {e}")))
    })
}

fn now(now: Option<&str>) -> Result<Option<DateTime<FixedOffset>>, ApiError> {
    now.map(|text| {
        super::super::parse_now(text).map_err(|e| ApiError::bad_request(format!("now: {e}")))
    })
    .transpose()
}

/// A record must be a JSON object; its content is the library's to judge.
fn check_record(what: &str, record: &RawValue) -> Result<(), ApiError> {
    if record.get().trim_start().starts_with('{') {
        Ok(())
    } else {
        let found: String = record.get().chars().take(40).collect();
        Err(ApiError::bad_request(format!(
            "{what}: expected a JSON object (a record), found {found}"
        )))
    }
}

/// Renders a message or a bare template for a record, or for each of `records`.
///
/// The body of a `record` request is byte for byte what `promo-liquid render
/// --format json` prints for the same message, record and options.
#[utoipa::path(
    post,
    path = "/v1/render",
    tag = "render",
    request_body = RenderRequest,
    responses(
        (status = 200, description = "The outcome: rendered, aborted or failed (a message that does not compile or a record that is not valid is a failed outcome)", body = RenderResponse),
        (status = 400, description = "Not a render request", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "Too many requests in progress; retry", body = ApiError),
        (status = 504, description = "The request took too long", body = ApiError),
    )
)]
async fn render(
    State(app): State<Arc<App>>,
    Body(req): Body<RenderRequest>,
) -> Result<Response, ApiError> {
    source(&req.message, &req.template, &req.name)?;
    let options = RenderOptions {
        settings: Settings {
            time_zone: zone(req.tz.as_deref())?,
            strict: req.strict,
            allow_missing: req.allow_missing,
            deadline: app.limits.deadline,
        },
        rules: Rules {
            max_sms_segments: match req.max_segments {
                Some(0) => {
                    return Err(ApiError::bad_request(
                        "max_segments: expected at least 1, found 0",
                    ));
                }
                Some(n) => usize::from(n),
                None => Rules::default().max_sms_segments,
            },
            ..Rules::default()
        },
        now: now(req.now.as_deref())?,
    };
    match (&req.record, &req.records) {
        (Some(record), None) => check_record("record", record)?,
        (None, Some(records)) => {
            let max = app.limits.max_records;
            if records.len() > max {
                return Err(ApiError::bad_request(format!(
                    "records: at most {max} records a request (--max-records), found {}",
                    records.len()
                )));
            }
            for (i, record) in records.iter().enumerate() {
                check_record(&format!("records[{i}]"), record)?;
            }
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "give `record` or `records`, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "missing field `record` (a JSON object) or `records` (an array of them)",
            ));
        }
    }
    let shared = app.clone();
    let text = run_blocking(&app, move |cancelled| {
        let app = shared;
        let source = source(&req.message, &req.template, &req.name).expect("checked above");
        let (compiled, hit) = app.cache.get(source, &options, app.snippets.as_ref());
        app.metrics.cache(hit);
        let render_one = |record: &RawValue| {
            let outcome = match &*compiled {
                Ok(message) => {
                    requests::render(message, record.get(), req.record_name.as_deref(), &options)
                }
                Err(failed) => failed.clone(),
            };
            app.metrics.outcome(&outcome);
            Answer::new(outcome)
        };
        let mut budget = ResponseBudget::new(app.limits.max_response_bytes);
        match (&req.record, &req.records) {
            (Some(record), _) => {
                // Printed first, measured after: the common answer is printed once.
                let text = requests::to_json(&render_one(record));
                match budget.take_bytes(text.len()) {
                    Ok(()) => text,
                    Err(too_large) => requests::to_json(&Answer::new(too_large.outcome())),
                }
            }
            (_, records) => {
                let mut outcomes = Vec::new();
                for record in records.iter().flatten() {
                    if cancelled.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let answer = render_one(record);
                    outcomes.push(match budget.take(&answer) {
                        Ok(()) => answer,
                        Err(too_large) => Answer::new(too_large.outcome()),
                    });
                }
                requests::to_json(&RenderResponse::Many(Outcomes { outcomes }))
            }
        }
    })
    .await?;
    Ok(json_text(text))
}

/// Lints a message or a bare template against the schema: the report of `promo-liquid
/// lint --format json` for one file, with byte spans and line:col in the text sent.
#[utoipa::path(
    post,
    path = "/v1/lint",
    tag = "lint",
    request_body = LintRequest,
    responses(
        (status = 200, description = "The findings", body = LintReport),
        (status = 400, description = "Not a lint request", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "Too many requests in progress; retry", body = ApiError),
        (status = 504, description = "The request took too long", body = ApiError),
    )
)]
async fn lint(
    State(app): State<Arc<App>>,
    Body(req): Body<LintRequest>,
) -> Result<Response, ApiError> {
    source(&req.message, &req.template, &req.name)?;
    let events = req
        .events
        .iter()
        .map(|name| requests::event(name))
        .collect::<Result<Vec<EventKind>, String>>()
        .map_err(|e| ApiError::bad_request(format!("events: {e}")))?;
    let snippets = app.snippets.clone();
    let text = run_blocking(&app, move |_| {
        let source = source(&req.message, &req.template, &req.name).expect("checked above");
        let snippets = snippets.as_ref();
        let report = requests::lint_with(
            &[source],
            &events,
            lint_environment(),
            snippets,
            promo_liquid::lint::MAX_FINDINGS,
        );
        requests::to_json(&report)
    })
    .await?;
    Ok(json_text(text))
}

fn lint_environment() -> &'static Environment {
    static ENV: OnceLock<Environment> = OnceLock::new();
    ENV.get_or_init(|| requests::environment(&RenderOptions::default()))
}

/// Renders a message for the schema's sample records of its events (or one record),
/// with the channel checks: `promo-liquid preview --format json`. Each sample comes
/// with its record.
#[utoipa::path(
    post,
    path = "/v1/preview",
    tag = "preview",
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The previews; a message that does not compile is one failed preview", body = PreviewAnswer),
        (status = 400, description = "Not a preview request", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "Too many requests in progress; retry", body = ApiError),
        (status = 504, description = "The request took too long", body = ApiError),
    )
)]
async fn preview(
    State(app): State<Arc<App>>,
    Body(req): Body<PreviewRequest>,
) -> Result<Response, ApiError> {
    source(&req.message, &req.template, &req.name)?;
    let settings = Settings {
        time_zone: zone(req.tz.as_deref())?,
        deadline: app.limits.deadline,
        ..Settings::default()
    };
    let now = now(req.now.as_deref())?.unwrap_or_else(|| chrono::Utc::now().fixed_offset());
    let event = req
        .event
        .as_deref()
        .map(requests::event)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("event: {e}")))?;
    if let Some(record) = &req.record {
        check_record("record", record)?;
    }
    let shared = app.clone();
    let text = run_blocking(&app, move |_| {
        let app = shared;
        let source = source(&req.message, &req.template, &req.name).expect("checked above");
        let options = RenderOptions {
            settings,
            now: Some(now),
            ..RenderOptions::default()
        };
        let (compiled, hit) = app.cache.get(source, &options, app.snippets.as_ref());
        app.metrics.cache(hit);
        let report = match &*compiled {
            Ok(message) => {
                let mut message = message.clone();
                if let (Some(kind), true) = (event, message.events.is_empty()) {
                    message.events = vec![kind];
                }
                let record = req.record.as_deref().map(|r| ("in the request", r.get()));
                requests::preview(&message, record, &settings, now)
            }
            Err(failed) => requests::preview_failure(source, failed.clone()),
        };
        let mut budget = ResponseBudget::new(app.limits.max_response_bytes);
        let previews = report
            .previews
            .into_iter()
            .map(|mut preview| {
                let warnings_omitted = cap_warnings(&mut preview.outcome);
                let item = PreviewItem {
                    preview,
                    warnings_omitted,
                };
                match budget.take(&item) {
                    Ok(()) => item,
                    Err(too_large) => PreviewItem {
                        preview: Preview {
                            outcome: too_large.outcome(),
                            checks: None,
                            ..item.preview
                        },
                        warnings_omitted: 0,
                    },
                }
            })
            .collect();
        requests::to_json(&PreviewAnswer {
            message: report.message,
            channel: report.channel,
            previews,
        })
    })
    .await?;
    Ok(json_text(text))
}

/// The event schema: `promo-liquid schema --format json`.
#[utoipa::path(
    get,
    path = "/v1/schema",
    tag = "reference",
    responses((status = 200, description = "The six events and their properties", body = SchemaReport))
)]
async fn schema() -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    json_text(
        TEXT.get_or_init(|| requests::to_json(&requests::schema()))
            .clone(),
    )
}

/// Every filter templates can use: `promo-liquid filters --format json`.
#[utoipa::path(
    get,
    path = "/v1/filters",
    tag = "reference",
    responses((status = 200, description = "The filters, by name", body = Vec<FilterReport>))
)]
async fn filters() -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    json_text(
        TEXT.get_or_init(|| requests::to_json(&requests::filters(lint_environment())))
            .clone(),
    )
}

/// Whether the service is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The service answers", body = Health))
)]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The service's metrics, in Prometheus text: requests by route and status, latency
/// histograms by route, render outcomes by kind, cache hits and misses.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        app.metrics.encode(),
    )
        .into_response()
}

/// This document.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "reference",
    responses((status = 200, description = "The OpenAPI 3.1 document of the service", body = Object))
)]
async fn openapi_json(State(app): State<Arc<App>>) -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| openapi(app.limits.max_records));
    json_text(text.clone())
}

/// The OpenAPI document: utoipa's, from the types above, plus what a Rust type cannot
/// say and the handlers check: which fields exclude each other (`message` or
/// `template`, `record` or `records`, as [`source`] and [`render`] require), the names
/// the library knows (its events and time zones) and the configured records limit.
pub(crate) fn openapi(max_records: usize) -> String {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let schemas = &mut doc["components"]["schemas"];
    let one_of = |a: &str, b: &str| json!({"oneOf": [{"required": [a]}, {"required": [b]}]});
    schemas["RenderRequest"]["allOf"] =
        json!([one_of("message", "template"), one_of("record", "records")]);
    schemas["LintRequest"]["allOf"] = json!([one_of("message", "template")]);
    schemas["PreviewRequest"]["allOf"] = json!([one_of("message", "template")]);
    let events: Vec<&str> = EventKind::ALL.iter().map(|e| e.name()).collect();
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    schemas["LintRequest"]["properties"]["events"]["items"]["enum"] = json!(events);
    schemas["PreviewRequest"]["properties"]["event"]["enum"] = json!(events);
    schemas["RenderRequest"]["properties"]["tz"]["enum"] = json!(zones);
    schemas["PreviewRequest"]["properties"]["tz"]["enum"] = json!(zones);
    schemas["RenderRequest"]["properties"]["records"]["maxItems"] = max_records.into();
    fix_flattened_options(schemas);
    requests::to_json(&doc)
}

/// utoipa writes a flattened `Option<T>` (a failure's `details`) as "`null` or a `T`",
/// but the object it is flattened into is never `null`: without details it is an
/// object with none of `T`'s fields. Says that instead, from `T`'s own schema.
fn fix_flattened_options(schemas: &mut serde_json::Value) {
    let names: Vec<String> = schemas
        .as_object()
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    for name in names {
        let Some(first) = schemas[&name]["allOf"].get(0).cloned() else {
            continue;
        };
        let [null, inner] = first["oneOf"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        else {
            continue;
        };
        let Some(target) = inner["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        else {
            continue;
        };
        if *null != json!({"type": "null"}) {
            continue;
        }
        let variants = match schemas[target]["oneOf"].as_array() {
            Some(variants) => variants.clone(),
            None => vec![schemas[target].clone()],
        };
        let fields: Vec<serde_json::Value> = variants
            .iter()
            .filter_map(|v| v["required"].as_array())
            .flatten()
            .map(|field| json!({"required": [field]}))
            .collect();
        schemas[&name]["allOf"][0]["oneOf"][0] = json!({"not": {"anyOf": fields}});
    }
}
