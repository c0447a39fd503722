//! Delta debugging of a disagreement: the smallest template and data that still make
//! the two engines disagree in the same way.
//!
//! The template is cut into tokens (text, `{{ }}`, `{% %}`). Passes, each repeated until
//! nothing changes, in this order: drop runs of tokens (halves, quarters, ... single
//! tokens); drop a block tag with its end tag, or keep one branch of it; simplify inside a
//! tag (drop a filter, an argument, an `and`/`or` term, a loop option, a path segment,
//! whitespace control; shorten literals); shorten text. Then the data: drop object keys
//! and array items, shorten strings, simplify numbers. A candidate is kept only when the
//! engines still disagree with the same error/text shape on each side ([`Shape`]), so
//! that minimizing does not slide from one disagreement to another of a different kind.

use regex::Regex;
use serde_json::Value as Json;

use super::engines::{Outcome, Side, Subject, Theirs};

/// Which side fails, and in which phase: kept while minimizing, so that a disagreement
/// does not slide into another of a different kind (a Shopify render error into one of
/// Shopify's parse quirks, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub ours: Side,
    pub theirs: Side,
}

impl Shape {
    /// Shopify's side is its lax parser's when the strict one refused the template.
    pub fn of(ours: &Outcome, theirs: &Theirs) -> Shape {
        let theirs = match (&theirs.strict, &theirs.lax) {
            (strict, Some(lax)) if strict.side() == Side::ParseError => lax.side(),
            (strict, _) => strict.side(),
        };
        Shape {
            ours: ours.side(),
            theirs,
        }
    }
}

/// The most candidates one minimization tries.
const BUDGET: usize = 6000;

/// How many candidates are tested at once: one round trip to Ruby for them all, since
/// on a loaded machine a round trip costs more than rendering a few dozen templates.
const BATCH: usize = 32;

/// Tells which of some candidates (if any) still disagree as the subject does: the
/// index of the first.
pub type Still<'a> = dyn FnMut(&[Subject]) -> Option<usize> + 'a;

struct Reducer<'s, 'a> {
    current: Subject,
    still: &'s mut Still<'a>,
    tries: usize,
}

impl Reducer<'_, '_> {
    /// Applies the first candidate of `candidates(current)` that still disagrees, then
    /// looks again from that place in the new list, until none does.
    fn reduce(&mut self, candidates: &dyn Fn(&Subject) -> Vec<Subject>) -> bool {
        let mut changed = false;
        let mut start = 0;
        loop {
            let all = candidates(&self.current);
            if start >= all.len() || self.tries >= BUDGET {
                return changed;
            }
            let end = (start + BATCH).min(all.len());
            self.tries += end - start;
            match (self.still)(&all[start..end]) {
                Some(i) => {
                    self.current = all[start + i].clone();
                    start += i;
                    changed = true;
                }
                None => start = end,
            }
        }
    }
}

/// Templates from `make` that are smaller than the current one (shorter, or as long and
/// sorting first, so that no two changes undo each other forever).
fn templates(current: &Subject, make: impl Fn(&[String]) -> Vec<String>) -> Vec<Subject> {
    let tokens = tokenize(&current.template);
    let mut out: Vec<Subject> = Vec::new();
    for t in make(&tokens) {
        if (t.len(), &t) < (current.template.len(), &current.template)
            && out.last().is_none_or(|last| last.template != t)
        {
            out.push(Subject {
                template: t,
                ..current.clone()
            });
        }
    }
    out
}

/// Without runs of `size` tokens, each run in turn.
fn without_runs(tokens: &[String], size: usize) -> Vec<String> {
    (0..tokens.len())
        .step_by(size)
        .map(|start| {
            join(&[
                &tokens[..start],
                &tokens[(start + size).min(tokens.len())..],
            ])
        })
        .collect()
}

/// Without a block (with its end tag), or with one branch of it in its place.
fn without_blocks(tokens: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (start, branches, end) in blocks(tokens) {
        out.push(join(&[&tokens[..start], &tokens[end + 1..]]));
        let mut bounds = vec![start];
        bounds.extend(&branches);
        bounds.push(end);
        for w in bounds.windows(2) {
            out.push(join(&[
                &tokens[..start],
                &tokens[w[0] + 1..w[1]],
                &tokens[end + 1..],
            ]));
        }
    }
    out
}

/// With one token simplified.
fn simpler_tokens(tokens: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let variants = if token.starts_with("{{") || token.starts_with("{%") {
            markup_variants(token)
        } else {
            text_variants(token)
        };
        for v in variants {
            out.push(join(&[
                &tokens[..i],
                std::slice::from_ref(&v),
                &tokens[i + 1..],
            ]));
        }
    }
    out
}

/// Top-level units: a text, an output, a tag, or a block from its tag to its end tag.
fn units(tokens: &[String]) -> Vec<std::ops::Range<usize>> {
    let spans = blocks(tokens);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let end = spans
            .iter()
            .find(|(start, _, _)| *start == i)
            .map_or(i + 1, |(_, _, end)| end + 1);
        out.push(i..end);
        i = end;
    }
    out
}

/// Each top-level unit alone.
fn single_units(tokens: &[String]) -> Vec<String> {
    units(tokens)
        .into_iter()
        .map(|u| join(&[&tokens[u]]))
        .collect()
}

fn minimize_template(r: &mut Reducer<'_, '_>) {
    // One statement usually holds the whole disagreement: try each alone first.
    r.reduce(&|c| templates(c, single_units));
    loop {
        let mut changed = false;
        let mut size = tokenize(&r.current.template).len() / 2;
        while size >= 1 {
            changed |= r.reduce(&|c| templates(c, |t| without_runs(t, size)));
            size /= 2;
        }
        changed |= r.reduce(&|c| templates(c, without_blocks));
        changed |= r.reduce(&|c| templates(c, simpler_tokens));
        if !changed || r.tries >= BUDGET {
            return;
        }
    }
}

/// Data with one node removed or made simpler, nodes in pre-order.
fn simpler_data(current: &Subject) -> Vec<Subject> {
    let mut paths = Vec::new();
    collect_paths(&current.data, &mut Vec::new(), &mut paths);
    let mut out = Vec::new();
    for path in &paths {
        let node = lookup(&current.data, path);
        let mut datas = vec![replace_at(&current.data, path, None)];
        datas.extend(
            simpler(node)
                .into_iter()
                .map(|s| replace_at(&current.data, path, Some(s))),
        );
        out.extend(datas.into_iter().map(|data| Subject {
            data,
            data_text: None,
            ..current.clone()
        }));
    }
    out
}

/// Minimizes the template of `subject` only.
pub fn minimize_template_only(subject: &Subject, still: &mut Still<'_>) -> Subject {
    let mut r = Reducer {
        current: subject.clone(),
        still,
        tries: 0,
    };
    minimize_template(&mut r);
    r.current
}

/// Minimizes template and data; partials the template does not name are dropped.
pub fn minimize(subject: &Subject, still: &mut Still<'_>) -> Subject {
    let mut r = Reducer {
        current: subject.clone(),
        still,
        tries: 0,
    };
    minimize_template(&mut r);
    r.reduce(&simpler_data);
    minimize_template(&mut r);
    let mut current = r.current;
    current
        .partials
        .retain(|(name, _)| current.template.contains(&format!("'{name}'")));
    current
}

/// Text, `{{ ... }}` and `{% ... %}` tokens; joined, they are the template.
pub fn tokenize(template: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let start = [rest.find("{{"), rest.find("{%")]
            .into_iter()
            .flatten()
            .min();
        match start {
            Some(0) => {
                let close = if rest.starts_with("{{") { "}}" } else { "%}" };
                let end = rest[2..].find(close).map_or(rest.len(), |i| i + 4);
                tokens.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
            Some(i) => {
                tokens.push(rest[..i].to_owned());
                rest = &rest[i..];
            }
            None => {
                tokens.push(rest.to_owned());
                rest = "";
            }
        }
    }
    tokens
}

/// The name of a tag token (`if`, `endfor`, ...), if it is one.
fn tag_name(token: &str) -> Option<&str> {
    let inner = token.strip_prefix("{%")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner).trim_start();
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '#'))
        .unwrap_or(inner.len());
    Some(&inner[..end])
}

const BLOCKS: &[&str] = &[
    "if",
    "unless",
    "case",
    "for",
    "tablerow",
    "capture",
    "comment",
    "raw",
    "ifchanged",
];

/// Each block tag's end and the tokens that start its branches (`elsif`, `else`,
/// `when`), at its own depth.
fn blocks(tokens: &[String]) -> Vec<(usize, Vec<usize>, usize)> {
    let mut open: Vec<(usize, &str, Vec<usize>)> = Vec::new();
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some(name) = tag_name(&tokens[i]) else {
            i += 1;
            continue;
        };
        if name == "comment" || name == "raw" {
            // Their bodies are not tags.
            let end = format!("end{name}");
            if let Some(j) = (i + 1..tokens.len()).find(|&j| tag_name(&tokens[j]) == Some(&end)) {
                found.push((i, Vec::new(), j));
                i = j + 1;
                continue;
            }
        } else if BLOCKS.contains(&name) {
            open.push((i, name, Vec::new()));
        } else if matches!(name, "else" | "elsif" | "when") {
            if let Some((_, _, branches)) = open.last_mut() {
                branches.push(i);
            }
        } else if let Some(opened) = name.strip_prefix("end") {
            if let Some(at) = open.iter().rposition(|(_, n, _)| *n == opened) {
                let (start, _, branches) = open.remove(at);
                open.truncate(at);
                found.push((start, branches, i));
            }
        }
        i += 1;
    }
    // Outer blocks first.
    found.sort_by_key(|b| b.0);
    found
}

fn join(parts: &[&[String]]) -> String {
    parts
        .iter()
        .flat_map(|p| p.iter())
        .map(String::as_str)
        .collect()
}

/// Splits on `sep` where it is outside quotes.
fn split_outside_quotes<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut quote = None;
    let mut last = 0;
    let mut i = 0;
    while i < s.len() {
        let c = s[i..].chars().next().unwrap();
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if s[i..].starts_with(sep) => {
                parts.push(&s[last..i]);
                last = i + sep.len();
                i = last;
                continue;
            }
            None => {}
        }
        i += c.len_utf8();
    }
    parts.push(&s[last..]);
    parts
}

fn markup_variants(token: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (from, to) in [("{{-", "{{"), ("-}}", "}}"), ("{%-", "{%"), ("-%}", "%}")] {
        if token.contains(from) {
            out.push(token.replacen(from, to, 1));
        }
    }
    // Drop a filter.
    let filters = split_outside_quotes(token, "|");
    for skip in 1..filters.len() {
        let kept: Vec<&str> = (0..filters.len())
            .filter(|&i| i != skip)
            .map(|i| filters[i])
            .collect();
        let mut t = kept.join("|");
        if skip == filters.len() - 1 {
            // The closing delimiter was in the dropped part.
            t.push_str(if token.starts_with("{{") {
                " }}"
            } else {
                " %}"
            });
        }
        out.push(t);
    }
    // Drop an argument, a condition term, a `when` value.
    for sep in [",", " and ", " or "] {
        let parts = split_outside_quotes(token, sep);
        for skip in 1..parts.len() {
            let mut kept: Vec<&str> = Vec::new();
            for (i, p) in parts.iter().enumerate() {
                if i != skip {
                    kept.push(p);
                }
            }
            let mut t = kept.join(sep);
            if skip == parts.len() - 1 {
                t.push_str(if token.starts_with("{{") {
                    " }}"
                } else {
                    " %}"
                });
            }
            out.push(t);
        }
    }
    thread_local! {
        static SIMPLER: Vec<(Regex, &'static [&'static str])> = vec![
            (Regex::new(r#"'[^']*'|"[^"]*""#).unwrap(), &["''", "'a'"]),
            (Regex::new(r"(?:^|[^\w.\]-])(-?\d+(?:\.\d+)?)").unwrap(), &["0", "1"]),
            (Regex::new(r#"\.[A-Za-z_][\w-]*|\[[^\[\]]*\]"#).unwrap(), &[""]),
            (Regex::new(r"\s(?:reversed|(?:limit|offset|cols):\s*\S+)").unwrap(), &[""]),
        ];
    }
    SIMPLER.with(|simpler| {
        for (re, replacements) in simpler {
            for m in re.captures_iter(token) {
                let m = m.get(1).or_else(|| m.get(0)).unwrap();
                for r in *replacements {
                    if m.as_str() != *r {
                        out.push(format!("{}{r}{}", &token[..m.start()], &token[m.end()..]));
                    }
                }
            }
        }
    });
    out.retain(|t| t != token);
    out
}

fn text_variants(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = vec![String::new()];
    // Halves and quarters; single characters only of short texts.
    let mut size = chars.len() / 2;
    while size >= 1 && (size * 4 >= chars.len() || chars.len() <= 8) {
        for start in (0..chars.len()).step_by(size) {
            let end = (start + size).min(chars.len());
            out.push(chars[..start].iter().chain(&chars[end..]).collect());
        }
        size /= 2;
    }
    out.retain(|t| t != text);
    out
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn collect_paths(node: &Json, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    if !path.is_empty() {
        out.push(path.clone());
    }
    match node {
        Json::Object(map) => {
            for (k, v) in map {
                path.push(Step::Key(k.clone()));
                collect_paths(v, path, out);
                path.pop();
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Step::Index(i));
                collect_paths(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn lookup<'a>(root: &'a Json, path: &[Step]) -> &'a Json {
    path.iter().fold(root, |node, step| match step {
        Step::Key(k) => &node[k.as_str()],
        Step::Index(i) => &node[*i],
    })
}

fn replace_at(root: &Json, path: &[Step], with: Option<Json>) -> Json {
    let mut copy = root.clone();
    let mut node = &mut copy;
    for step in &path[..path.len() - 1] {
        node = match step {
            Step::Key(k) => &mut node[k.as_str()],
            Step::Index(i) => &mut node[*i],
        };
    }
    match (path.last().unwrap(), with, node) {
        (Step::Key(k), None, Json::Object(map)) => {
            map.shift_remove(k);
        }
        (Step::Index(i), None, Json::Array(items)) => {
            items.remove(*i);
        }
        (Step::Key(k), Some(v), node) => node[k.as_str()] = v,
        (Step::Index(i), Some(v), node) => node[*i] = v,
        _ => {}
    }
    copy
}

/// Simpler values to put in a node's place.
fn simpler(node: &Json) -> Vec<Json> {
    match node {
        Json::String(s) if !s.is_empty() => {
            let chars: Vec<char> = s.chars().collect();
            let mut v = vec![Json::from("")];
            if chars.len() > 1 {
                v.push(Json::from(
                    chars[..chars.len() / 2].iter().collect::<String>(),
                ));
                v.push(Json::from(
                    chars[chars.len() / 2..].iter().collect::<String>(),
                ));
            }
            v
        }
        Json::Number(n) if n.as_i64() != Some(0) => {
            let mut v = vec![Json::from(0)];
            if n.is_f64() {
                v.push(Json::from(n.as_f64().unwrap_or(0.0).trunc() as i64));
            }
            v
        }
        Json::Array(items) if !items.is_empty() => vec![Json::Array(Vec::new())],
        Json::Object(map) if !map.is_empty() => vec![Json::Object(Default::default())],
        Json::Bool(true) => vec![Json::Bool(false)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_join_back_into_the_template() {
        let t = "Hi {{ a | b }}{%- if x -%} y {% endif %}{{ broken";
        let tokens = tokenize(t);
        assert_eq!(tokens.concat(), t);
        assert_eq!(tokens.len(), 6);
    }
}
