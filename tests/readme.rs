//! The README's schema tables are the schema's own Markdown. (Its Rust examples run as
//! doctests of the library: see `src/lib.rs`.)

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
