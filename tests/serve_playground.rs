//! The playground in a real browser: `tests/playground/browser.cjs` drives Debian's
//! chromium through playwright-core against the real server, and leaves screenshots in
//! `target/playground/` (CI keeps them as artifacts).
//!
//! It needs `node`, `/usr/bin/chromium` (or `$CHROMIUM`) and `npm ci --prefix
//! tests/playground`, which `.ci/run` installs. Without them it says `skipped: ...` on
//! standard error and passes, unless `PROMO_LIQUID_REQUIRE_TOOLS=1` (as `.ci/run`
//! sets) makes a missing tool a failure; `PROMO_LIQUID_SKIP_BROWSER=1` skips it
//! without looking for the tools, even then.

mod serve;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serve::{Server, tool_missing};

#[test]
fn the_playground_renders_as_the_author_types_and_underlines_errors() {
    if std::env::var_os("PROMO_LIQUID_SKIP_BROWSER").is_some_and(|v| v == "1") {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the browser test (PROMO_LIQUID_SKIP_BROWSER=1)"
        );
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        tool_missing(
            &format!("the browser test needs chromium at {chromium}"),
            "apt-get install chromium, as .ci/run does",
        );
        return;
    }
    if Command::new("node").arg("--version").output().is_err() {
        tool_missing(
            "the browser test needs node",
            "apt-get install nodejs, as .ci/run does",
        );
        return;
    }
    if !root
        .join("tests/playground/node_modules/playwright-core")
        .is_dir()
    {
        tool_missing(
            "the browser test needs playwright-core in tests/playground/node_modules",
            "npm ci --prefix tests/playground, as .ci/run does",
        );
        return;
    }
    let shots = root.join("target/playground");
    std::fs::create_dir_all(&shots).unwrap();
    let server = Server::start(&[]);
    let out = Command::new("node")
        .arg(root.join("tests/playground/browser.cjs"))
        .arg(format!("http://{}/", server.addr))
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("all browser checks passed"), "{stdout}");
    assert!(shots.join("playground.png").is_file());
}
