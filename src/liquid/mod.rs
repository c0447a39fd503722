//! The Liquid language: our own implementation of Shopify Liquid 5, plus CleverTap's
//! `{% abort %}` and `a.["key"]` path form. It knows nothing of promo events.
//!
//! The pipeline: `lexer` splits the source into text, output and tag tokens; `expr`
//! and `parser` build the node tree (`ast`), resolving filters by name; `render` walks
//! it with the globals. Those are the engine's own: the public API is the
//! [`Environment`] and its [`Template`]s, the value model ([`Value`], [`ObjectView`]),
//! filters ([`Filters`]), errors and static analysis ([`Template::analyze`]).
//! [`Environment`] owns the configuration and compiles [`Template`]s.
//!
//! ```
//! use promo_liquid::liquid::Environment;
//!
//! let env = Environment::new();
//! let template = env.compile("greeting", "Hi {{ name | default: 'there' }}!").unwrap();
//! let globals = serde_json::json!({"name": "Asha"});
//! let (text, report) = template.render_to_string(&globals).unwrap();
//! assert_eq!(text, "Hi Asha!");
//! assert!(report.warnings.is_empty());
//! ```

mod analysis;
pub(crate) mod ast;
pub(crate) mod budget;
mod env;
mod error;
mod expr;
pub(crate) mod filters;
pub(crate) mod lexer;
mod parser;
mod render;
mod resolve;
pub(crate) mod value;

pub use analysis::{
    AbortTag, Analysis, Fallback, FilterUse, Guard, LineIndex, Literal, NameUse, Operand,
    PartialArg, PartialUse, PathPart, Term, Test, Usage, Variable,
};
pub use ast::{CompareOp, Logic};
pub use env::{
    DirectoryLoader, Environment, Limits, MemoryLoader, PartialLoader, Template, UndefinedPolicy,
};
pub(crate) use error::{Annotation, Snippet};
pub use error::{Error, ErrorKind, LineCol, Span, suggest};
pub use filters::{Args, Filter, FilterContext, FilterError, FilterFn, Filters};
pub use parser::TAGS;
pub use render::{Abort, Report, Warning};
pub use value::{DateValue, Map, ObjectView, Val, Value};

/// The engine's machinery that host objects may use to be fast, with no stability
/// promised (as minijinja's `unstable_machinery`): it may change in any release.
pub mod unstable {
    pub use super::value::KeyHint;
}
