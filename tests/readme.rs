//! The README's schema tables are the schema's own Markdown, and its library examples
//! build and run in a new crate whose only dependency is `promo-liquid`. (They also run
//! as doctests of the library, see `src/lib.rs`, but a doctest sees every dependency of
//! the library, so it cannot tell that an example needs one the user lacks.)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn readme_schema_tables_match_the_schema() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let begin = "<!-- schema:begin -->\n";
    let start = readme
        .find(begin)
        .expect("README has a schema:begin marker")
        + begin.len();
    let end = readme
        .find("<!-- schema:end -->")
        .expect("README has a schema:end marker");
    let expected = promo_liquid::promo::schema::markdown();
    assert!(
        readme[start..end] == expected,
        "the README's schema tables are out of date; replace them with:\n{expected}"
    );
}

/// The README's `rust` code blocks under "As a library", in order.
fn library_examples(readme: &str) -> Vec<String> {
    let start = readme
        .find("## As a library")
        .expect("an \"As a library\" section");
    let end = readme[start + 1..]
        .find("\n## ")
        .map_or(readme.len(), |i| start + 1 + i);
    readme[start..end]
        .split("```rust\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_owned())
        .collect()
}

/// A new crate (`target/readme-crate`) with the examples as its `main`, `promo-liquid`
/// (this checkout, by path) its only dependency, built offline against this checkout's
/// lock file and build directory, so that it compiles only itself; then run.
#[test]
fn the_readme_library_examples_build_in_a_crate_that_depends_on_promo_liquid_alone() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let examples = library_examples(&readme);
    assert_eq!(
        examples.len(),
        2,
        "the README's library examples changed: {examples:?}"
    );

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let dir = target.join("readme-crate");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"readme-examples\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\npromo-liquid = {{ path = {:?} }}\n\n[workspace]\n",
        root.display().to_string()
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest);
    let mut main = String::new();
    for (i, example) in examples.iter().enumerate() {
        main.push_str(&format!("fn example_{i}() {{\n{example}}}\n\n"));
    }
    main.push_str("fn main() {\n");
    for i in 0..examples.len() {
        main.push_str(&format!("    example_{i}();\n"));
    }
    main.push_str("    println!(\"the README's examples ran\");\n}\n");
    write_if_changed(&dir.join("src/main.rs"), &main);
    // The same versions as this checkout, so nothing is fetched.
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    write_if_changed(&dir.join("Cargo.lock"), &lock);

    let started = Instant::now();
    let out = Command::new(env!("CARGO"))
        .args(["run", "--offline", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's examples do not build or run:\n{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "the README's examples ran\n"
    );
    assert!(
        started.elapsed() < Duration::from_secs(600),
        "took {:?}",
        started.elapsed()
    );
}

/// Writes `text` unless the file holds it already, so that cargo sees nothing changed.
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}
