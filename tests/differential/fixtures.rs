//! The fixture cases whose expected outputs are Shopify's (`tests/fixtures/liquid/
//! shopify.test`), read in the format `tests/liquid_fixtures.rs` documents.

use serde_json::Value as Json;

/// One case: its name, globals, template, and expected output (`None`: an error).
pub struct Fixture {
    pub name: String,
    pub data: Json,
    pub template: String,
    pub output: Option<String>,
    pub partials: Vec<(String, String)>,
}

/// Reads the cases of a fixture file.
pub fn read(path: &std::path::Path) -> Vec<Fixture> {
    let text = std::fs::read_to_string(path).expect("fixture file is readable");
    let mut cases = Vec::new();
    for chunk in text.split("\n=== ").skip(1) {
        let (name, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
        let mut sections = std::collections::HashMap::new();
        for part in format!("\n{body}").split("\n--- ").skip(1) {
            let (section, content) = part.split_once('\n').unwrap_or((part, ""));
            sections.insert(
                section.trim().to_owned(),
                content.trim_end_matches('\n').to_owned(),
            );
        }
        let partials = sections
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("partial ")?.trim().to_owned(), v.clone())))
            .collect();
        cases.push(Fixture {
            name: name.trim().to_owned(),
            data: sections
                .get("data")
                .map_or(Json::Object(Default::default()), |d| {
                    serde_json::from_str(d).expect("fixture data is JSON")
                }),
            template: sections.remove("template").expect("a template section"),
            output: sections.remove("output"),
            partials,
        });
    }
    cases
}
