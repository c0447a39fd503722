//! The playground in a real browser: `tests/playground/browser.cjs` drives Debian's
//! chromium through playwright-core against the real server, and leaves screenshots in
//! `target/playground/` (CI keeps them as artifacts).
//!
//! It needs `node`, `/usr/bin/chromium` (or `$CHROMIUM`) and `npm ci --prefix
//! tests/playground`, which `.ci/run` installs. Without them it fails, saying what is
//! missing, unless `PROMO_LIQUID_SKIP_BROWSER=1` asks to skip it.

mod serve;

use std::path::Path;
use std::process::Command;

use serve::Server;

fn missing(what: &str) -> bool {
    if std::env::var_os("PROMO_LIQUID_SKIP_BROWSER").is_some_and(|v| v == "1") {
        eprintln!("skipping the browser test: {what} (PROMO_LIQUID_SKIP_BROWSER=1)");
        return true;
    }
    panic!(
        "the browser test needs {what}: run `apt-get install chromium` and `npm ci --prefix tests/playground` (as .ci/run does), or set PROMO_LIQUID_SKIP_BROWSER=1 to skip it"
    );
}

#[test]
fn the_playground_renders_as_the_author_types_and_underlines_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() && missing(&format!("chromium at {chromium}")) {
        return;
    }
    if !root
        .join("tests/playground/node_modules/playwright-core")
        .is_dir()
        && missing("playwright-core in tests/playground/node_modules")
    {
        return;
    }
    let shots = root.join("target/playground");
    std::fs::create_dir_all(&shots).unwrap();
    let server = Server::start(&[]);
    let out = match Command::new("node")
        .arg(root.join("tests/playground/browser.cjs"))
        .arg(format!("http://{}/", server.addr))
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if missing("node") {
                return;
            }
            unreachable!()
        }
        Err(e) => panic!("cannot run node: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("all browser checks passed"), "{stdout}");
    assert!(shots.join("playground.png").is_file());
}
