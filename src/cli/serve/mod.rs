//! `promo-liquid serve`: the preview service. A thin HTTP front end (axum on tokio) over
//! [`promo_liquid::requests`]: every answer is what the library returns, so
//! `POST /v1/render` gives byte for byte what `render --format json` prints.
//!
//! - [`api`]: the `/v1` routes, their request and response types, the OpenAPI document
//!   generated from them.
//! - [`guard`]: what keeps untrusted requests in bounds: JSON bodies with clear 400s,
//!   the concurrency limit (503 when saturated), the request timeout, renders on the
//!   blocking pool.
//! - [`cache`]: compiled messages by content, bounded.
//! - [`metrics`]: `/metrics` in Prometheus text.
//! - [`playground`]: the page at `/`, embedded in the binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use super::Exit;
use promo_liquid::snippets::Library;

mod api;
mod cache;
mod guard;
mod metrics;
mod playground;

/// The arguments of `serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on; loopback by default. Port 0 picks a free port; the
    /// address bound is printed on the first line of standard output.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The snippet library (a directory of NAME.liquid snippets and NAME.toml
    /// sidecars) that `include`, `render` and `snippet` tags name, loaded and checked
    /// once at start. Without it, no template reads anything from disk.
    #[arg(long, value_name = "DIR")]
    snippets: Option<PathBuf>,
    /// The largest request body, in bytes (413 past it).
    #[arg(long, default_value_t = 2 << 20)]
    max_body_bytes: usize,
    /// The most records one render request may carry (400 past it).
    #[arg(long, default_value_t = 100)]
    max_records: usize,
    /// Render, lint and preview requests in progress at once; more are answered 503.
    #[arg(long, default_value_t = 64)]
    max_concurrent: usize,
    /// Milliseconds one render (a message for one record) may take; past it the outcome
    /// is `limit_exceeded`. The backstop of the engine's render budget.
    #[arg(long, value_name = "MS", default_value = "250", value_parser = super::parse_deadline)]
    deadline: super::Deadline,
    /// Seconds a request may take before it is answered 504.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// The compiled-message cache's size, in MiB of message text.
    #[arg(long, default_value_t = 64)]
    cache_mib: u64,
    /// Worker threads for the HTTP side (default: one per core). Renders run on a
    /// separate blocking pool of up to `--max-concurrent` threads.
    #[arg(long)]
    threads: Option<usize>,
}

/// What every handler shares.
pub(crate) struct App {
    limits: Limits,
    snippets: Option<Arc<Library>>,
    cache: cache::MessageCache,
    metrics: metrics::Metrics,
    permits: Arc<tokio::sync::Semaphore>,
}

/// The request limits, as configured.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    max_body_bytes: usize,
    max_records: usize,
    max_concurrent: usize,
    timeout: Duration,
    deadline: Option<Duration>,
}

/// Runs `serve` until interrupted.
pub fn run(args: ServeArgs) -> Result<Exit> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        anyhow::bail!(
            "--timeout: expected a positive number of seconds, found {}",
            args.timeout
        );
    }
    if args.max_concurrent == 0 {
        anyhow::bail!("--max-concurrent: expected at least 1, found 0");
    }
    let env = promo_liquid::requests::environment(&Default::default());
    let snippets = super::load_snippets(args.snippets.as_deref(), &env)?;
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        max_records: args.max_records,
        max_concurrent: args.max_concurrent,
        timeout: Duration::from_secs_f64(args.timeout),
        deadline: args.deadline.0,
    };
    let app = Arc::new(App {
        limits,
        snippets,
        cache: cache::MessageCache::new(args.cache_mib << 20),
        metrics: metrics::Metrics::default(),
        permits: Arc::new(tokio::sync::Semaphore::new(args.max_concurrent)),
    });
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        // Renders hold a permit for as long as they run, so the pool never needs more.
        .max_blocking_threads(args.max_concurrent)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(app, args.listen))?;
    Ok(Exit::Ok)
}

async fn serve(app: Arc<App>, listen: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let bound = listener.local_addr()?;
    // The first line of standard output, which tests and scripts wait for.
    println!("listening on http://{bound}");
    eprintln!("promo-liquid serve: the playground is at http://{bound}/, the API under /v1");
    axum::serve(listener, api::router(app))
        .with_graceful_shutdown(shutdown())
        .await
        .context("the server stopped")
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
}
