//! Where each snippet of a library is used, in a set of message files and in the
//! library itself: what `promo-liquid snippets` lists, so that before a snippet is
//! edited its author sees every message the edit changes.
//!
//! A snippet is used by a message that names it (`{% render 'swiggy' %}`), that falls
//! back to it (`{% snippet ... or "voucher" %}`), or whose name from data can pick it
//! (every snippet that fits the message's channel and events), and by the snippets that
//! name it.

use std::sync::Arc;

use serde::Serialize;

use super::{Library, Pin, Snippet};
use crate::liquid::{Analysis, Environment, LineCol, PartialUse};
use crate::message::Channel;
use crate::message::file;
use crate::promo::schema::EventKind;

/// How a snippet is reached from a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// Named literally (`render 'swiggy'`, `snippet 'swiggy'`, `include`).
    Named,
    /// The fallback of a `snippet` tag (`or "voucher"`).
    Fallback,
    /// Picked by a name from data, which can pick any snippet that fits the message.
    Picked,
}

/// One place that uses a snippet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Use {
    /// The message file (or snippet file) the tag is in.
    pub file: String,
    /// The message's field the tag is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Where the tag is, in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<LineCol>,
    /// How it reaches the snippet.
    pub how: How,
    /// For [`How::Picked`], the name from data, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// A snippet of the library, what it declares, and where it is used.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// Its Liquid file.
    pub file: String,
    /// Its content hash.
    pub hash: String,
    /// What it shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The channels it is for (empty: any).
    pub channels: Vec<Channel>,
    /// The events it fits (empty: any).
    pub events: Vec<&'static str>,
    /// Its parameters, in order.
    pub params: Vec<ParamEntry>,
    /// The places that use it, in file order.
    pub used_by: Vec<Use>,
}

/// A parameter of a snippet, as the listing shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ParamEntry {
    /// Its name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: super::ParamType,
    /// Whether calls must pass it.
    pub required: bool,
    /// Its default, as Liquid prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// What it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The library listed with where each snippet is used.
#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    /// The pin of the whole library: every snippet and its hash.
    pub pin: Pin,
    /// Each snippet, by name.
    pub snippets: Vec<Entry>,
}

/// Lists `library`, with where each snippet is used in `messages` (each a file's name
/// and text: a message file when it ends in `.toml`, else a bare template), compiled
/// with `env`, and in the library.
pub fn usage(library: &Arc<Library>, messages: &[(String, String)], env: &Environment) -> Listing {
    let mut uses: Vec<(String, Use)> = Vec::new();
    for (name, text) in messages {
        for place in places(library, name, text, env) {
            reached(library, &place, &mut uses);
        }
    }
    for snippet in library.iter() {
        let meta = snippet.meta();
        let channel = match meta.channels.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        for call in &snippet.analysis().partials {
            let place = Place {
                file: snippet.file().to_owned(),
                field: None,
                at: Some(call.at),
                call: call.clone(),
                channel,
                events: meta.events.clone(),
            };
            reached(library, &place, &mut uses);
        }
    }
    uses.sort_by(|(_, a), (_, b)| (&a.file, a.at).cmp(&(&b.file, b.at)));
    uses.dedup();
    let snippets = library.iter().map(|s| entry(s, &uses)).collect();
    Listing {
        pin: library.pin_all(),
        snippets,
    }
}

fn entry(snippet: &Snippet, uses: &[(String, Use)]) -> Entry {
    let meta = snippet.meta();
    Entry {
        name: snippet.name().to_owned(),
        file: snippet.file().to_owned(),
        hash: snippet.hash().to_owned(),
        description: meta.description.clone(),
        channels: meta.channels.clone(),
        events: meta.events.iter().map(|e| e.name()).collect(),
        params: meta
            .params
            .iter()
            .map(|(name, p)| ParamEntry {
                name: name.clone(),
                kind: p.kind,
                required: p.required,
                default: p.default.as_ref().map(|v| v.to_text()),
                description: p.description.clone(),
            })
            .collect(),
        used_by: uses
            .iter()
            .filter(|(name, _)| name == snippet.name())
            .map(|(_, u)| u.clone())
            .collect(),
    }
}

/// A partial tag of a message or snippet, placed in its file.
struct Place {
    file: String,
    field: Option<String>,
    at: Option<LineCol>,
    call: PartialUse,
    channel: Option<Channel>,
    events: Vec<EventKind>,
}

/// The snippets `place` reaches, added to `uses` by name.
fn reached(library: &Library, place: &Place, uses: &mut Vec<(String, Use)>) {
    let here = |how, by: Option<String>| Use {
        file: place.file.clone(),
        field: place.field.clone(),
        at: place.at,
        how,
        by,
    };
    let call = &place.call;
    match &call.name {
        Some(name) => uses.push((name.clone(), here(How::Named, None))),
        None => {
            for snippet in library.reachable(place.channel, &place.events) {
                let picked = here(How::Picked, Some(call.name_text.clone()));
                uses.push((snippet.name().to_owned(), picked));
            }
        }
    }
    if let Some(fallback) = &call.fallback {
        uses.push((fallback.name.clone(), here(How::Fallback, None)));
    }
}

/// The partial tags of one message file or bare template, each placed in the file.
fn places(library: &Arc<Library>, name: &str, text: &str, env: &Environment) -> Vec<Place> {
    if !name.ends_with(".toml") {
        let env = library.environment(env, None, &[]);
        let Ok(template) = env.compile(name, text) else {
            return Vec::new();
        };
        return template
            .analyze()
            .partials
            .into_iter()
            .map(|call| Place {
                file: name.to_owned(),
                field: None,
                at: Some(call.at),
                call,
                channel: None,
                events: Vec::new(),
            })
            .collect();
    }
    let loaded = file::load(name, text, env, Some(library));
    let mut out = Vec::new();
    for field in &loaded.fields {
        let Ok(template) = &field.compiled else {
            continue;
        };
        let analysis: Analysis = template.analyze();
        for call in analysis.partials {
            let at = field.map.as_ref().map(|map| {
                let offset = map.offset(call.span.0 as usize);
                loaded.file.at(offset)
            });
            out.push(Place {
                file: name.to_owned(),
                field: Some(field.name.clone()),
                at,
                call,
                channel: loaded.channel,
                events: loaded.events.clone(),
            });
        }
    }
    out
}
