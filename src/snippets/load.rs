//! Reading snippets: one snippet's files compiled and checked ([`compile`]), and the
//! loader a message's templates render snippets through ([`View`]).

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Library, Meta, Param, ParamType, Problem, Snippet, SnippetSource, list, meta};
use crate::liquid::{Environment, PartialLoader, Value, suggest};
use crate::message::Channel;
use crate::promo::schema::EventKind;

/// What a message's templates load partials through: the library, seen from a
/// message for one channel and some events.
pub(super) struct View {
    pub library: Arc<Library>,
    pub channel: Option<Channel>,
    pub events: Vec<EventKind>,
}

impl View {
    fn fitting(&self, name: &str) -> Option<&Snippet> {
        let snippet = self.library.get(name)?;
        match self.library.misfit(snippet, self.channel, &self.events) {
            None => Some(snippet),
            Some(_) => None,
        }
    }
}

impl PartialLoader for View {
    fn load(&self, name: &str) -> std::io::Result<String> {
        match self.fitting(name) {
            Some(snippet) => Ok(snippet.source.to_string()),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no snippet named {name:?} for this message"),
            )),
        }
    }

    fn defaults(&self, name: &str) -> Vec<(String, Value)> {
        let Some(snippet) = self.fitting(name) else {
            return Vec::new();
        };
        snippet
            .meta
            .params
            .iter()
            .filter_map(|(k, p)| p.default.clone().map(|v| (k.clone(), v)))
            .collect()
    }

    fn explain_missing(&self, name: &str) -> Option<String> {
        if let Some(snippet) = self.library.get(name) {
            return self.library.misfit(snippet, self.channel, &self.events);
        }
        let fitting = self.library.reachable(self.channel, &self.events);
        match suggest(name, fitting.iter().map(|s| s.name())) {
            Some(near) => Some(format!("did you mean \"{near}\"?")),
            None if fitting.is_empty() => {
                Some("the library has no snippet for this message".to_owned())
            }
            None => {
                let names: Vec<&str> = fitting.iter().map(|s| s.name()).collect();
                Some(format!(
                    "the snippets for this message are {}",
                    list(&names, 8)
                ))
            }
        }
    }
}

/// Compiles one snippet, adding its problems to `problems`; `None` when it does not
/// compile or its name cannot be a snippet's.
pub(super) fn compile(
    source: SnippetSource,
    env: &Environment,
    problems: &mut Vec<Problem>,
) -> Option<Snippet> {
    let SnippetSource {
        name,
        file,
        text,
        sidecar,
    } = source;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.".contains(c))
    {
        problems.push(Problem::new(
            &file,
            &text,
            format!("{name:?} cannot be a snippet's name"),
            None,
            Some("name snippets with letters, digits, `_`, `-` and `.`".into()),
        ));
        return None;
    }
    let mut hash = Sha256::new();
    hash.update(text.as_bytes());
    hash.update([0]);
    if let Some((_, side)) = &sidecar {
        hash.update(side.as_bytes());
    }
    let meta = match &sidecar {
        Some((side_file, side)) => meta::read(side_file, side, problems),
        None => Meta::default(),
    };
    // The final newline editors add is not part of the snippet.
    let body = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    let template = match env.compile(&name, body) {
        Ok(template) => template,
        Err(first) => {
            let mut errors = env.errors(&name, body);
            if errors.is_empty() {
                errors.push(first);
            }
            for e in errors {
                problems.push(Problem::new(
                    &file,
                    &text,
                    e.message().to_owned(),
                    e.span(),
                    e.help().map(str::to_owned),
                ));
            }
            return None;
        }
    };
    let analysis = template.analyze();
    let mut meta = meta;
    if !meta.declared {
        // Undeclared: the variables it reads (the globals, which a snippet cannot see,
        // are a problem the library check reports).
        for root in analysis.roots() {
            if !matches!(root, "Event" | "EventName" | "Profile") {
                meta.params.insert(
                    root.to_owned(),
                    Param {
                        kind: ParamType::Any,
                        required: false,
                        default: None,
                        description: None,
                    },
                );
            }
        }
    }
    Some(Snippet {
        html: html_tag(body),
        analysis,
        source: Arc::from(body),
        hash: Arc::from(hex16(&hash.finalize())),
        sidecar: sidecar.map(|(f, _)| f),
        meta,
        name,
        file,
    })
}

/// The first HTML tag of `text`, outside Liquid's tags and outputs.
pub(super) fn html_tag(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let name_len = after
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let slash = after.len() - after.trim_start_matches('/').len();
        let starts_with_letter = after[slash..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic());
        if starts_with_letter {
            let tail = &after[slash + name_len..];
            if tail.starts_with(['>', ' ', '/', '\n', '\t']) {
                let end = after.find('>').map_or(after.len(), |e| e + 1);
                let tag = &rest[i..i + 1 + end];
                return Some(tag.chars().take(40).collect());
            }
        }
        rest = after;
    }
    None
}

pub(super) fn hex16(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}
