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
mod conn;
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
    /// Seconds a client has to send a request's line and headers, counted from the
    /// connection's opening or the end of its previous response; past it the
    /// connection is closed. Also how long an idle kept-alive connection stays open.
    #[arg(long, default_value_t = 10.0)]
    header_timeout: f64,
    /// Seconds an answer may wait for a client that reads none of it; past it the
    /// connection is closed.
    #[arg(long, default_value_t = 10.0)]
    write_timeout: f64,
    /// The most bytes of outcome JSON one render request may answer; an outcome that
    /// would take the answer past it is replaced by a `limit_exceeded` failure.
    #[arg(long, default_value_t = 8 << 20)]
    max_response_bytes: usize,
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
    header_timeout: Duration,
    write_timeout: Duration,
    max_response_bytes: usize,
    deadline: Option<Duration>,
}

/// Runs `serve` until interrupted.
pub fn run(args: ServeArgs) -> Result<Exit> {
    for (flag, seconds) in [
        ("--timeout", args.timeout),
        ("--header-timeout", args.header_timeout),
        ("--write-timeout", args.write_timeout),
    ] {
        // Past a year, `Duration` and the timer are no use either.
        if !(seconds > 0.0 && seconds <= 31_536_000.0) {
            anyhow::bail!(
                "{flag}: expected a positive number of seconds (at most a year), found {seconds}"
            );
        }
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
        header_timeout: Duration::from_secs_f64(args.header_timeout),
        write_timeout: Duration::from_secs_f64(args.write_timeout),
        max_response_bytes: args.max_response_bytes,
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

/// Accepts connections and serves each with hyper's HTTP/1 on its own task, until a
/// shutdown signal; then stops accepting and lets the requests in progress finish
/// (for at most `--timeout` more).
///
/// This is `axum::serve`'s loop, with what it cannot be told: a timer, so that
/// hyper's header read timeout fires. A client that opens a connection and never
/// finishes a request's headers (slowloris) is disconnected after `--header-timeout`
/// instead of holding its connection forever; the same bound closes kept-alive
/// connections left idle. Bodies read slowly are bounded by `--timeout`, which covers
/// reading the body, and answers a client does not read by `--write-timeout`
/// ([`conn::WriteTimeout`]).
async fn serve(app: Arc<App>, listen: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let bound = listener.local_addr()?;
    // The first line of standard output, which tests and scripts wait for.
    println!("listening on http://{bound}");
    eprintln!("promo-liquid serve: the playground is at http://{bound}/, the API under /v1");
    let limits = app.limits;
    let router = api::router(app);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let connections = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let stream = conn::WriteTimeout::new(stream, limits.write_timeout);
        let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            // A connection's errors (a client gone, a header timeout) are its own.
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.timeout, connections.shutdown()).await;
    Ok(())
}

/// A failed accept: a connection reset before it was accepted is no matter; anything
/// else (out of file descriptors, most likely) is said, and accepting pauses a second
/// for connections to close, as hyper and axum do.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    eprintln!("promo-liquid serve: cannot accept a connection: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
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
