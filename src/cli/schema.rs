//! `promo-liquid schema`: the event schema, from the one table in `promo::schema`.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::Exit;
use promo_liquid::promo::schema::{self, EventKind, PROPERTIES, Presence, Property};
use promo_liquid::requests;

/// How `schema` prints the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Each event with its properties, in aligned columns.
    Table,
    /// The events and properties as one JSON object.
    Json,
    /// The README's Markdown tables.
    Markdown,
}

/// The arguments of `schema`.
#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Runs `schema`.
pub fn run(args: SchemaArgs) -> Result<Exit> {
    let text = match args.format {
        Format::Table => table(),
        Format::Json => requests::to_json(&requests::schema()),
        Format::Markdown => schema::markdown(),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush().context("cannot write to standard output")?;
    Ok(Exit::Ok)
}

fn presence(p: &Property) -> String {
    match p.presence {
        Presence::Required => "required".to_owned(),
        Presence::Optional => "optional".to_owned(),
        Presence::Conditional(when) => format!("{when} only"),
    }
}

fn table() -> String {
    let width = |f: fn(&Property) -> usize| PROPERTIES.iter().map(f).max().unwrap_or(0);
    let name_w = width(|p| p.name.len()).max("Property".len());
    let liquid_w = width(|p| p.snake.len() + "Event.".len());
    let presence_w = width(|p| presence(p).len());
    let mut out = String::new();
    for event in EventKind::ALL {
        out.push_str(&format!(
            "{}: {} ({})\n",
            event.name(),
            event.description(),
            event.trigger()
        ));
        out.push_str(&format!(
            "  {:name_w$}  {:liquid_w$}  {:7}  {:presence_w$}  Input\n",
            "Property", "Liquid", "Type", "Presence"
        ));
        for id in event.properties() {
            let p = id.property();
            out.push_str(&format!(
                "  {:name_w$}  {:liquid_w$}  {:7}  {:presence_w$}  {}\n",
                p.name,
                format!("Event.{}", p.snake),
                format!("{:?}", p.data_type),
                presence(p),
                std::iter::once(p.camel)
                    .chain(p.inputs.iter().copied())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.push('\n');
    }
    out.push_str(
        "In Liquid, Event[\"Property\"] (the name as above) and Event.snake_case both work.\n",
    );
    out
}
